"""Shared fixtures.

History tables are append-only (the triggers refuse DELETE), so tests cannot clean up after
themselves: each module that writes gets a fresh database cloned from one migrated template per
backend and session, a file copy for SQLite and ``CREATE DATABASE … TEMPLATE`` for PostgreSQL.

PostgreSQL is the server named by ``TEST_DATABASE_URL``. When it cannot be reached the
PostgreSQL tests are skipped, except under CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from ledger.common.clock import FakeClock
from ledger.common.db import create_engine, migrate
from ledger.common.settings import LedgerSettings
from ledger.tlog.bootstrap import initialise
from ledger.tlog.log import Log
from tests.world import World

hypothesis_settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
hypothesis_settings.register_profile(
    "dev",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
ORIGIN = "test.hungyen.example/ledger"


class DatabaseFactory:
    """Hands out fresh, migrated databases cloned from one template per backend."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._sqlite_template: Path | None = None
        self._pg_template: str | None = None
        self._pg_error: str | None = None
        self._pg_clones: list[str] = []
        self._admin: sa.Engine | None = None

    # SQLite ------------------------------------------------------------------------------------

    def sqlite(self) -> str:
        if self._sqlite_template is None:
            template = self.root / "template.sqlite3"
            engine = create_engine(f"sqlite:///{template}")
            migrate(engine)
            engine.dispose()
            self._sqlite_template = template
        clone = self.root / f"db-{uuid.uuid4().hex[:12]}.sqlite3"
        shutil.copyfile(self._sqlite_template, clone)
        return f"sqlite:///{clone}"

    # PostgreSQL --------------------------------------------------------------------------------

    def _admin_engine(self) -> sa.Engine:
        if self._admin is None:
            self._admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        return self._admin

    def postgresql(self) -> str:
        if self._pg_error is not None:
            self._unavailable(self._pg_error)
        if self._pg_template is None:
            try:
                with self._admin_engine().connect() as connection:
                    connection.execute(sa.text("SELECT 1"))
            except sa.exc.OperationalError as error:
                self._pg_error = str(error).splitlines()[0]
                self._unavailable(self._pg_error)
            name = f"hyt_tpl_{uuid.uuid4().hex[:10]}"
            self._create(f'CREATE DATABASE "{name}"')
            engine = create_engine(self._url(name))
            migrate(engine)
            engine.dispose()
            self._pg_template = name
        name = f"hyt_{uuid.uuid4().hex[:12]}"
        self._create(f'CREATE DATABASE "{name}" TEMPLATE "{self._pg_template}"')
        self._pg_clones.append(name)
        return self._url(name)

    def _create(self, statement: str) -> None:
        with self._admin_engine().connect() as connection:
            connection.execute(sa.text(statement))

    @staticmethod
    def _url(name: str) -> str:
        return sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    @staticmethod
    def _unavailable(reason: str) -> None:
        message = f"PostgreSQL at TEST_DATABASE_URL is not reachable: {reason}"
        if IN_CI:
            pytest.fail(message + " (under CI this is a failure, not a skip)")
        pytest.skip(message)

    def fresh(self, backend: str) -> str:
        return self.sqlite() if backend == "sqlite" else self.postgresql()

    def snapshot(self, url: str) -> str:
        """A copy of a database as it is now (its engines must be disposed first)."""
        parsed = sa.engine.make_url(url)
        if parsed.get_backend_name() == "sqlite":
            copy = self.root / f"snapshot-{uuid.uuid4().hex[:12]}.sqlite3"
            source, target = sqlite3.connect(str(parsed.database)), sqlite3.connect(copy)
            with target:
                source.backup(target)  # includes what is still in the write-ahead log
            source.close()
            target.close()
            return f"sqlite:///{copy}"
        name = f"hyt_{uuid.uuid4().hex[:12]}"
        self._create(f'CREATE DATABASE "{name}" TEMPLATE "{parsed.database}"')
        self._pg_clones.append(name)
        return self._url(name)

    def drop(self, url: str) -> None:
        parsed = sa.engine.make_url(url)
        if parsed.get_backend_name() == "postgresql" and parsed.database in self._pg_clones:
            with self._admin_engine().connect() as connection:
                connection.execute(
                    sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
                )
            self._pg_clones.remove(parsed.database)

    def close(self) -> None:
        if self._admin is None:
            return
        with self._admin.connect() as connection:
            for name in [*self._pg_clones, self._pg_template]:
                if name:
                    connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


def user_triggers(connection: sa.Connection, table: str) -> list[str]:
    """Names of the triggers the migrations installed on ``table``."""
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"
    else:
        query = "SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass)"
        query += " AND NOT tgisinternal"
    return sorted(connection.execute(sa.text(query), {"t": table}).scalars())


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("databases"))
    yield factory
    factory.close()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def database_url(backend: str, databases: DatabaseFactory) -> Iterator[str]:
    """A fresh database for the module, on each backend in turn."""
    url = databases.fresh(backend)
    yield url
    databases.drop(url)


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


@pytest.fixture(scope="module")
def ledgers(tmp_path_factory: pytest.TempPathFactory, databases: DatabaseFactory) -> LedgerFactory:
    return LedgerFactory(tmp_path_factory.mktemp("ledgers"), databases, FakeClock())


@pytest.fixture(scope="module")
def log(ledgers: LedgerFactory, database_url: str) -> Iterator[Log]:
    """An initialised ledger for the module (tile height 2, a checkpoint at every append)."""
    instance = ledgers.log(database_url)
    yield instance
    instance.engine.dispose()


@pytest.fixture(scope="module")
def world(ledgers: LedgerFactory, database_url: str) -> Iterator[World]:
    """The small supply chain of the domain and label tests, on a fresh ledger per module."""
    log = ledgers.log(database_url)
    yield World(log).setup()
    log.engine.dispose()


@pytest.fixture
def fresh_log(
    ledgers: LedgerFactory, databases: DatabaseFactory, backend: str
) -> Iterator[Callable[..., Log]]:
    """Factory of ledgers on brand-new databases, for tests that need an empty log."""
    created: list[tuple[Log, str]] = []

    def make(**overrides: Any) -> Log:
        url = databases.fresh(backend)
        instance = ledgers.log(url, **overrides)
        created.append((instance, url))
        return instance

    yield make
    for instance, url in created:
        instance.engine.dispose()
        databases.drop(url)
