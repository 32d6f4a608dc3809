"""Using the field pages as a browser does: signing in through the form, reading a form's hidden
fields, and posting it back."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from ledger.supplychain.masterdata import MasterData
from tests.support.apps import PASSWORD
from tests.support.inputs import setup_inputs
from tests.support.world import (
    ADMIN,
    AUTHORITY,
    CHICKEN_FARM,
    CHICKEN_FARMER,
    COLLECTOR,
    FARM_A,
    HOUSE,
    LIVE_CHICKEN,
    PACKHOUSE,
    RETAILER,
    World,
    gln,
    lot,
)
from web.services import services

_HIDDEN = re.compile(r'<input type="hidden" name="(csrf_token|submission)" value="([^"]*)">')


def sign_in(
    client: FlaskClient, username: str, language: str = "vi", password: str = PASSWORD
) -> TestResponse:
    """Sign in through the page's form, as a person does; the answer is where it led."""
    page = client.get(f"/sign-in?lang={language}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    return client.post(
        "/sign-in",
        data={"csrf_token": token.group(1), "username": username, "password": password},
    )


def hidden_fields(html: str) -> dict[str, str]:
    """The CSRF token and the submission id a form page carries."""
    return dict(_HIDDEN.findall(html))


class _FormValues(HTMLParser):
    """What a browser would send of a page's event form before anyone types: every input's
    value, the checked boxes, each select's selected option, every textarea's text."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        name = found.get("name")
        if tag == "input" and name and found.get("type") not in ("file", "submit"):
            if found.get("type") != "checkbox" or "checked" in found:
                self.values[name] = found.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in found:
            self.values[self._select] = found.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data


def form_values(html: str) -> dict[str, str]:
    parser = _FormValues()
    parser.feed(html)
    return parser.values


def post_form(
    client: FlaskClient, path: str, values: dict[str, Any], *, page: str | None = None
) -> TestResponse:
    """Open the form at ``path`` (or use the ``page`` already shown) and post what a browser
    would: its values as shown, with ``values`` typed over them."""
    html = page if page is not None else client.get(path).get_data(as_text=True)
    data = {**form_values(html), **{k: str(v) for k, v in values.items()}}
    return client.post(path, data=data)


#: An account per role of the test supply chain (tests/support/world.py).
FIELD_ACCOUNTS = (
    ("an", "farmer", FARM_A),
    ("trai-ga", "farmer", CHICKEN_FARM),
    ("thu-gom", "distributor", COLLECTOR),
    ("so-che", "processor", PACKHOUSE),
    ("sieu-thi", "retailer", RETAILER),
    ("kiem-tra", "auditor", AUTHORITY),
)
#: The flock :func:`place_flock` puts in the chicken farm's house.
FLOCK = lot(LIVE_CHICKEN, "FLOCK-1")
#: A second plot of farm A, for the tests that spray: the first stays free to harvest.
SPRAYED_PLOT = gln(120)


def place_flock(world: World) -> None:
    """The farm inputs (tests/support/inputs.py), farm A's second plot, and a flock of 500 in
    the chicken farm's house, a day ago."""
    masterdata = MasterData(world.log.engine, world.log.clock)
    setup_inputs(masterdata)
    masterdata.save(
        ADMIN,
        "location",
        SPRAYED_PLOT,
        {
            "organisation": FARM_A,
            "kind": "farm_plot",
            "name": "Vườn nhãn An 2",
            "commune_code": "12361",
            "in_gi_area": True,
            "area_ha": "0.4",
            "crop": "fresh_longan",
        },
        "seed",
    )
    world.record(
        CHICKEN_FARMER,
        "flock.placement",
        {"house": HOUSE, "lot": FLOCK, "breed": "Gà đồi Tiên Yên", "head_count": 500},
        event_time=world.time(days_ago=1),
    )


def signed_in(app: Flask, username: str, language: str = "vi") -> FlaskClient:
    """A browser signed in to ``username``, reading pages in ``language``."""
    client = app.test_client()
    answer = sign_in(client, username, language)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return client


def ledger_size(app: Flask) -> int:
    with app.app_context():
        return services().log.size()


def shown_value(html: str, name: str) -> str:
    """The value a form's input ``name`` shows."""
    found = re.search(rf'name="{name}"[^>]*?value="([^"]*)"', html)
    assert found is not None, name
    return found.group(1)
