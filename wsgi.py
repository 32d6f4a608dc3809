"""WSGI entry point: ``gunicorn wsgi:app``.

The ledger is opened at start-up, so a server whose database is behind what the log key already
signed (a restore that lost entries) refuses to start and says why.
"""

from web import create_app
from web.log import check_at_startup

app = create_app()
check_at_startup(app)
