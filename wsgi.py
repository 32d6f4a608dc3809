"""WSGI entry point: ``gunicorn wsgi:app``.

The ledger is opened at start-up, so a server whose database is behind what the log key already
signed (a restore that lost entries) refuses to start and says why. The administrative
divisions are read here too, so that no visitor waits for them.
"""

from ledger.supplychain import places
from web import create_app
from web.services import check_at_startup

app = create_app()
check_at_startup(app)
places.load()
