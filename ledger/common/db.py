"""Database connections with the locking rules the log depends on.

SQLite: WAL, ``synchronous=FULL`` (an acknowledged append survives a crash), a ``busy_timeout``,
and writes that start with ``BEGIN IMMEDIATE`` so two appenders never both read the same tree
head. PostgreSQL (psycopg 3): a ``lock_timeout`` so a locking bug fails fast, and the append lock
is a ``SELECT … FOR UPDATE`` of the tree head row.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).parents[1] / "migrations"
WRITE_OPTION = "hyt_write"

DEFAULT_BUSY_TIMEOUT_MS = 10_000
DEFAULT_LOCK_TIMEOUT_MS = 10_000
#: Appends touch index pages all over the leaf-hash and subject indexes; a page cache larger
#: than SQLite's 2 MiB default keeps them in memory between batches (KiB, negative = size).
SQLITE_CACHE_KIB = 32 * 1024
#: Read database pages through a memory map of up to this size (bytes) instead of a system call
#: and a copy per page; writes still go through the write-ahead log, and the map only ever
#: covers what SQLite reads.
SQLITE_MMAP_BYTES = 256 * 1024 * 1024
#: Checkpoint the write-ahead log every 10,000 pages rather than 1,000, so a page written by
#: many consecutive appends is copied into the database once.
SQLITE_WAL_AUTOCHECKPOINT = 10_000


def is_sqlite(engine_or_connection: Engine | Connection) -> bool:
    return engine_or_connection.dialect.name == "sqlite"


def create_engine(
    url: str,
    *,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS,
    **kwargs: Any,
) -> Engine:
    """An engine for SQLite or PostgreSQL configured for safe serialised appends."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise ValueError("the ledger needs a SQLite file, not an in-memory database")
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            parsed, connect_args={"timeout": busy_timeout_ms / 1000}, **kwargs
        )
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.get_driver_name() in ("", "psycopg2"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        options = f"-c lock_timeout={lock_timeout_ms} -c idle_in_transaction_session_timeout=600000"
        return sa.create_engine(
            parsed, connect_args={"options": options}, pool_pre_ping=True, **kwargs
        )
    raise ValueError(
        f"unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL"
    )


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so BEGIN IMMEDIATE is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_WAL_AUTOCHECKPOINT}")
        cursor.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that may write: ``BEGIN IMMEDIATE`` on SQLite, plain on PostgreSQL.

    Callers that append must still lock the tree head (see :mod:`ledger.tlog.log`); on SQLite the
    immediate transaction already excludes every other writer.
    """
    with engine.connect() as connection:
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            yield connection


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A read-only unit of work seeing one consistent state."""
    with engine.connect() as connection, connection.begin():
        yield connection


#: Keys per ``IN`` list: far below SQLite's and PostgreSQL's limits on parameters.
IN_CHUNK = 500


def _known_columns(table: sa.Table, names: Iterable[str]) -> list[str]:
    """Column names (a row's keys, say), all checked against the model: only values are ever
    bound, and names come from here, so the statements built below cannot carry input."""
    columns = list(names)
    unknown = set(columns) - set(table.c.keys())
    if unknown:
        raise ValueError(f"{table.name} has no columns {sorted(unknown)}")
    return columns


def insert_rows(connection: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """``INSERT`` many rows, given as dictionaries, straight through the driver (see
    :func:`insert_values`)."""
    if not rows:
        return
    columns = list(rows[0])  # checked by insert_values
    values = operator.itemgetter(*columns)
    insert_values(
        connection,
        table,
        columns,
        [values(row) for row in rows] if len(columns) > 1 else [(values(row),) for row in rows],
    )


def insert_values(
    connection: Connection, table: sa.Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """``INSERT`` many rows, given as tuples in the order of ``columns``, straight through the
    driver.

    SQLAlchemy's per-row parameter processing costs more than SQLite's own work for the narrow
    rows an append writes; these rows already hold what both drivers take as they are (text,
    integers, booleans, bytes, None), so they skip it.
    """
    if not rows:
        return
    _known_columns(table, columns)
    mark = _mark(connection)
    names, marks = ", ".join(columns), ", ".join([mark] * len(columns))
    statement = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"  # noqa: S608 - see above
    connection.exec_driver_sql(statement, rows)


def select_where_in(
    connection: Connection,
    table: sa.Table,
    column: str,
    values: Iterable[Any],
    *,
    since: tuple[str, Any] | None = None,
) -> list[Any]:
    """Rows of ``table`` whose ``column`` is one of ``values`` (and, with ``since``, whose
    column ``since[0]`` is at least ``since[1]``), straight through the driver in chunks.

    For the reads ahead of a batch of appends, which ask for hundreds of keys at once: SQLAlchemy
    renders an expanding ``IN`` parameter by parameter at every execution, which costs more than
    the query. Rows come back as the driver gives them (text, integers, bytes, None).
    """
    _known_columns(table, [column, since[0]] if since else [column])
    mark = _mark(connection)
    return _where_in(
        connection,
        f"SELECT {', '.join(table.c.keys())} FROM {table.name} WHERE {column}",  # noqa: S608
        values,
        f" AND {since[0]} >= {mark}" if since else "",
        (since[1],) if since else (),
    )


def query_where_in(
    connection: Connection,
    query: sa.Select[Any],
    column: sa.ColumnElement[Any],
    values: Iterable[Any],
) -> list[Any]:
    """Rows of ``query`` (a select without parameters or conditions, joins allowed) whose
    ``column`` is one of ``values``, the same way as :func:`select_where_in`."""
    dialect = connection.dialect
    compiled = query.compile(dialect=dialect)
    if query.whereclause is not None or compiled.params or "%" in str(compiled):
        raise ValueError("query_where_in adds the only condition and binds only the values")
    head = f"{compiled} WHERE {column.compile(dialect=dialect)}"
    return _where_in(connection, head, values)


def _mark(connection: Connection) -> str:
    return "?" if is_sqlite(connection) else "%s"


def _where_in(
    connection: Connection,
    head: str,
    values: Iterable[Any],
    tail: str = "",
    tail_parameters: tuple[Any, ...] = (),
) -> list[Any]:
    """Run ``<head> IN (<chunk>)<tail>`` for each chunk of ``values``; the SQL text comes from
    the model, never from input, and every value is bound."""
    mark = _mark(connection)
    ordered = list(values)
    found: list[Any] = []
    for offset in range(0, len(ordered), IN_CHUNK):
        chunk = ordered[offset : offset + IN_CHUNK]
        statement = f"{head} IN ({', '.join([mark] * len(chunk))}){tail}"
        found.extend(connection.exec_driver_sql(statement, (*chunk, *tail_parameters)))
    return found


def update_rows(
    connection: Connection, table: sa.Table, key: str, rows: list[dict[str, Any]]
) -> None:
    """``UPDATE`` many rows by their ``key`` column straight through the driver (see above)."""
    if not rows:
        return
    columns = [c for c in _known_columns(table, rows[0]) if c != key]
    mark = _mark(connection)
    assignments = ", ".join(f"{c} = {mark}" for c in columns)
    statement = f"UPDATE {table.name} SET {assignments} WHERE {key} = {mark}"  # noqa: S608
    connection.exec_driver_sql(statement, [(*(row[c] for c in columns), row[key]) for row in rows])


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration."""
    with engine.connect() as connection:
        command.upgrade(alembic_config(connection), "head")
        if connection.in_transaction():
            connection.commit()


def schema_is_current(engine: Engine) -> bool:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current == head


def schema_exists(engine: Engine) -> bool:
    return sa.inspect(engine).has_table("ledger_meta")
