"""The application's handle on the ledger: one :class:`ledger.tlog.log.Log` per process, opened
lazily.

``check_at_startup`` opens it eagerly; ``wsgi.py`` calls it so that a server whose database is
behind what the log key already signed refuses to start instead of serving a rewound log.
"""

from __future__ import annotations

import threading

from flask import Flask, current_app

from ledger.common.clock import Clock
from ledger.tlog.bootstrap import open_log
from ledger.tlog.log import Log
from web.config import ledger_settings

EXTENSION = "hyt_log"
_lock = threading.Lock()


def init_app(app: Flask, clock: Clock | None = None) -> None:
    app.extensions[EXTENSION] = None
    app.extensions[EXTENSION + "_clock"] = clock


def get_log(app: Flask | None = None) -> Log:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    log: Log | None = app.extensions.get(EXTENSION)
    if log is None:
        with _lock:
            log = app.extensions.get(EXTENSION)
            if log is None:
                log = open_log(
                    ledger_settings(app.config), app.extensions.get(EXTENSION + "_clock")
                )
                app.extensions[EXTENSION] = log
    return log


def forget_log(app: Flask) -> None:
    """Drop the cached log (after ``init`` or a key rotation changed what it should load)."""
    log: Log | None = app.extensions.get(EXTENSION)
    if log is not None:
        log.engine.dispose()
    app.extensions[EXTENSION] = None
    app.extensions.pop("hyt_services", None)  # built on the log: rebuilt with it


def check_at_startup(app: Flask) -> None:
    get_log(app)
