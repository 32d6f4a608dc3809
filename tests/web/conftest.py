"""Fixtures for the web layer, in the Flask tutorial's shape. HTTP tests run on SQLite only.

``browser`` is one headless Chromium for the whole session (per worker under ``-n``): see
:mod:`tests.support.browser` for serving an app to it and checking its pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from ledger.common.clock import FakeClock
from ledger.tlog.log import Log
from tests.support.apps import app_config
from tests.support.browser import PHONE, chromium
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


@pytest.fixture(scope="session")
def demo_season(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Flask, str]]:
    """An app with the demo season of ``make run`` (``flask demo seed``), and what the seeding
    printed: seeded once for the session, it takes half a minute."""
    application = create_app(app_config(databases.sqlite(), tmp_path_factory.mktemp("demo")))
    runner = application.test_cli_runner()
    assert runner.invoke(args=["ledger", "init"]).exit_code == 0
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    yield application, result.output
    services(application).log.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright; skips without them (fails under CI)."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A page on a phone: 360 × 740, touch, Vietnamese first; its context closed after the test."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN")
    yield context.new_page()
    context.close()
