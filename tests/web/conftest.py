"""Fixtures for the web layer, in the Flask tutorial's shape. HTTP tests run on SQLite only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from ledger.common.clock import FakeClock
from ledger.tlog.log import Log
from tests.support.apps import app_config
from tests.support.databases import DatabaseFactory
from web import create_app
from web.services import services


@pytest.fixture(scope="module")
def app(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    directory = tmp_path_factory.mktemp("app")
    application = create_app(app_config(databases.sqlite(), directory), clock=FakeClock())
    result = application.test_cli_runner().invoke(args=["ledger", "init"])
    assert result.exit_code == 0, result.output
    yield application
    services(application).log.engine.dispose()


@pytest.fixture(scope="module")
def ledger_log(app: Flask) -> Log:
    return services(app).log


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
