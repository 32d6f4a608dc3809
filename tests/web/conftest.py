"""Fixtures for the web layer, in the Flask tutorial's shape. HTTP tests run on SQLite only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from ledger.clock import FakeClock
from ledger.log import Log
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


def create_tokens(app: Flask, usernames: tuple[str, ...]) -> dict[str, str]:
    """An API token per username."""
    with app.app_context():
        accounts = services().accounts
        return {
            name: accounts.create_token(name, label="test", by="test").secret for name in usernames
        }
