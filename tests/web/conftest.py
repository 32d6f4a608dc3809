"""Fixtures for the web layer, in the Flask tutorial's shape. HTTP tests run on SQLite only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from ledger.common.clock import FakeClock
from ledger.tlog.log import Log
from tests.conftest import ORIGIN, DatabaseFactory
from web import create_app
from web.log import get_log
from web.services import services

PASSWORD = "mật-khẩu-thử-nghiệm"


def app_config(database_url: str, directory: Path, **overrides: Any) -> dict[str, Any]:
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "LEDGER_ORIGIN": ORIGIN,
        "LEDGER_KEY_FILE": str(directory / "log-key.pem"),
        "LEDGER_KEY_PASSPHRASE": None,
        "LEDGER_ALLOW_UNENCRYPTED_KEY": True,
        "CHECKPOINT_INTERVAL": 0,
        "LEDGER_TILE_HEIGHT": 2,
        "HYT_LANGUAGE": "en",
        # Each app its own print jobs and scan salt: tests run in parallel processes.
        "LABEL_PRINT_DIR": str(directory / "label-prints"),
        "SCAN_SALT_DIR": str(directory),
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="module")
def app(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    directory = tmp_path_factory.mktemp("app")
    application = create_app(app_config(databases.sqlite(), directory), clock=FakeClock())
    result = application.test_cli_runner().invoke(args=["ledger", "init"])
    assert result.exit_code == 0, result.output
    yield application
    get_log(application).engine.dispose()


@pytest.fixture(scope="module")
def ledger_log(app: Flask) -> Log:
    return get_log(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def create_accounts(app: Flask, accounts: tuple[tuple[str, str, str | None], ...]) -> None:
    """Accounts ``(username, role, organisation)``, each with the password :data:`PASSWORD`."""
    with app.app_context():
        for username, role, organisation in accounts:
            services().accounts.create_account(
                username=username,
                password=PASSWORD,
                role=role,
                organisation=organisation,
                display_name=username,
                by="test",
            )


def seed_demo(app: Flask) -> None:
    """A new ledger holding the demo season, as ``make run`` has it."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["ledger", "init"]).exit_code == 0
    seeded = runner.invoke(args=["demo", "seed"])
    assert seeded.exit_code == 0, seeded.output


def create_tokens(app: Flask, usernames: tuple[str, ...]) -> dict[str, str]:
    """An API token per username."""
    with app.app_context():
        accounts = services().accounts
        return {
            name: accounts.create_token(name, label="test", by="test").secret for name in usernames
        }


def issue_labels(app: Flask, base: str = "http://localhost") -> dict[str, list[str]]:
    """Labels in every state the public page distinguishes, as signed URLs on ``base``:

    * ``revoked``: two labels signed by a key that was replaced, then revoked as leaked;
    * ``good``: five labels of a lot in good standing;
    * ``recalled``: three labels of a lot recalled after they were issued.
    """
    from labels.label_keys import create_label_key
    from labels.printing import issued_labels
    from ledger.tlog.key_events import end_label_key
    from tests.world import AUDITOR, PACKER, PACKHOUSE, World

    urls: dict[str, list[str]] = {}
    with app.app_context():
        log = get_log()
        world = World(log).setup()
        lots = {}
        create_label_key(log, PACKHOUSE, ["8930000"], "first packhouse key")
        for name, units in (("revoked", 2), ("good", 5), ("recalled", 3)):
            if name == "good":
                leaked = log.active_label_key(PACKHOUSE)
                assert leaked is not None
                create_label_key(log, PACKHOUSE, ["8930000"], "the first key leaked")
                end_label_key(
                    log,
                    PACKHOUSE,
                    "found on a stolen laptop",
                    leaked.valid_from,
                    key_id=leaked.verifier.key_id,
                )
            lot_id = world.packed_lot(units=units)
            world.record(PACKER, "label.issue", {"lot": lot_id, "count": units})
            lots[name] = lot_id
        for name, lot_id in lots.items():
            if name != "revoked":
                urls[name] = [label.url for label in issued_labels(log, lot_id, base)]
        # Labels of a revoked key cannot be printed any more: sign them as they were printed.
        urls["revoked"] = _signed_with_revoked_key(log, lots["revoked"], base)
        world.record(
            AUDITOR,
            "recall",
            {
                "lots": [lots["recalled"]],
                "reason": "Dư lượng thuốc bảo vệ thực vật vượt mức cho phép",
                "consumer_action": "Không ăn; mang trả lại cửa hàng để được hoàn tiền.",
            },
        )
    return urls


def _signed_with_revoked_key(log: Log, lot_id: str, base: str) -> list[str]:
    from cryptography.hazmat.primitives import serialization

    from labels.digital_link import label_url
    from labels.signature import LabelId, sign_label
    from ledger.supplychain.label_issues import lot_label_issues
    from ledger.tlog.key_registry import label_key_path
    from ledger.tlog.note import Signer

    with log.engine.connect() as connection:
        [issue] = lot_label_issues(connection, lot_id)
    [record] = [k for k in log.keys("label") if k.verifier.vkey == issue.label_key]
    path = label_key_path(
        log.settings.label_keys_directory, record.organisation or "", record.verifier
    )
    pem = path.with_name(path.name + ".revoked").read_bytes()
    private_key = serialization.load_pem_private_key(pem, None)
    signer = Signer.from_private_key(record.verifier.name, private_key)  # type: ignore[arg-type]
    gtin, _, code = lot_id[4:].partition("/")
    urls = []
    for serial in range(issue.first_serial, issue.last_serial + 1):
        label = LabelId(gtin, code, str(serial))
        urls.append(label_url(base, label, sign_label(signer, log.origin, label)))
    return urls
