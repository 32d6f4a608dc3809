"""Initialised ledgers for tests, each with its own key and signer state."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ledger.common.clock import FakeClock
from ledger.common.settings import LedgerSettings
from ledger.tlog.bootstrap import initialise
from ledger.tlog.log import Log
from tests.support.databases import DatabaseFactory

ORIGIN = "test.hungyen.example/ledger"


@dataclass
class LedgerFactory:
    """Builds initialised ledgers for tests: each call gets its own key and signer state."""

    root: Path
    databases: DatabaseFactory
    clock: FakeClock

    def settings(self, database_url: str, **overrides: Any) -> LedgerSettings:
        directory = self.root / uuid.uuid4().hex[:10]
        base = LedgerSettings(
            database_url=database_url,
            origin=ORIGIN,
            key_file=directory / "log-key.pem",
            allow_unencrypted_key=True,
            checkpoint_interval=0,
            tile_height=2,
            busy_timeout_ms=20_000,
            lock_timeout_ms=20_000,
        )
        return replace(base, **overrides)

    def log(self, database_url: str, **overrides: Any) -> Log:
        return initialise(self.settings(database_url, **overrides), self.clock).log
