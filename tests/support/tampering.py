"""Tools of the tampering tests: drop the append-only triggers, change rows, and run the
stand-alone bundle verifier (scripts/verify_bundle.py, loaded from its file as an auditor runs it).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa

from ledger.tlog.export import export_bundle
from ledger.tlog.log import Log
from tests.support.databases import user_triggers
from tests.support.paths import ROOT


def load_verify_bundle() -> ModuleType:
    """The verifier as a module loaded from its file: it is a script, not part of a package."""
    spec = importlib.util.spec_from_file_location(
        "verify_bundle", ROOT / "scripts" / "verify_bundle.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


VERIFY_BUNDLE = load_verify_bundle()


def verify_exported_bundle(log: Log, directory: Path) -> tuple[int, str]:
    """Sign a checkpoint, export the bundle and run the stand-alone verifier on it, pinning the
    log's active key: its exit status and output."""
    log.checkpoint()
    export_bundle(log, directory)
    return run_verify_bundle(directory, "--log-key", log.active_log_key().verifier.vkey)


def run_verify_bundle(*args: str | Path) -> tuple[int, str]:
    """Run the verifier's command line in this process: its exit status and what it printed."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        status = VERIFY_BUNDLE.main([str(a) for a in args])
    return status, output.getvalue()


def drop_triggers(log: Log, table: str) -> None:
    """Take away the append-only backstop on ``table``, as an attacker with the database would."""
    with log.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            for name in user_triggers(connection, table):
                connection.execute(sa.text(f'DROP TRIGGER "{name}"'))
        else:
            connection.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))


def execute(log: Log, statement: str, **params: object) -> None:
    """Change the database behind the ledger's back."""
    with log.engine.begin() as connection:
        connection.execute(sa.text(statement), params)
