"""Shared fixtures: databases, ledgers and the test supply chain (tests/support builds them).

Each module that writes gets a fresh database (see :mod:`tests.support.databases`), on each
backend in turn.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from ledger.common.clock import FakeClock
from ledger.tlog.log import Log
from tests.support.databases import DatabaseFactory
from tests.support.ledgers import LedgerFactory
from tests.support.world import World

hypothesis_settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
hypothesis_settings.register_profile(
    "dev",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("databases"))
    yield factory
    factory.close()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def database_url(backend: str, databases: DatabaseFactory) -> Iterator[str]:
    """A fresh database for the module, on each backend in turn."""
    url = databases.fresh(backend)
    yield url
    databases.drop(url)


@pytest.fixture(scope="module")
def ledgers(tmp_path_factory: pytest.TempPathFactory, databases: DatabaseFactory) -> LedgerFactory:
    return LedgerFactory(tmp_path_factory.mktemp("ledgers"), databases, FakeClock())


@pytest.fixture(scope="module")
def log(ledgers: LedgerFactory, database_url: str) -> Iterator[Log]:
    """An initialised ledger for the module (tile height 2, a checkpoint at every append)."""
    instance = ledgers.log(database_url)
    yield instance
    instance.engine.dispose()


@pytest.fixture(scope="module")
def world(ledgers: LedgerFactory, database_url: str) -> Iterator[World]:
    """The small supply chain of the domain and label tests, on a fresh ledger per module."""
    log = ledgers.log(database_url)
    yield World(log).setup()
    log.engine.dispose()


@pytest.fixture
def fresh_log(
    ledgers: LedgerFactory, databases: DatabaseFactory, backend: str
) -> Iterator[Callable[..., Log]]:
    """Factory of ledgers on brand-new databases, for tests that need an empty log."""
    created: list[tuple[Log, str]] = []

    def make(**overrides: Any) -> Log:
        url = databases.fresh(backend)
        instance = ledgers.log(url, **overrides)
        created.append((instance, url))
        return instance

    yield make
    for instance, url in created:
        instance.engine.dispose()
        databases.drop(url)
