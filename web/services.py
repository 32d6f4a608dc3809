"""The application's services: the log and the domain services built on it, one set per app.

They are opened on first use, once per process, and shared by every request and command of the
app. ``check_at_startup`` opens them eagerly; ``wsgi.py`` calls it so that a server whose
database is behind what the log key already signed refuses to start instead of serving a rewound
log.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from labels.digital_link import check_label_fits
from labels.jobs import PrintJobs, background
from labels.scans import SHARED_MEMORY, ScanLog, ScanSettings
from ledger.common.clock import Clock
from ledger.supplychain.accounts import Accounts
from ledger.supplychain.custody import VIETNAM
from ledger.supplychain.fieldwork import FieldWork
from ledger.supplychain.input_products import InputProducts
from ledger.supplychain.intervals import Intervals
from ledger.supplychain.masterdata import MasterData
from ledger.supplychain.photos import PhotoStore
from ledger.supplychain.recording.recorder import Recorder
from ledger.supplychain.recording.settings import DomainSettings
from ledger.supplychain.submissions import Submissions
from ledger.tlog.bootstrap import open_log
from web.config import ledger_settings

EXTENSION = "hyt_services"
CLOCK = "hyt_clock"
_lock = threading.Lock()


def _range(value: Any, default: tuple[Decimal, Decimal]) -> tuple[Decimal, Decimal]:
    if not value:
        return default
    low, _, high = str(value).partition("..")
    return Decimal(low), Decimal(high)


def domain_settings(config: Mapping[str, Any]) -> DomainSettings:
    defaults = DomainSettings()
    return DomainSettings(
        max_future_seconds=int(config.get("EVENT_MAX_FUTURE_SECONDS", defaults.max_future_seconds)),
        max_late_days=int(config.get("EVENT_MAX_LATE_DAYS", defaults.max_late_days)),
        slaughter_kg_per_head=_range(
            config.get("YIELD_SLAUGHTER_KG_PER_HEAD"), defaults.slaughter_kg_per_head
        ),
        drying_yield=_range(config.get("YIELD_DRYING"), defaults.drying_yield),
        ripening_yield=_range(config.get("YIELD_RIPENING"), defaults.ripening_yield),
        label_fits=functools.partial(check_label_fits, config["LABEL_BASE_URL"])
        if config.get("LABEL_BASE_URL")
        else None,
        label_spare=(
            Decimal(str(config["LABEL_SPARE_PERCENT"])) / 100
            if config.get("LABEL_SPARE_PERCENT") not in (None, "")
            else defaults.label_spare
        ),
    )


def scan_settings(config: Mapping[str, Any]) -> ScanSettings:
    salt_directory = Path(config.get("SCAN_SALT_DIR") or SHARED_MEMORY)
    return ScanSettings(
        warn_clients_per_day=int(config.get("SCAN_WARN_CLIENTS_PER_DAY", 10)),
        warn_areas=int(config.get("SCAN_WARN_AREAS", 3)),
        warn_days=int(config.get("SCAN_WARN_DAYS", 30)),
        retention_days=int(config.get("SCAN_RETENTION_DAYS", 90)),
        record_per_minute=int(config.get("SCAN_RECORD_PER_MINUTE", 30)),
        salt_directory=salt_directory if salt_directory.is_dir() else None,
    )


class Services:
    """The log and the services that share its engine and clock."""

    def __init__(self, app: Flask) -> None:
        log = open_log(ledger_settings(app.config), configured_clock(app))
        self.log = log
        self.recorder = Recorder(log, domain_settings(app.config))
        self.accounts = Accounts(log.engine, log.clock)
        self.masterdata = MasterData(log.engine, log.clock)
        self.fieldwork = FieldWork(log.engine)
        self.submissions = Submissions(log.engine, log.clock)
        #: The farm inputs the forms offer, and the intervals still running on plots and flocks
        #: (what the recorder would refuse a harvest or slaughter for).
        self.input_products = InputProducts(log.engine)
        self.intervals = Intervals(log.engine, log.clock)
        self.scans = ScanLog(
            log.engine,
            scan_settings(app.config),
            lambda: log.clock.now().astimezone(VIETNAM).date(),
        )
        photo_dir = app.config.get("PHOTO_DIR")
        self.photos = PhotoStore(log.engine, log.clock, Path(photo_dir) if photo_dir else None)
        self.print_jobs = PrintJobs(
            log,
            Path(app.config.get("LABEL_PRINT_DIR") or Path(app.instance_path) / "label-prints"),
            app.config["LABEL_BASE_URL"],
            log.clock,
            app.config.get("LABEL_PRINT_SUBMIT") or background,
        )


def init_app(app: Flask, clock: Clock | None = None) -> None:
    """Remember the clock the log is to read (tests pass a fixed one); open nothing yet."""
    app.extensions[EXTENSION] = None
    app.extensions[CLOCK] = clock


def configured_clock(app: Flask) -> Clock | None:
    """The clock given to :func:`web.create_app`, or ``None`` for the system clock."""
    clock: Clock | None = app.extensions.get(CLOCK)
    return clock


def services(app: Flask | None = None) -> Services:
    """The app's services (the current app's by default), opened by the first caller."""
    if app is None:
        app = current_app
    found: Services | None = app.extensions.get(EXTENSION)
    if found is None:
        with _lock:
            found = app.extensions.get(EXTENSION)
            if found is None:
                found = Services(app)
                app.extensions[EXTENSION] = found
    return found


def forget_services(app: Flask) -> None:
    """Close and drop the services (after ``init`` or a key rotation changed what the log
    should load); the next caller opens them afresh."""
    found: Services | None = app.extensions.get(EXTENSION)
    if found is not None:
        found.log.engine.dispose()
    app.extensions[EXTENSION] = None


def check_at_startup(app: Flask) -> None:
    services(app)
