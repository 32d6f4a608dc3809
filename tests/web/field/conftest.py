"""One field app for the package's tests, each using lots of its own: the test supply chain,
an account per role, a flock in its house."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from ledger.common.clock import FakeClock
from tests.support.apps import app_config, create_accounts
from tests.support.databases import DatabaseFactory
from tests.support.field import FIELD_ACCOUNTS, place_flock
from tests.support.world import World
from web import create_app
from web.services import services


@pytest.fixture(scope="package")
def field_app(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    app = create_app(
        app_config(databases.sqlite(), tmp_path_factory.mktemp("field"), HYT_LANGUAGE="vi"),
        clock=FakeClock(),
    )
    assert app.test_cli_runner().invoke(args=["ledger", "init"]).exit_code == 0
    with app.app_context():
        world = World(services().log).setup()
        place_flock(world)
    create_accounts(app, FIELD_ACCOUNTS)
    yield app
    services(app).log.engine.dispose()
