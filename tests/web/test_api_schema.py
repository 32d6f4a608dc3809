"""Schemathesis over the OpenAPI document: no 5xx, and every answer as the spec says.

Bounded (a few examples per operation, derandomised) so the suite stays fast; SQLite only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ledger.clock import FakeClock
from tests.conftest import DatabaseFactory
from tests.web.conftest import app_config
from tests.world import FARM_A, World
from web import create_app
from web.log import get_log
from web.services import services

EXAMPLES = 10
MASTER_DATA = ("/api/v1/organisations", "/api/v1/locations", "/api/v1/products")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def schema_app(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    app = create_app(
        app_config(
            databases.sqlite(),
            tmp_path_factory.mktemp("schemathesis"),
            AUTH_FAILURE_LIMIT="100000 per minute",
            LOGIN_LIMIT="100000 per minute",
        ),
        clock=FakeClock(),
    )
    assert app.test_cli_runner().invoke(args=["ledger", "init"]).exit_code == 0
    with app.app_context():
        World(get_log()).setup()
        accounts = services().accounts
        for username, role, organisation in (("an", "farmer", FARM_A), ("admin", "admin", None)):
            accounts.create_account(
                username=username,
                password="mật-khẩu-thử-nghiệm",
                role=role,
                organisation=organisation,
                display_name=username,
                by="test",
            )
        app.config["TEST_TOKENS"] = {
            name: accounts.create_token(name, label="schemathesis", by="test").secret
            for name in ("an", "admin")
        }
    yield app
    get_log(app).engine.dispose()


def exerciser(operation: Any, headers: dict[str, str], statuses: dict[int, int]) -> Any:
    """A Hypothesis test of one operation that counts the statuses it saw."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case: Any) -> None:
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    return exercise


@pytest.mark.timeout(240)
def test_the_api_keeps_its_spec(schema_app: Flask) -> None:
    """Every operation, a bounded number of generated requests each, as an admin for master
    data and as a farmer for the rest."""
    tokens = schema_app.config["TEST_TOKENS"]
    api = schemathesis.openapi.from_wsgi("/api/openapi.json", schema_app)
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 18
    failures: list[str] = []
    statuses: dict[int, int] = {}
    for operation in operations:
        admin = operation.path.startswith(MASTER_DATA)
        headers = {"Authorization": f"Bearer {tokens['admin' if admin else 'an']}"}

        exercise = exerciser(operation, headers, statuses)
        try:
            exercise()
        except Exception as error:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)
    assert sum(statuses.values()) >= 10 * len(operations), statuses
    assert {200, 400} <= set(statuses), statuses  # both accepted and refused requests were made
