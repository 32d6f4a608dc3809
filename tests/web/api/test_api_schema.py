"""Schemathesis over the OpenAPI document: no 5xx, every answer as the spec says, every request
the spec allows accepted (or refused for a reason the spec cannot know: who may act, what is
recorded) and every request it forbids refused.

Bounded (a few examples per operation and mode, derandomised) so the suite stays fast; SQLite
only. The spec's own formats for identifiers (``gtin``, ``gln``, ``lot-id``: a check digit JSON
Schema cannot state) get generators here, drawing from the test world's identifiers as well as
others, and times are drawn from the days before the clock's now, so generated events reach
the ledger's rules.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta, timezone
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config._checks import PositiveDataAcceptanceConfig
from schemathesis.core.failures import Failure
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from schemathesis.specs.openapi.formats import unregister_string_format

from ledger.common.clock import FakeClock
from tests.support.apps import app_config
from tests.support.databases import DatabaseFactory
from tests.support.world import (
    COLD_STORE,
    FARM_A,
    FARM_B,
    FRESH_LONGAN,
    LOCATIONS,
    ORGANISATIONS,
    PLOT_A,
    PRODUCTS,
    World,
    with_check_digit,
)
from web import create_app
from web.services import services

#: Generated requests per operation: valid ones, and (fewer) invalid ones.
EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 3}
MASTER_DATA = (
    "/api/v1/organisations",
    "/api/v1/locations",
    "/api/v1/products",
    "/api/v1/input-products",
)
#: Rules that JSON Schema cannot state: across fields (the spec says them in words), between
#: the body and the address, a master record naming one that does not exist, and whether a
#: well-formed GSO code names a unit of its edition (reference data of thousands of communes,
#: changed by the 2025 reorganisation). A valid request refused by these alone is not the
#: spec's fault.
BEYOND_JSON_SCHEMA = {
    "min ≤ mean ≤ max": re.compile(r"Needs min ≤ mean ≤ max\."),
    "period order": re.compile(r"The period ends before it starts\."),
    "a date near its event": re.compile(r"For an event on \S+, this date is between \S+ and \S+\."),
    "a certificate's term": re.compile(
        r"A certificate is valid for at most \d+ years: until \S+\."
    ),
    "a lot named twice": re.compile(r"Lot \S+ is listed twice\."),
    "body and address differ": re.compile(r"The body names .+, the address \S+\."),
    "no such organisation": re.compile(r"There is no organisation with GLN \S+\."),
    "a crop only on a plot": re.compile(r"Only a farm plot has a crop\."),
    "a bound of its kind of product": re.compile(r"Only products of the kinds .+ have \S+\."),
    "the facts of an input's category": re.compile(r"A \S+ needs \S+\.|Only a .+ has \S+\."),
    "a file that is no photo": re.compile(
        r"This file is (not a photo|a PDF document, not a photo); send a JPEG, PNG or WebP "
        r"photo\.|The file is empty; choose or take a photo\.|The photo is damaged or "
        r"incomplete .+"
    ),
    "a photo listed twice": re.compile(r"Photo \S+ is listed twice\."),
    "no such place": re.compile(
        r"\d+ is not (a|the) .*code .+\.|.+ (is|was) in .+, not in .+\.|.+ covers no part of .+\."
    ),
}


def beyond(message: str) -> str | None:
    return next((rule for rule, p in BEYOND_JSON_SCHEMA.items() if p.fullmatch(message)), None)


beyond_json_schema: list[str] = []


def _messages(errors: Any) -> Iterator[str]:
    if isinstance(errors, dict):
        for value in errors.values():
            yield from _messages(value)
    elif isinstance(errors, list):
        for value in errors:
            yield from _messages(value)
    else:
        yield str(errors)


def accepts_valid_requests(ctx: Any, response: Any, case: Any) -> bool | None:
    """``positive_data_acceptance``, but for the rules of :data:`BEYOND_JSON_SCHEMA`."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except Failure:
        if response.status_code == 400:
            found = list(_messages(response.json().get("errors")))
            rules = [beyond(message) for message in found]
            if found and None not in rules:
                beyond_json_schema.append(str(rules[0]))
                return None
        raise


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    accepts_valid_requests,
    negative_data_rejection,
    unsupported_method,
]
#: What a request the spec allows may get: the spec cannot know who may act (403), what exists
#: (404), what was recorded before (409) and what the ledger's rules say of it now (422).
ACCEPTED = ["2xx", "401", "403", "404", "409", "422", "429"]
NOW = FakeClock().now()


def _digits(length: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=length, max_size=length).map(with_check_digit)


GTINS = st.one_of(st.sampled_from(sorted(PRODUCTS)), _digits(13))
GLNS = st.one_of(
    st.sampled_from(sorted({PLOT_A, COLD_STORE, FARM_A, FARM_B, *ORGANISATIONS, *LOCATIONS})),
    _digits(12),
)
LOT_CODES = st.one_of(
    st.sampled_from(["L1", "L2", "NH-01"]), st.from_regex(r"[A-Z0-9]{1,20}", fullmatch=True)
)
LOT_IDS = st.builds(
    lambda gtin, code: f"lot:{gtin}/{code}",
    st.one_of(st.just(FRESH_LONGAN), GTINS),
    LOT_CODES,
)
#: Times in the days before the clock's now, in Vietnam's offset, to the millisecond.
TIMES = st.integers(min_value=60, max_value=5 * 86400).map(
    lambda seconds: (
        (NOW - timedelta(seconds=seconds))
        .astimezone(timezone(timedelta(hours=7)))
        .isoformat(timespec="milliseconds")
    )
)


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
        World(services().log).setup()
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
    services(app).log.engine.dispose()


def exerciser(
    operation: Any, mode: GenerationMode, headers: dict[str, str], statuses: dict[int, int]
) -> Any:
    """A Hypothesis test of one operation in one mode that counts the statuses it saw."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case: Any) -> None:
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    return exercise


@pytest.fixture(scope="module")
def formats() -> Iterator[None]:
    for name, strategy in (
        ("gtin", GTINS),
        ("gln", GLNS),
        ("lot-id", LOT_IDS),
        ("date-time", TIMES),
        ("sscc", _digits(17)),
    ):
        schemathesis.openapi.format(name, strategy)
    yield
    for name in ("gtin", "gln", "lot-id", "date-time", "sscc"):
        unregister_string_format(name)


@pytest.mark.timeout(240)
def test_the_api_keeps_its_spec(schema_app: Flask, formats: None) -> None:
    """Every operation, a bounded number of generated requests each, valid and invalid, as an
    admin for master data and as a farmer for the rest."""
    tokens = schema_app.config["TEST_TOKENS"]
    api = schemathesis.openapi.from_wsgi("/api/openapi.json", schema_app)
    api.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
        expected_statuses=ACCEPTED
    )
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 18
    failures: list[str] = []
    statuses: dict[GenerationMode, dict[int, int]] = {mode: {} for mode in GenerationMode}
    for operation in operations:
        admin = operation.path.startswith(MASTER_DATA)
        headers = {
            "Authorization": f"Bearer {tokens['admin' if admin else 'an']}",
            "Accept-Language": "en",
        }
        for mode in GenerationMode:
            exercise = exerciser(operation, mode, headers, statuses[mode])
            try:
                exercise()
            # Collect every operation's failure (a group of them for each), then report them all.
            except (Exception, BaseExceptionGroup) as error:
                failures.append(f"{operation.label} ({mode.value}): {error}"[:1500])
    print("statuses of valid requests:", dict(sorted(statuses[GenerationMode.POSITIVE].items())))
    print("statuses of invalid requests:", dict(sorted(statuses[GenerationMode.NEGATIVE].items())))
    print("valid requests refused by rules beyond JSON Schema:", Counter(beyond_json_schema))
    assert not failures, "\n\n".join(failures)
    valid = statuses[GenerationMode.POSITIVE]
    assert sum(valid.values()) >= 5 * len(operations), valid
    # Valid requests were recorded, refused for their author and refused by the ledger's rules.
    assert {200, 201, 403, 422} <= set(valid), valid
    assert 400 in statuses[GenerationMode.NEGATIVE], statuses
