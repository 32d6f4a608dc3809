"""The schema: migrations agree with the models, and the database refuses to rewrite history."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ledger.common.db import (
    alembic_config,
    create_engine,
    migrate,
    query_where_in,
    schema_is_current,
)
from ledger.common.tables import metadata
from ledger.supplychain.tables import APPEND_ONLY_TABLES as SUPPLY_CHAIN_APPEND_ONLY
from ledger.tlog.log import Log
from ledger.tlog.tables import APPEND_ONLY_TABLES as LOG_APPEND_ONLY
from ledger.tlog.tables import ENTRY
from tests.support.databases import user_triggers
from tests.support.factories import event

APPEND_ONLY_TABLES = (*LOG_APPEND_ONLY, *SUPPLY_CHAIN_APPEND_ONLY)


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
    assert schema_is_current(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def populated(log: Log) -> Log:
    log.append(event(private={"price": "45000"}))
    log.append(event())
    return log


def _refused(log: Log, statement: str) -> None:
    with log.engine.connect() as connection:
        with pytest.raises(sa.exc.DatabaseError) as caught, connection.begin():
            connection.execute(sa.text(statement))
        assert any(
            word in str(caught.value) for word in ("append-only", "only grow", "forward", "erased")
        )


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_history_tables_refuse_update_and_delete(populated: Log, table: str) -> None:
    with populated.engine.begin() as connection:
        count = connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
        names = user_triggers(connection, table)
    if populated.engine.dialect.name == "sqlite":
        assert {f"{table}_no_update", f"{table}_no_delete"} <= set(names)
    else:
        assert {f"{table}_append_only", f"{table}_no_truncate"} <= set(names)
    if count == 0:
        return  # nothing to rewrite here yet; the triggers were checked by name above
    column = {
        "ledger_meta": "origin",
        "entry": "actor",
        "subject_link": "role",
        "checkpoint": "signed_at",
        "log_key": "role",
    }[table]
    _refused(populated, f"UPDATE {table} SET {column} = {column} || 'x'")
    _refused(populated, f"DELETE FROM {table}")


DOMAIN_HISTORY_TABLES = ("recorded_event", "lot_edge", "safety_interval", "master_version")


@pytest.mark.parametrize("table", DOMAIN_HISTORY_TABLES)
def test_domain_history_keeps_its_triggers_through_every_migration(
    populated: Log, table: str
) -> None:
    """Migrations that rebuild a table (SQLite cannot alter one in place) must put back the
    triggers that dropping the old table took with it."""
    with populated.engine.begin() as connection:
        names = set(user_triggers(connection, table))
    if populated.engine.dialect.name == "sqlite":
        assert {f"{table}_no_update", f"{table}_no_delete"} <= names
    else:
        assert {f"{table}_append_only", f"{table}_no_truncate"} <= names


def test_a_recorded_event_cannot_be_rewritten(populated: Log) -> None:
    with populated.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO recorded_event (entry_idx, event_type, event_time_utc, actor,"
                " command_digest) VALUES (1000000, 'loss', '2026-07-15T00:00:00.000Z',"
                " '8930000000012', :digest)"
            ),
            {"digest": b"\x00" * 32},
        )
    _refused(populated, "UPDATE recorded_event SET event_type = 'sell'")
    _refused(populated, "DELETE FROM recorded_event")


def test_tree_head_tiles_and_subject_heads_only_move_forward(populated: Log) -> None:
    _refused(populated, "UPDATE tree_head SET size = size - 1")
    _refused(populated, "UPDATE tree_head SET size = size")
    _refused(populated, "DELETE FROM tree_head")
    _refused(populated, "UPDATE tile SET hashes = substr(hashes, 1, 32) WHERE length(hashes) > 32")
    _refused(populated, "UPDATE tile SET idx = idx + 100")
    _refused(populated, "DELETE FROM tile")
    _refused(populated, "UPDATE subject_head SET seq = seq - 1")
    _refused(populated, "DELETE FROM subject_head")


def test_private_values_can_only_be_erased(populated: Log) -> None:
    _refused(populated, "UPDATE private_value SET value = NULL")  # salt kept: not an erasure
    _refused(populated, "UPDATE private_value SET field = 'other'")
    _refused(populated, "DELETE FROM private_value")


def test_truncate_is_refused_on_postgresql(populated: Log) -> None:
    if populated.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    for table in (*APPEND_ONLY_TABLES, "tile", "tree_head", "subject_head", "private_value"):
        _refused(populated, f"TRUNCATE {table} CASCADE")


def test_reads_by_key_list_refuse_a_query_with_its_own_condition(populated: Log) -> None:
    with populated.engine.connect() as connection:
        found = query_where_in(connection, sa.select(ENTRY.c.idx), ENTRY.c.idx, [0, 1, 99])
        assert sorted(row.idx for row in found) == [0, 1]
        with pytest.raises(ValueError, match="only condition"):
            query_where_in(
                connection, sa.select(ENTRY.c.idx).where(ENTRY.c.idx > 0), ENTRY.c.idx, [1]
            )


def test_records_written_before_the_divisions_were_recorded_are_marked_pre_2025(
    tmp_path: Path,
) -> None:
    """Migration 0010: every organisation and location already there holds pre-2025 codes; a
    record written afterwards without an edition is of the 2025 one."""
    engine = create_engine(f"sqlite:///{tmp_path / 'before.sqlite3'}")
    with engine.connect() as connection:
        command.upgrade(alembic_config(connection), "0009")
        connection.execute(
            sa.text(
                "INSERT INTO organisation (gln, name, roles, district_code, commune_code, active,"
                " version) VALUES ('8930000000029', 'Hộ An', 'farm', '332', '12352', true, 1)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO location (gln, organisation, kind, name, district_code,"
                " commune_code, in_gi_area, active, version) VALUES ('8930000001019',"
                " '8930000000029', 'farm_plot', 'Vườn', '332', '12352', true, true, 1)"
            )
        )
        connection.commit()
    migrate(engine)
    with engine.begin() as connection:
        for table in ("organisation", "location"):
            marked = connection.execute(sa.text(f"SELECT divisions FROM {table}")).scalar()
            assert marked == "pre-2025", table
        connection.execute(
            sa.text(
                "INSERT INTO organisation (gln, name, roles, active, version)"
                " VALUES ('8930000000036', 'HTX', 'cooperative', true, 1)"
            )
        )
        newer = connection.execute(
            sa.text("SELECT divisions FROM organisation WHERE gln = '8930000000036'")
        ).scalar()
    assert newer == "2025"
    engine.dispose()
