"""Every field page and form, held to the field conditions (tests/support/browser.py) at 360 × 740
and 1024 × 768, with screenshots kept under ``TEST_ARTIFACTS``: the home of each role, each
farmer form of the registry (empty, then re-shown with the server's errors), "my records" and a
record, the scan page and its count of cartons, the lot card of each kind of lot a role sees,
and each action of the card (its form, then re-shown with errors).

The forms and actions come from their registries (``web.field.forms.REGISTRY``,
``web.field.lot_actions.ACTIONS``), and the account that opens each is the one whose home or
card offers it: a new form or action is checked without a line added here, and one no account
of the test supply chain is offered fails rather than going unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask

import web.field.farm  # noqa: F401 - the farmer's forms register themselves when it is read
from tests.support.apps import create_accounts
from tests.support.browser import (
    TABLET,
    browser_app,
    check_field_page,
    live_server,
    sign_in_page,
)
from tests.support.databases import DatabaseFactory
from tests.support.field import place_flock, post_form, signed_in
from tests.support.handover import build_dock
from tests.support.world import CHICKEN_FARM, PLOT_A, World
from web.field.forms import REGISTRY
from web.field.lot_actions import ACTIONS
from web.services import services

pytestmark = pytest.mark.timeout(120)
#: The accounts of the dock (tests/support/handover.py) and the chicken farm's.
HOMES = ("nong-dan", "trai-ga", "thu-gom", "dong-goi", "lo-mo", "sieu-thi")
FARMERS = ("nong-dan", "trai-ga")
#: A value every form refuses: a day long after any harvest.
FAR_FUTURE = "2999-12-31T08:00"


@dataclass(frozen=True)
class Site:
    base: str
    app: Flask
    #: Form slug → the farmer whose home offers it.
    form_user: dict[str, str]
    #: Action → (username, lot id) whose card offers it.
    action_user: dict[str, tuple[str, str]]
    #: Lots whose card is shown: name → (username, lot id).
    cards: dict[str, tuple[str, str]]
    record: str


def card_path(lot_id: str, action: str | None = None) -> str:
    path = f"/field/lots/{quote(lot_id, safe='')}"
    return f"{path}?action={action}" if action else path


@pytest.fixture(scope="module")
def site(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    app = browser_app(databases, tmp_path_factory.mktemp("every-page"), HYT_LANGUAGE="vi")
    with live_server(app) as base:
        dock = build_dock(app, base)
        with app.app_context():
            place_flock(World(services().log))
        create_accounts(app, (("trai-ga", "farmer", CHICKEN_FARM),))
        clients = {username: signed_in(app, username) for username in HOMES}
        form_user: dict[str, str] = {}
        for username in FARMERS:
            home = clients[username].get("/field/").get_data(as_text=True)
            for slug in re.findall(r'href="/field/record/([a-z-]+)"', home):
                form_user.setdefault(slug, username)
        cards = {
            "shipment": ("thu-gom", dock.shipped_lot),
            "held": ("dong-goi", dock.good_lot),
            "recalled": ("dong-goi", dock.recalled_lot),
            "flock": ("lo-mo", dock.flock),
        }
        action_user: dict[str, tuple[str, str]] = {}
        for username, lot_id in cards.values():
            card = clients[username].get(card_path(lot_id)).get_data(as_text=True)
            for action in re.findall(r'id="action-([a-z]+)"', card):
                action_user.setdefault(action, (username, lot_id))
        recorded = post_form(
            clients["nong-dan"], "/field/record/irrigation", {"plot": PLOT_A, "volume_m3": "2,5"}
        )
        assert recorded.status_code == 303
        yield Site(base, app, form_user, action_user, cards, recorded.headers["Location"])


@pytest.fixture(scope="module")
def pages(browser: Any, site: Site) -> Iterator[dict[str, Any]]:
    """One signed-in tablet page per account, for the module (signing in checks an Argon2 hash)."""
    contexts = []
    found = {}
    for username in HOMES:
        context = browser.new_context(viewport=TABLET, has_touch=True, locale="vi-VN")
        contexts.append(context)
        page = sign_in_page(context.new_page(), site.base, username)
        assert page.url == f"{site.base}/field/"
        found[username] = page
    yield found
    for context in contexts:
        context.close()


def refuse(page: Any) -> None:
    """Send the form as shown with a day no form takes and every number as ``1.500``; the
    server re-shows it with its errors."""
    for number in page.locator("form.event-form input[data-number]").all():
        if number.is_visible():
            number.fill("1.500")
    when = page.locator("form.event-form input[name=when]")
    if when.count():
        when.fill(FAR_FUTURE)
    with page.expect_navigation():
        page.click("form.event-form button[type=submit]")
    assert page.locator("form.event-form .error").count() > 0, page.url


@pytest.mark.parametrize("username", HOMES)
def test_each_roles_home(pages: dict[str, Any], site: Site, username: str) -> None:
    page = pages[username]
    page.goto(f"{site.base}/field/")
    assert page.locator("h1").inner_text() == "Việc hôm nay"
    check_field_page(page, f"home-{username}")


@pytest.mark.parametrize("slug", sorted(REGISTRY))
def test_each_farmer_form_and_its_errors(pages: dict[str, Any], site: Site, slug: str) -> None:
    assert slug in site.form_user, f"no farmer of the test supply chain is offered {slug!r}"
    page = pages[site.form_user[slug]]
    page.goto(f"{site.base}/field/record/{slug}")
    check_field_page(page, f"form-{slug}")
    refuse(page)
    check_field_page(page, f"form-{slug}-errors")


def test_my_records_and_a_record(pages: dict[str, Any], site: Site) -> None:
    page = pages["nong-dan"]
    page.goto(f"{site.base}/field/records")
    assert page.locator(".record-recorded").count() >= 1
    check_field_page(page, "records")
    page.goto(site.base + site.record)
    assert page.locator(".done").is_visible()
    check_field_page(page, "record")


def test_the_scan_page_and_the_count_of_cartons(pages: dict[str, Any], site: Site) -> None:
    page = pages["thu-gom"]
    page.goto(f"{site.base}/field/scan")
    page.wait_for_selector("#scanner[data-ready]")
    check_field_page(page, "scan-page")
    _, shipment = site.cards["shipment"]
    page.goto(f"{site.base}/field/scan?receive={quote(shipment, safe='')}")
    page.wait_for_selector("#scanner[data-ready]")
    check_field_page(page, "scan-count")


@pytest.mark.parametrize("name", ["shipment", "held", "recalled", "flock"])
def test_each_kind_of_lot_card(pages: dict[str, Any], site: Site, name: str) -> None:
    username, lot_id = site.cards[name]
    page = pages[username]
    page.goto(site.base + card_path(lot_id))
    assert page.locator("#lot-holder").is_visible()
    who = page.locator("form.account > span").inner_text()
    assert who.startswith(f"{username} · ")
    assert not re.search(r"[0-9]{13}", who), who
    check_field_page(page, f"card-{name}")


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_lot_action_and_its_errors(pages: dict[str, Any], site: Site, action: str) -> None:
    assert action in site.action_user, f"no card of the test dock offers {action!r}"
    username, lot_id = site.action_user[action]
    page = pages[username]
    page.goto(site.base + card_path(lot_id, action))
    assert page.locator("form.event-form").is_visible()
    check_field_page(page, f"action-{action}")
    refuse(page)
    check_field_page(page, f"action-{action}-errors")
