"""Sessions that end when they should, and failure limits that never lock out a valid credential.

Each test signs in from its own client address (``REMOTE_ADDR``), since failure counts are kept
per address and account for a minute, in the process's memory.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ledger.common.clock import FakeClock
from tests.support.apps import PASSWORD, app_config, create_accounts, create_tokens
from tests.support.databases import DatabaseFactory
from tests.support.world import FARM_A, FARM_B, FRESH_LONGAN, PACKHOUSE, PLOT_A, World
from web import create_app
from web.services import services

ADDRESSES = (f"10.12.{n // 250}.{n % 250 + 1}" for n in itertools.count())
LOT_PATH = f"/api/v1/lots?gtin={FRESH_LONGAN}"


@pytest.fixture(scope="module")
def auth_app(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    app = create_app(
        app_config(
            databases.sqlite(),
            tmp_path_factory.mktemp("auth"),
            LOGIN_LIMIT="5 per minute",
            LOGIN_CLIENT_LIMIT="12 per minute",
            AUTH_FAILURE_LIMIT="8 per minute",
        ),
        clock=FakeClock(),
    )
    assert app.test_cli_runner().invoke(args=["ledger", "init"]).exit_code == 0
    with app.app_context():
        World(services().log).setup()
    create_accounts(
        app,
        (
            *((f"an-{n}", "farmer", FARM_A) for n in range(8)),
            ("binh", "farmer", FARM_B),
            ("dong-goi", "processor", PACKHOUSE),
        ),
    )
    yield app
    services(app).log.engine.dispose()


def browser(app: Flask, address: str | None = None) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address or next(ADDRESSES)
    return client


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/session", json={"username": username, "password": password})


def harvest(code: str) -> dict[str, Any]:
    return {
        "type": "harvest",
        "event_time": "2026-07-15T06:00:00+07:00",
        "data": {
            "plot": PLOT_A,
            "lot": f"lot:{FRESH_LONGAN}/{code}",
            "quantity": "10",
            "data_source": "measured",
        },
    }


def stolen(client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie (a thief's, or a kept
    copy after the browser was told to forget it)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = browser(client.application)
    thief.set_cookie("session", cookie.value)
    return thief


# --- sessions end when they should -------------------------------------------------------------


def test_signing_out_ends_the_session_on_the_server(auth_app: Flask) -> None:
    client = browser(auth_app)
    csrf = sign_in(client, "an-0").json["csrf_token"]
    copy = stolen(client)
    assert copy.get(LOT_PATH).status_code == 200
    assert client.delete("/api/v1/session").status_code == 204
    assert copy.get(LOT_PATH).status_code == 401
    refused = copy.post("/api/v1/events", json=harvest("OUT-1"), headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 401
    again = browser(auth_app)
    sign_in(again, "an-0")
    assert again.get(f"/api/v1/lots/{FRESH_LONGAN}/OUT-1").status_code == 404  # not recorded


def test_signing_out_ends_every_session_of_the_account(auth_app: Flask) -> None:
    phone, tablet = browser(auth_app), browser(auth_app)
    sign_in(phone, "an-1")
    sign_in(tablet, "an-1")
    assert tablet.get(LOT_PATH).status_code == 200
    phone.delete("/api/v1/session")
    assert tablet.get(LOT_PATH).status_code == 401


def test_a_new_password_ends_every_other_session_and_keeps_this_one(auth_app: Flask) -> None:
    here, elsewhere = browser(auth_app), browser(auth_app)
    csrf = sign_in(here, "an-2").json["csrf_token"]
    sign_in(elsewhere, "an-2")
    wrong = here.put(
        "/api/v1/session/password",
        json={"current_password": "không phải", "new_password": "mật-khẩu-mới-2026"},
        headers={"X-CSRF-Token": csrf},
    )
    assert wrong.status_code == 403
    changed = here.put(
        "/api/v1/session/password",
        json={"current_password": PASSWORD, "new_password": "mật-khẩu-mới-2026"},
        headers={"X-CSRF-Token": csrf},
    )
    assert changed.status_code == 200, changed.json
    assert elsewhere.get(LOT_PATH).status_code == 401
    assert here.get(LOT_PATH).status_code == 200  # signed in again, on the new generation
    written = here.post(
        "/api/v1/events",
        json=harvest("PW-1"),
        headers={"X-CSRF-Token": changed.json["csrf_token"]},
    )
    assert written.status_code == 201, written.json
    assert sign_in(browser(auth_app), "an-2").status_code == 401
    assert sign_in(browser(auth_app), "an-2", "mật-khẩu-mới-2026").status_code == 200


def test_deactivating_an_account_ends_its_sessions(auth_app: Flask) -> None:
    client = browser(auth_app)
    sign_in(client, "an-3")
    copy = stolen(client)
    with auth_app.app_context():
        services().accounts.set_active("an-3", False, by="test")
    assert client.get(LOT_PATH).status_code == 401
    assert copy.get(LOT_PATH).status_code == 401
    with auth_app.app_context():
        services().accounts.set_active("an-3", True, by="test")
    assert copy.get(LOT_PATH).status_code == 401, "reactivation does not revive old sessions"


def _form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_the_pages_sign_out_every_session_too(auth_app: Flask) -> None:
    client = browser(auth_app)
    form = client.get("/sign-in").get_data(as_text=True)
    signed_in = client.post(
        "/sign-in",
        data={"username": "dong-goi", "password": PASSWORD, "csrf_token": _form_token(form)},
    )
    assert signed_in.status_code == 303
    copy = stolen(client)
    home = client.get("/").get_data(as_text=True)
    assert "dong-goi" in home
    page = "/print/" + f"{FRESH_LONGAN}/NOPE"
    assert copy.get(page).status_code != 303  # the copy is signed in: it gets past sign-in
    forged = client.post("/sign-out", data={})
    assert forged.status_code == 403
    signed_out = client.post("/sign-out", data={"csrf_token": _form_token(home)})
    assert signed_out.status_code == 303
    assert copy.get(page).status_code == 303  # back to the sign-in page
    assert copy.get(LOT_PATH).status_code == 401


# --- failures never lock out a valid credential ------------------------------------------------


def test_bogus_tokens_never_lock_out_a_valid_token(auth_app: Flask) -> None:
    [token] = create_tokens(auth_app, ("binh",)).values()
    attacker = browser(auth_app, "10.99.0.1")
    statuses = [
        attacker.get(LOT_PATH, headers={"Authorization": f"Bearer hyt_bogus{n}"}).status_code
        for n in range(30)
    ]
    statuses += [attacker.get(LOT_PATH).status_code for _ in range(30)]  # no token at all
    assert set(statuses) == {401, 429}
    assert statuses[-1] == 429
    limited = attacker.get(LOT_PATH)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    # The same address (a shared proxy) with a valid token is served, every time.
    for _ in range(5):
        valid = attacker.get(LOT_PATH, headers={"Authorization": f"Bearer {token}"})
        assert valid.status_code == 200


def test_a_correct_password_is_not_refused_for_others_failures(auth_app: Flask) -> None:
    attacker = browser(auth_app, "10.99.0.2")
    answers = [sign_in(attacker, "an-4", f"đoán-{n}").status_code for n in range(8)]
    assert answers[:5] == [401] * 5
    assert answers[5:] == [429] * 3  # this client guessing this account is stopped
    # The owner, from another address, signs in.
    assert sign_in(browser(auth_app, "10.99.0.3"), "an-4").status_code == 200
    # Another person behind the attacker's address signs in to another account.
    assert sign_in(browser(auth_app, "10.99.0.2"), "an-5").status_code == 200


def test_a_device_that_signed_in_before_is_never_locked_out_by_its_address(
    auth_app: Flask,
) -> None:
    """Behind a proxy counted as one address, others' failures use up the address's budget;
    a browser that signed in to its account before still signs in."""
    shared = "10.99.0.4"
    owner = browser(auth_app, shared)
    assert sign_in(owner, "an-6").status_code == 200
    assert owner.get_cookie("hyt_device") is not None
    owner.delete("/api/v1/session")
    others = browser(auth_app, shared)
    for n in range(14):
        sign_in(others, f"an-{n % 2 + 6}", f"sai-{n}")
    assert sign_in(browser(auth_app, shared), "an-7").status_code == 429
    assert sign_in(owner, "an-6").status_code == 200
    # Its own device is still limited against guessing with it.
    thief = browser(auth_app, "10.99.0.5")
    thief.set_cookie("hyt_device", owner.get_cookie("hyt_device").value)  # type: ignore[union-attr]
    guesses = [sign_in(thief, "an-6", f"đoán-{n}").status_code for n in range(7)]
    assert guesses[-1] == 429


def test_the_sign_in_page_says_when_to_try_again(auth_app: Flask) -> None:
    client = browser(auth_app)
    for n in range(6):
        token = _form_token(client.get("/sign-in").get_data(as_text=True))
        answer = client.post(
            "/sign-in", data={"username": "binh", "password": f"sai-{n}", "csrf_token": token}
        )
    assert answer.status_code == 429
    assert "hãy chờ" in answer.get_data(as_text=True)  # Vietnamese first, on the form itself
    assert 'name="password"' in answer.get_data(as_text=True)
