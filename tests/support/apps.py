"""Flask apps for tests, in the Flask tutorial's shape: their configuration, accounts, tokens
and the demo season."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from tests.support.ledgers import ORIGIN
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
