"""``flask ledger …`` commands: what operators type, what they read back, and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from ledger.common.clock import FakeClock
from tests.support.apps import app_config
from tests.support.databases import DatabaseFactory
from tests.support.factories import envelope, event
from web import create_app
from web.services import check_at_startup, services

ROOT = Path(__file__).resolve().parents[3]


def write_jsonl(path: Path, lines: list[object]) -> Path:
    path.write_text(
        "\n".join(
            line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)
            for line in lines
        )
        + "\n",
        encoding="utf-8",
    )
    return path


def test_init_prints_the_verifier_key_and_is_idempotent(runner: FlaskCliRunner, app: Flask) -> None:
    result = runner.invoke(args=["ledger", "init"])
    assert result.exit_code == 0
    assert "is initialised and consistent" in result.output
    assert services(app).log.active_log_key().verifier.vkey in result.output


@pytest.fixture
def empty_app(databases: DatabaseFactory, tmp_path: Path) -> Iterator[Flask]:
    """An initialised app on a brand-new database: `ledger append` restores only into those."""
    application = create_app(app_config(databases.sqlite(), tmp_path), clock=FakeClock())
    assert application.test_cli_runner().invoke(args=["ledger", "init"]).exit_code == 0
    yield application
    services(application).log.engine.dispose()


def test_append_all_or_nothing_with_line_numbers(empty_app: Flask, tmp_path: Path) -> None:
    app, runner = empty_app, empty_app.test_cli_runner()
    before = services(app).log.size()
    bad = write_jsonl(
        tmp_path / "bad.jsonl",
        [
            envelope(),
            envelope(event_time="15/07/2026"),
            "{not json",
            envelope(payload={"weight": 12.5}),
            envelope(subjects=[{"id": "lot:08930000000012/A", "role": "output"}]),
        ],
    )
    result = runner.invoke(args=["ledger", "append", str(bad)])
    assert result.exit_code == 1
    assert "line 2:" in result.output
    assert "event_time" in result.output
    assert "line 3:" in result.output
    assert "Not valid JSON" in result.output
    assert "line 4:" in result.output
    assert "decimal string" in result.output
    assert "line 5:" in result.output
    assert "wrong check digit" in result.output
    assert "4 invalid lines; nothing was appended." in result.output
    assert services(app).log.size() == before

    good = write_jsonl(tmp_path / "good.jsonl", [envelope(idempotency_key="cli-1"), envelope()])
    result = runner.invoke(args=["ledger", "append", str(good)])
    assert result.exit_code == 0, result.output
    assert "Appended 2 entries (0 were repeats" in result.output
    again = runner.invoke(
        args=[
            "ledger",
            "append",
            str(
                write_jsonl(
                    tmp_path / "again.jsonl", [json.loads(good.read_text().splitlines()[0])]
                )
            ),
        ]
    )
    assert again.exit_code == 1
    assert "only restores into an empty ledger" in again.output
    skipped = runner.invoke(args=["ledger", "append", "--if-empty", str(good)])
    assert skipped.exit_code == 0
    assert "nothing was appended" in skipped.output
    assert services(app).log.size() == before + 2


def test_a_rule_breaking_line_fails_the_batch(empty_app: Flask, tmp_path: Path) -> None:
    app, runner = empty_app, empty_app.test_cli_runner()
    size = services(app).log.size()
    lines = [
        envelope(subjects=[{"id": "flock:cli-batch", "role": "output"}]),
        envelope(subjects=[{"id": "flock:cli-batch", "role": "output", "expect_prev": None}]),
    ]
    result = runner.invoke(args=["ledger", "append", str(write_jsonl(tmp_path / "b.jsonl", lines))])
    assert result.exit_code == 1
    assert "Line 2 was refused, so nothing was appended" in result.output
    assert services(app).log.size() == size


def test_verify_checkpoint_status_reveal_and_erase(
    runner: FlaskCliRunner, app: Flask, tmp_path: Path
) -> None:
    index = services(app).log.append(event(private={"price": "45000"})).index
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: "), result.output
    assert runner.invoke(args=["ledger", "checkpoint"]).output.startswith(
        services(app).log.origin + "\n"
    )
    assert "entries; latest checkpoint of size" in runner.invoke(args=["ledger", "status"]).output
    revealed = json.loads(runner.invoke(args=["ledger", "reveal", str(index)]).output)
    assert revealed["field"] == "price"
    assert revealed["value"] == "45000"
    erased = runner.invoke(args=["ledger", "erase", str(index), "price", "--reason", "request"])
    assert "Erased private field 'price'" in erased.output
    again = runner.invoke(args=["ledger", "erase", str(index), "price", "--reason", "twice"])
    assert again.exit_code == 1
    assert "no unerased private field" in again.output
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0


def test_vietnamese_is_the_default_language(app: Flask, runner: FlaskCliRunner) -> None:
    app.config["HYT_LANGUAGE"] = "vi"
    try:
        result = runner.invoke(args=["ledger", "status"])
    finally:
        app.config["HYT_LANGUAGE"] = "en"
    assert "bản ghi; checkpoint mới nhất có kích thước" in result.output


def test_export_then_the_standalone_script_verifies(
    runner: FlaskCliRunner, app: Flask, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle.tar.gz"
    result = runner.invoke(args=["ledger", "export", str(bundle)])
    assert result.exit_code == 0, result.output
    vkey = services(app).log.active_log_key().verifier.vkey
    assert vkey in result.output
    checked = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "verify_bundle.py"),
            str(bundle),
            "--log-key",
            vkey,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith(f"OK: {services(app).log.size()} entries")
    refused = runner.invoke(args=["ledger", "export", str(bundle)])
    assert refused.exit_code != 0


def test_the_bundle_script_imports_only_the_standard_library_and_cryptography() -> None:
    import ast

    tree = ast.parse((ROOT / "scripts" / "verify_bundle.py").read_text())
    modules = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert modules - set(sys.stdlib_module_names) == {"cryptography"}


def test_rotate_key(databases: DatabaseFactory, tmp_path: Path) -> None:
    app = create_app(app_config(databases.sqlite(), tmp_path), clock=FakeClock())
    runner = app.test_cli_runner()
    assert runner.invoke(args=["ledger", "init"]).exit_code == 0
    old = services(app).log.active_log_key().verifier.vkey
    result = runner.invoke(args=["ledger", "rotate-key", "--reason", "yearly rotation"])
    assert result.exit_code == 0, result.output
    new = services(app).log.active_log_key().verifier.vkey
    assert new != old
    assert new in result.output
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0
    trust = app.test_client().get("/ledger/trust").get_data(as_text=True)
    assert old in trust
    assert new in trust


def test_production_refuses_an_unencrypted_key(databases: DatabaseFactory, tmp_path: Path) -> None:
    config = app_config(databases.sqlite(), tmp_path, LEDGER_ALLOW_UNENCRYPTED_KEY=False)
    runner = create_app(config).test_cli_runner()
    result = runner.invoke(args=["ledger", "init"])
    assert result.exit_code == 1
    assert "LEDGER_KEY_PASSPHRASE" in result.output
    assert not (tmp_path / "log-key.pem").exists()
    encrypted = create_app({**config, "LEDGER_KEY_PASSPHRASE": "s3cret-from-the-vault"})
    assert encrypted.test_cli_runner().invoke(args=["ledger", "init"]).exit_code == 0


def test_a_restored_database_stops_start_and_init(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    url = databases.sqlite()
    app = create_app(app_config(url, tmp_path), clock=FakeClock())
    runner = app.test_cli_runner()
    runner.invoke(args=["ledger", "init"])
    services(app).log.engine.dispose()
    backup = databases.snapshot(url)
    lines = write_jsonl(tmp_path / "more.jsonl", [envelope(), envelope()])
    assert runner.invoke(args=["ledger", "append", str(lines)]).exit_code == 0
    services(app).log.engine.dispose()

    restored = create_app(app_config(backup, tmp_path), clock=FakeClock())
    with pytest.raises(Exception, match="Refusing to continue") as caught:
        check_at_startup(restored)
    assert "Restore a backup that contains at least 2 entries" in str(caught.value)
    result = restored.test_cli_runner().invoke(args=["ledger", "init"])
    assert result.exit_code == 1
    assert "Refusing to continue" in result.output
    verify = restored.test_cli_runner().invoke(args=["ledger", "verify"])
    assert verify.exit_code == 1
    assert "signer state" in verify.output


def test_an_uninitialised_ledger_says_what_to_do(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    app = create_app(app_config(databases.sqlite(), tmp_path))
    response = app.test_client().get("/ledger/checkpoint")
    assert response.status_code == 503
    assert "flask ledger init" in response.get_json()["message"]
    assert app.test_cli_runner().invoke(args=["ledger", "status"]).exit_code == 1


def test_bad_command_line_input_never_gives_a_traceback(
    runner: FlaskCliRunner, empty_app: Flask, tmp_path: Path
) -> None:
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b'{"type": "harvest"}\n\xff\xfe\n' + b"[" * 100_000 + b"\n")
    result = empty_app.test_cli_runner().invoke(args=["ledger", "append", str(binary)])
    assert result.exit_code == 1
    assert "line 2:" in result.output
    assert "line 3:" in result.output
    assert "Traceback" not in result.output
    huge = runner.invoke(args=["ledger", "reveal", str(2**70)])
    assert huge.exit_code == 2
    assert "is not in the range" in huge.output
    missing = runner.invoke(args=["ledger", "verify", "--known-checkpoint", str(tmp_path / "no")])
    assert missing.exit_code == 2
    stranger = runner.invoke(args=["ledger", "verify", "--log-key", "nobody+00000000+AAAA"])
    assert stranger.exit_code == 1
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "file").write_text("x")
    export = runner.invoke(args=["ledger", "export", str(occupied)])
    assert export.exit_code == 1
    assert "already exists and is not empty" in export.output


def test_verify_pins_a_key_and_needs_no_private_key(
    runner: FlaskCliRunner, app: Flask, tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ledger.tlog.note import Signer

    vkey = services(app).log.active_log_key().verifier.vkey
    assert runner.invoke(args=["ledger", "verify", "--log-key", vkey]).exit_code == 0
    other = Signer.from_private_key(services(app).log.origin, Ed25519PrivateKey.generate())
    result = runner.invoke(args=["ledger", "verify", "--log-key", other.verifier().vkey])
    assert result.exit_code == 1
    assert "is not a log key of this ledger" in result.output
    key_file = Path(app.config["LEDGER_KEY_FILE"])
    hidden = key_file.with_name("hidden.pem")
    key_file.rename(hidden)
    try:
        assert runner.invoke(args=["ledger", "verify"]).exit_code == 0
    finally:
        hidden.rename(key_file)


def test_a_read_only_replica_serves_reads_but_cannot_sign(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    url = databases.sqlite()
    signing = create_app(app_config(url, tmp_path / "signer"), clock=FakeClock())
    assert signing.test_cli_runner().invoke(args=["ledger", "init"]).exit_code == 0
    replica = create_app(app_config(url, tmp_path / "replica"))
    client = replica.test_client()
    assert client.get("/ledger/checkpoint").status_code == 200
    response = client.get("/ledger/trust")
    assert response.status_code == 503
    assert response.get_json()["code"] == "signer_unavailable"
