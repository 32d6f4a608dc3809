"""The application's handles on the domain services, built once per process on the shared log."""

from __future__ import annotations

import functools
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from labels.digital_link import check_label_fits
from labels.jobs import PrintJobs, background
from labels.scans import SHARED_MEMORY, ScanLog, ScanSettings
from ledger.supplychain.accounts import Accounts
from ledger.supplychain.custody import VIETNAM
from ledger.supplychain.masterdata import MasterData
from ledger.supplychain.recording.recorder import Recorder
from ledger.supplychain.recording.settings import DomainSettings
from web.log import get_log

_lock = threading.Lock()
EXTENSION = "hyt_services"


def _range(value: Any, default: tuple[Decimal, Decimal]) -> tuple[Decimal, Decimal]:
    if not value:
        return default
    low, _, high = str(value).partition("..")
    return Decimal(low), Decimal(high)


def domain_settings(config: Any) -> DomainSettings:
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


def scan_settings(config: Any) -> ScanSettings:
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
    def __init__(self, app: Flask) -> None:
        log = get_log(app)
        self.recorder = Recorder(log, domain_settings(app.config))
        self.accounts = Accounts(log.engine, log.clock)
        self.masterdata = MasterData(log.engine, log.clock)
        self.scans = ScanLog(
            log.engine,
            scan_settings(app.config),
            lambda: log.clock.now().astimezone(VIETNAM).date(),
        )
        self.print_jobs = PrintJobs(
            log,
            Path(app.config.get("LABEL_PRINT_DIR") or Path(app.instance_path) / "label-prints"),
            app.config["LABEL_BASE_URL"],
            log.clock,
            app.config.get("LABEL_PRINT_SUBMIT") or background,
        )


def services(app: Flask | None = None) -> Services:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    found: Services | None = app.extensions.get(EXTENSION)
    if found is None:
        with _lock:
            found = app.extensions.get(EXTENSION)
            if found is None:
                found = Services(app)
                app.extensions[EXTENSION] = found
    return found


def forget_services(app: Flask) -> None:
    app.extensions[EXTENSION] = None
