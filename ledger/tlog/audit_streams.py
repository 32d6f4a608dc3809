"""How the audit reads the database: one sequential pass, straight from the driver's cursors.

Every stream is registered with the audit's exit stack, so all of them are closed before the
connection goes back to the pool, also when the audit stops at a problem.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Generator, Iterator
from typing import Any

from sqlalchemy.engine import Connection

from ledger.common.db import SQLITE_CACHE_KIB, SQLITE_MMAP_BYTES
from ledger.common.messages import N_, Message
from ledger.tlog.audit_checks import fail


@contextlib.contextmanager
def lean_reading(connection: Connection) -> Iterator[None]:
    """One sequential pass over everything: no use for a large page cache or a memory map of the
    database (either would only count against the audit's memory), and the cyclic garbage
    collector would rescan the growing map of subject heads over and over although the pass
    creates no reference cycles."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA cache_size = -2048")
        connection.exec_driver_sql("PRAGMA mmap_size = 0")
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
        if sqlite:
            connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            connection.exec_driver_sql(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")


class AuditStreams:
    """Opens row streams on the audit's connection and registers them for closing."""

    def __init__(self, connection: Connection, stack: contextlib.ExitStack) -> None:
        self.connection = connection
        self._stack = stack

    def blob(self, column: str) -> str:
        """A binary column read as bytes even if a tampered SQLite row stores it as text.

        Only ever called with the fixed column names of this module, never with input.
        """
        if self.connection.dialect.name == "sqlite":
            return f"CAST({column} AS BLOB)"
        return column

    def raw(self, sql: str, name: str, batch: int = 2000) -> Iterator[tuple[Any, ...]]:
        return self._stack.enter_context(
            contextlib.closing(_raw_rows(self.connection, sql, name, batch))
        )

    def rows(self, statement: Any) -> Iterator[Any]:
        return self._stack.enter_context(contextlib.closing(_rows(self.connection, statement)))


def as_bytes(value: Any) -> bytes:
    """Stored bytes as bytes; SQLite's dynamic typing lets a tampered row hold text."""
    return value.encode() if isinstance(value, str) else bytes(value)


def _rows(connection: Connection, statement: Any) -> Generator[Any]:
    yield from connection.execution_options(yield_per=2000).execute(statement)


def _raw_rows(
    connection: Connection, sql: str, name: str = "entries", batch: int = 2000
) -> Generator[tuple[Any, ...]]:
    """Rows straight from the driver's cursor, streamed (server-side on PostgreSQL).

    The audit reads every entry once; SQLAlchemy's row objects would cost more than hashing.
    """
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    if connection.dialect.name == "postgresql":
        cursor = dbapi.cursor(name=f"hyt_audit_{name}")
        cursor.itersize = batch  # type: ignore[attr-defined]  # psycopg's ServerCursor
    else:
        cursor = dbapi.cursor()
    driver_error = connection.dialect.loaded_dbapi.Error
    try:
        try:
            cursor.execute(sql)
            while rows := cursor.fetchmany(batch):
                yield from rows
        except driver_error as error:
            # e.g. a tampered SQLite text column that is not UTF-8
            raise fail(
                Message(N_("the database")),
                N_("it could not return the {name}: {error}"),
                name=name,
                error=str(error),
            ) from None
    finally:
        cursor.close()
