"""Fixtures of the label tests: the small supply chain of the domain tests, per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import LedgerFactory
from tests.world import World


@pytest.fixture(scope="module")
def world(ledgers: LedgerFactory, database_url: str) -> Iterator[World]:
    log = ledgers.log(database_url)
    yield World(log).setup()
    log.engine.dispose()
