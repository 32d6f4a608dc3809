"""Fresh, migrated databases for tests, cloned from one template per backend.

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
from pathlib import Path

import pytest
import sqlalchemy as sa

from ledger.common.db import create_engine, migrate

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


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
