"""The lot card over HTTP: what it shows, the actions each role is offered (and only those), and
each action's form refusing bad input on its field with nothing recorded, then recording."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ledger.supplychain import lots
from schemas.photos import process_photo
from tests.support.browser import browser_app
from tests.support.databases import DatabaseFactory
from tests.support.field import post_form, sign_in
from tests.support.handover import Dock, build_dock, lot_of
from tests.support.photos import small_jpeg
from tests.support.world import (
    BUTCHER,
    CARCASS,
    CHICKEN_FARMER,
    COLLECTOR,
    FARMER_A,
    FRESH_LONGAN,
    HOUSE,
    LIVE_CHICKEN,
    PACKED_LONGAN,
    PACKHOUSE,
    PACKHOUSE_SITE,
    PLOT_A,
    SLAUGHTER_SITE,
    SLAUGHTERHOUSE,
    World,
    lot,
)
from web.field.lot_actions import ACTIONS
from web.services import services

pytestmark = pytest.mark.timeout(90)
WHEN = "2026-07-15T08:00"


@pytest.fixture(scope="module")
def dock_app(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Flask, Dock]]:
    app = browser_app(databases, tmp_path_factory.mktemp("lot-card"))
    yield app, build_dock(app)
    services(app).log.engine.dispose()


@pytest.fixture(scope="module")
def browsers(dock_app: tuple[Flask, Dock]) -> dict[str, FlaskClient]:
    """A signed-in browser per account of the dock."""
    app, _ = dock_app
    found = {}
    for username in ("dong-goi", "thu-gom", "nong-dan", "kiem-tra", "sieu-thi", "lo-mo"):
        client = app.test_client()
        assert sign_in(client, username, "en").status_code == 303
        found[username] = client
    return found


def _card(lot_id: str) -> str:
    return f"/field/lots/{quote(lot_id, safe='')}"


def _actions(client: FlaskClient, lot_id: str) -> list[str]:
    page = client.get(_card(lot_id))
    assert page.status_code == 200
    return re.findall(r'id="action-([a-z]+)"', page.get_data(as_text=True))


def _size(app: Flask) -> int:
    return services(app).log.size()


def test_the_card_names_the_product_holder_quantity_and_events(
    dock_app: tuple[Flask, Dock], browsers: dict[str, FlaskClient]
) -> None:
    _, dock = dock_app
    page = browsers["thu-gom"].get(_card(dock.shipped_lot)).get_data(as_text=True)
    assert "<h1>Nhãn lồng hộp 1 kg</h1>" in page
    assert 'id="lot-holder">Nhà sơ chế Khoái Châu<' in page
    assert 'id="lot-receiver">Thu gom Hưng Long<' in page
    assert 'id="lot-quantity">4 kg · 4' in page
    assert "Shipped 4 kg to Thu gom Hưng Long" in page
    # Local time, in the reader's format; no GLN where a name is known.
    assert re.search(r'class="when">[^<]*[0-9]{1,2}:[0-9]{2}[^<]* · Nhà sơ chế', page)
    # Vietnamese first: the same card for a reader of Vietnamese.
    vietnamese = (
        browsers["thu-gom"].get(f"{_card(dock.shipped_lot)}?lang=vi").get_data(as_text=True)
    )
    assert "Giao 4 kg cho Thu gom Hưng Long" in vietnamese
    assert "Nhận lô hàng này" in vietnamese
    browsers["thu-gom"].get(f"{_card(dock.shipped_lot)}?lang=en")
    # The id as a path, escaped or not, and GTIN/code alone open the same card.
    for path in (f"/field/lots/{dock.shipped_lot}", f"/field/lots/{dock.shipped_lot[4:]}"):
        assert browsers["thu-gom"].get(path).status_code == 200
    # A lot the ledger does not know, or no lot id at all: a page that says so, never a 500.
    gtin = dock.shipped_lot[4:18]
    for path, status in (
        (f"/field/lots/lot:{gtin}/NOPE", 404),
        ("/field/lots/rác", 400),
        (f"/field/lots/lot:{gtin}/{'x' * 10_000}", 400),
        (f"{_card(dock.shipped_lot)}?action=teleport", 403),
    ):
        answer = browsers["thu-gom"].get(path)
        assert answer.status_code == status, path
        assert "Traceback" not in answer.get_data(as_text=True)


def test_a_recalled_lot_says_so_in_red_with_the_reason(
    dock_app: tuple[Flask, Dock], browsers: dict[str, FlaskClient]
) -> None:
    _, dock = dock_app
    page = browsers["dong-goi"].get(_card(dock.recalled_lot)).get_data(as_text=True)
    assert 'class="status status-recalled"' in page
    assert "Dư lượng thuốc bảo vệ thực vật vượt mức cho phép" in page
    offered = _actions(browsers["dong-goi"], dock.recalled_lot)
    assert not {"ship", "pack", "merge", "sell", "labels"} & set(offered)
    assert "loss" in offered


@pytest.mark.parametrize(
    ("username", "lot", "expected"),
    [
        ("thu-gom", "shipped", ["receive"]),
        ("dong-goi", "shipped", []),  # on its way: the sender holds it no more
        (
            "dong-goi",
            "good",
            ["ship", "pack", "merge", "labels", "store", "cooling", "sell", "loss"],
        ),
        ("thu-gom", "good", []),
        ("nong-dan", "good", []),
        ("kiem-tra", "good", []),
        ("sieu-thi", "shipped", []),
        ("lo-mo", "flock", ["ship", "slaughter", "store", "cooling", "sell", "loss"]),
        ("dong-goi", "flock", []),
    ],
)
def test_each_role_is_offered_what_it_may_do_and_nothing_else(
    dock_app: tuple[Flask, Dock],
    browsers: dict[str, FlaskClient],
    username: str,
    lot: str,
    expected: list[str],
) -> None:
    _, dock = dock_app
    lot_id = {"shipped": dock.shipped_lot, "good": dock.good_lot, "flock": dock.flock}[lot]
    offered = _actions(browsers[username], lot_id)
    assert offered == expected
    # What is not offered is not served either.
    refused = browsers[username].get(f"{_card(lot_id)}?action=ship")
    assert refused.status_code == (200 if "ship" in expected else 403)


def _bad_then_good(
    app: Flask,
    client: FlaskClient,
    lot_id: str,
    action: str,
    bad: list[tuple[dict[str, str], str, str]],
    good: dict[str, str],
) -> Any:
    """Each bad input refused on its field (422, no entry); then the good one recorded."""
    path = f"{_card(lot_id)}?action={action}"
    for values, field, says in bad:
        before = _size(app)
        answer = post_form(client, path, {"when": WHEN, **values})
        page = answer.get_data(as_text=True)
        assert answer.status_code == 422, (action, values, page[-2000:])
        assert _size(app) == before, (action, values)
        errors = re.findall(rf'id="f-{field}-error">([^<]*)<', page)
        general = re.findall(r'<div class="problems" role="alert">(.*?)</div>', page, re.DOTALL)
        assert says in " ".join(errors + general), (action, values, errors, general)
    before = _size(app)
    answer = post_form(client, path, {"when": WHEN, **good})
    assert answer.status_code == 303, answer.get_data(as_text=True)[-3000:]
    assert f"done={action}" in answer.headers["Location"]
    assert _size(app) == before + 1
    return answer


LONG = "x" * 10_000
FLOOD = "a" + "\u0301" * 50


def test_the_holders_actions_refuse_bad_input_then_record(
    dock_app: tuple[Flask, Dock], browsers: dict[str, FlaskClient]
) -> None:
    app, dock = dock_app
    packer = browsers["dong-goi"]
    lot_id = dock.work_lot
    _bad_then_good(
        app,
        packer,
        lot_id,
        "store",
        [
            (
                {"direction": "in", "site": PACKHOUSE_SITE, "readings": "bốn"},
                "readings",
                "not a number",
            )
        ],
        {"direction": "in", "site": PACKHOUSE_SITE, "readings": "4,5; 5"},
    )
    _bad_then_good(
        app,
        packer,
        lot_id,
        "cooling",
        [
            ({"readings": ""}, "readings", "required"),
            ({"readings": "1,500"}, "readings", "1500"),
        ],
        {"readings": "3,5 4 -1"},
    )
    _bad_then_good(
        app,
        packer,
        lot_id,
        "sell",
        [
            ({"quantity": "abc"}, "quantity", "not a number"),
            ({"quantity": "1,500"}, "quantity", "1500"),
            ({"quantity": "9999"}, "quantity", "5 kg available"),
        ],
        {"quantity": "1"},
    )
    _bad_then_good(
        app,
        packer,
        lot_id,
        "loss",
        [
            ({"quantity": "0,5", "stage": "storage", "reason": LONG}, "reason", "at most"),
            ({"quantity": "0,5", "stage": "storage", "reason": "vỡ\x07"}, "reason", "control"),
            ({"quantity": "0,5", "stage": "storage", "reason": FLOOD}, "reason", "accent marks"),
            ({"quantity": "0,5", "stage": "moon", "reason": "vỡ"}, "stage", "Choose one"),
        ],
        {"quantity": "0,5", "stage": "storage", "reason": "Hộp bị dập"},
    )
    packed_answer = _bad_then_good(
        app,
        packer,
        lot_id,
        "pack",
        [
            (
                {"output_gtin": PACKED_LONGAN, "output_code": "Ẽ mã", "quantity": "1"},
                "output_code",
                "character set 82",
            ),
            (
                {
                    "output_gtin": PACKED_LONGAN,
                    "output_code": "PK1",
                    "quantity": "1",
                    "units": "1,5",
                },
                "units",
                "whole",
            ),
        ],
        {"output_gtin": PACKED_LONGAN, "output_code": "PK1", "quantity": "1", "units": "1"},
    )
    # The packed lot's card comes next, where its labels are issued.
    packed = f"lot:{PACKED_LONGAN}/PK1"
    assert packed_answer.headers["Location"] == f"/field/lots/{packed}?done=pack&action=labels"
    labels_form = packer.get(packed_answer.headers["Location"]).get_data(as_text=True)
    assert 'name="count" value="1"' in labels_form
    assert "labels" in _actions(packer, packed)
    _bad_then_good(
        app, packer, packed, "labels", [({"count": "một"}, "count", "not a number")], {"count": "1"}
    )
    ship = {
        "receiver": COLLECTOR,
        "quantity": "1",
        "vehicle_class": "van",
        "transport_document": "29C-123.45",
        "distance_km": "42",
    }
    _bad_then_good(
        app,
        packer,
        lot_id,
        "ship",
        [
            ({**ship, "sscc": "123456789012345678"}, "sscc", "check digit"),
            ({**ship, "transport_document": LONG}, "transport_document", "at most"),
            ({**ship, "distance_km": "4O"}, "distance_km", "not a number"),
            ({**ship, "receiver": "8930000000000"}, "receiver", "Choose one"),
        ],
        ship,
    )
    # What is left merges with the other lot of the product the packhouse holds.
    _bad_then_good(
        app,
        packer,
        lot_id,
        "merge",
        [({"with": "lot:rác", "output_code": "M1"}, "with", "Choose one")],
        {"with": f"lot:{PACKED_LONGAN}/PK1", "output_code": "M1"},
    )
    with app.app_context():
        merged = lots.lot(services().log.engine, f"lot:{PACKED_LONGAN}/M1")
    assert (merged["holder"], merged["quantity"]) == (PACKHOUSE, "2.5")


def test_the_receiver_receives_all_a_shortfall_or_refuses(
    dock_app: tuple[Flask, Dock], browsers: dict[str, FlaskClient]
) -> None:
    app, dock = dock_app
    collector = browsers["thu-gom"]
    for odd in ("²", "٣", "3" * 12, "-1"):  # digits of other scripts, too many, a sign
        proposed = collector.get(f"{_card(dock.second_shipment)}?action=receive&counted={odd}")
        assert proposed.status_code == 200, odd
        assert '<option value="shortfall" selected>' not in proposed.get_data(as_text=True)
    answer = collector.get(f"{_card(dock.second_shipment)}?action=receive&counted=3")
    page = answer.get_data(as_text=True)
    # After a count of three of the four boxes: a shortfall of one box is what the form proposes.
    assert re.search(r'<option value="shortfall" selected>', page)
    assert 'name="quantity" value="3"' in page
    _bad_then_good(
        app,
        collector,
        dock.second_shipment,
        "receive",
        [
            ({"outcome": "shortfall", "quantity": "3"}, "shortfall_reason", "reason"),
            ({"outcome": "shortfall"}, "quantity", "quantity that arrived"),
            (
                {"outcome": "shortfall", "quantity": "5", "shortfall_reason": "?"},
                "quantity",
                "only 4",
            ),
            ({"outcome": "refused"}, "refusal_reason", "Say why"),
        ],
        {
            "outcome": "shortfall",
            "quantity": "3",
            "shortfall_reason": "Một hộp bị vỡ",
            "readings": "5",
        },
    )
    with app.app_context():
        received = lots.lot(services().log.engine, dock.second_shipment)
    assert (received["holder"], received["quantity"]) == (COLLECTOR, "3")


def test_the_slaughterhouse_slaughters_its_flock(
    dock_app: tuple[Flask, Dock], browsers: dict[str, FlaskClient]
) -> None:
    app, dock = dock_app
    form = browsers["lo-mo"].get(f"{_card(dock.flock)}?action=slaughter").get_data(as_text=True)
    # Heavier birds than the product's bound are recorded with a reason: the field is there,
    # asked for only when the ledger finds the weight beyond it.
    assert 'data-name="plausibility_reason"' in form
    _bad_then_good(
        app,
        browsers["lo-mo"],
        dock.flock,
        "slaughter",
        [
            (
                {
                    "head_count": "10",
                    "carcass_gtin": CARCASS,
                    "output_code": "T1",
                    "carcass_kg": "1,500",
                },
                "carcass_kg",
                "1500",
            ),
            (
                {
                    "head_count": "mười",
                    "carcass_gtin": CARCASS,
                    "output_code": "T1",
                    "carcass_kg": "15",
                },
                "head_count",
                "not a number",
            ),
        ],
        {
            "head_count": "10",
            "carcass_gtin": CARCASS,
            "output_code": "T1",
            "carcass_kg": "15,5",
            "site": SLAUGHTER_SITE,
        },
    )


def test_labels_beyond_the_units_are_refused_with_the_ledgers_reason(
    dock_app: tuple[Flask, Dock], browsers: dict[str, FlaskClient]
) -> None:
    app, dock = dock_app
    before = _size(app)
    path = f"{_card(lot_of(dock.labels['revoked'][0]))}?action=labels"
    answer = post_form(browsers["dong-goi"], path, {"when": WHEN, "count": "500"})
    assert answer.status_code == 422
    assert _size(app) == before
    assert "Traceback" not in answer.get_data(as_text=True)


def test_the_slaughter_form_names_the_withdrawal_period_and_a_refusal_reopens_filled_in(
    dock_app: tuple[Flask, Dock], browsers: dict[str, FlaskClient]
) -> None:
    app, dock = dock_app
    treated = lot(LIVE_CHICKEN, "G-TREATED")
    with app.app_context():
        world = World(services().log)
        world.record(
            CHICKEN_FARMER,
            "flock.placement",
            {"house": HOUSE, "lot": treated, "breed": "Gà Mía", "head_count": 50},
            event_time=world.time(days_ago=20),
        )
        world.record(
            CHICKEN_FARMER,
            "flock.treatment",
            {
                "flock": treated,
                "product": "Tylosin 20%",
                "active_substance": "Tylosin",
                "dose": "1",
                "dose_unit": "g/l nước",
                "withdrawal_days": 7,
                "vet": "tv-012",
            },
        )
        world.ship(CHICKEN_FARMER, treated, "50", SLAUGHTERHOUSE)
        world.receive(BUTCHER, treated, "50")
    butcher = browsers["lo-mo"]
    path = f"{_card(treated)}?action=slaughter"
    form = butcher.get(path).get_data(as_text=True)
    # Before it is sent: the treatment still in its withdrawal period and when slaughter may be.
    [notice] = re.findall(r'<p class="notice">([^<]+)</p>', form)
    assert "Tylosin 20%" in notice, notice
    assert "7 more days" in notice, notice
    assert "slaughter is allowed from" in notice
    assert not re.findall(
        r'<p class="notice">',
        butcher.get(f"{_card(dock.flock)}?action=slaughter").get_data(as_text=True),
    )
    before = _size(app)
    typed = {
        "head_count": "12",
        "carcass_gtin": CARCASS,
        "output_code": "T-WAIT",
        "carcass_kg": "18,5",
    }
    refused = post_form(butcher, path, {"when": WHEN, **typed}, page=form)
    assert refused.status_code == 422
    assert _size(app) == before
    # My records: the refusal, and "fix and send again" reopens the card's form as it was sent.
    records = butcher.get("/field/records").get_data(as_text=True)
    resend = re.search(r'href="(/field/lots/[^"]*resend=([0-9a-f-]+))"', records)
    assert resend is not None, records[-3000:]
    assert "Slaughter" in records
    assert "G-TREATED" in records
    reopened = butcher.get(resend.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert 'name="head_count" value="12"' in reopened
    assert 'name="output_code" value="T-WAIT"' in reopened
    assert 'name="carcass_kg" value="18,5"' in reopened
    assert f'name="submission" value="{resend.group(2)}"' in reopened
    assert "withdrawal period" in reopened
    one = butcher.get(f"/field/records/{resend.group(2)}").get_data(as_text=True)
    assert resend.group(1) in one
    # Opened on another lot's card, the submission fills in nothing: a new form.
    elsewhere = butcher.get(
        f"{_card(dock.flock)}?action=slaughter&resend={resend.group(2)}"
    ).get_data(as_text=True)
    assert 'value="T-WAIT"' not in elsewhere
    assert f'value="{resend.group(2)}"' not in elsewhere
    # Another account cannot reopen it at all.
    assert 'value="T-WAIT"' not in browsers["dong-goi"].get(
        resend.group(1).replace("&amp;", "&")
    ).get_data(as_text=True)


def _toggle(client: FlaskClient, lot_id: str, sha: str, public: str, **extra: str) -> Any:
    page = client.get(_card(lot_id)).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    data = {"csrf_token": token.group(1) if token else "", "lot": lot_id, "public": public}
    return client.post(f"/field/photos/{sha}/label-page", data={**data, **extra})


def test_the_farm_shows_a_harvest_photo_on_the_label_page_from_the_lot_card(
    dock_app: tuple[Flask, Dock], browsers: dict[str, FlaskClient]
) -> None:
    app, _ = dock_app
    harvested = lot(FRESH_LONGAN, "PHOTO-1")
    with app.app_context():
        shown = process_photo(small_jpeg((30, 140, 90)))
        services().photos.save(FARMER_A, shown)
        World(services().log).record(
            FARMER_A,
            "harvest",
            {
                "plot": PLOT_A,
                "lot": harvested,
                "quantity": "40",
                "data_source": "measured",
                "photos": [shown.sha256],
            },
        )
    sha, farmer, anyone = shown.sha256, browsers["nong-dan"], app.test_client()
    page = farmer.get(_card(harvested)).get_data(as_text=True)
    assert f'src="/api/v1/photos/{sha}/thumbnail"' in page
    assert "Private: only the organisation that took it" in page
    assert 'aria-pressed="false"' in page
    assert anyone.get(f"/photos/{sha}.jpg").status_code == 404  # private is the default
    # Others: the auditor sees it without the choice; a stranger sees no photo at all.
    audited = browsers["kiem-tra"].get(_card(harvested)).get_data(as_text=True)
    assert f"{sha}/thumbnail" in audited
    assert "/label-page" not in audited
    assert sha not in browsers["thu-gom"].get(_card(harvested)).get_data(as_text=True)
    # Bad posts change nothing and never fail with a 500.
    for answer, status in (
        (_toggle(farmer, harvested, sha, "yes"), 400),
        (_toggle(farmer, harvested, sha, "1", csrf_token="forged"), 403),
        (_toggle(farmer, harvested, "f" * 64, "1"), 404),
        (_toggle(farmer, harvested, sha, "1", lot="rác"), 400),
        (_toggle(browsers["thu-gom"], harvested, sha, "1"), 404),
        (anyone.post(f"/field/photos/{sha}/label-page", data={"public": "1"}), 303),
    ):
        assert answer.status_code == status, answer.get_data(as_text=True)[-1500:]
    assert anyone.get(f"/photos/{sha}.jpg").status_code == 404
    shown_now = _toggle(farmer, harvested, sha, "1")
    assert shown_now.status_code == 303
    assert shown_now.headers["Location"] == f"/field/lots/{harvested}#photo-{sha}"
    assert anyone.get(f"/photos/{sha}.jpg").status_code == 200
    page = farmer.get(_card(harvested)).get_data(as_text=True)
    assert 'aria-pressed="true"' in page
    assert "Shown on the label page." in page
    # Public now: the collector sees it, but it is not theirs to decide.
    seen = browsers["thu-gom"].get(_card(harvested)).get_data(as_text=True)
    assert f"{sha}/thumbnail" in seen
    assert "/label-page" not in seen
    assert _toggle(browsers["thu-gom"], harvested, sha, "0").status_code == 403
    assert _toggle(farmer, harvested, sha, "0").status_code == 303
    assert anyone.get(f"/photos/{sha}.jpg").status_code == 404


def test_every_kind_of_event_reads_in_words_on_the_card() -> None:
    """No event reaches the card as its code ("Sự kiện payment"): each type has its words."""
    from ledger.supplychain.vocabulary import EVENT_TYPES
    from web.field.lot_pages import EVENT_WORDS

    assert sorted(set(EVENT_TYPES) - set(EVENT_WORDS)) == []
    assert all("amount" not in words and "price" not in words for words in EVENT_WORDS.values())


#: Per action of the card: who takes it, on which lot of the dock, and values it would record
#: (``with`` of a merge is the first lot the form offers). No test here records them: each
#: bad value below is put in their place, one at a time.
ACTION_GOOD: dict[str, tuple[str, str, dict[str, str]]] = {
    # A shortfall: the quantity and the first reason (the shortfall's) are what it records.
    "receive": (
        "thu-gom",
        "shipped",
        {"outcome": "shortfall", "quantity": "3", "shortfall_reason": "Một hộp bị vỡ"},
    ),
    "ship": (
        "dong-goi",
        "good",
        {
            "receiver": COLLECTOR,
            "quantity": "1",
            "vehicle_class": "van",
            "transport_document": "29C-123.45",
            "distance_km": "42",
        },
    ),
    "pack": (
        "dong-goi",
        "good",
        {"output_gtin": PACKED_LONGAN, "output_code": "PKB", "quantity": "1", "units": "1"},
    ),
    "merge": ("dong-goi", "good", {"output_code": "MB"}),
    "slaughter": (
        "lo-mo",
        "flock",
        {
            "head_count": "10",
            "carcass_gtin": CARCASS,
            "output_code": "TB",
            "carcass_kg": "15,5",
            "site": SLAUGHTER_SITE,
        },
    ),
    "labels": ("dong-goi", "good", {"count": "1"}),
    "store": ("dong-goi", "good", {"direction": "in", "site": PACKHOUSE_SITE, "readings": "4,5"}),
    "cooling": ("dong-goi", "good", {"readings": "3,5"}),
    "sell": ("dong-goi", "good", {"quantity": "1"}),
    "loss": ("dong-goi", "good", {"quantity": "0,5", "stage": "storage", "reason": "Hộp bị dập"}),
}
#: Bad input of every kind: the kind of field it goes into, and the value.
ACTION_BAD = {
    "letters in a number": ("number", "mười hai"),
    "digit grouping": ("number", "1.500"),
    "a 10,000-character note": ("text", LONG),
    "a control character": ("text", "Hộp\x07 vỡ"),
    "a flood of combining marks": ("text", FLOOD),
    "a day in 1900": ("when", "1900-01-01T08:00"),
    "a day in 2999": ("when", "2999-12-31T08:00"),
}


@pytest.fixture(scope="module")
def vietnamese(dock_app: tuple[Flask, Dock]) -> dict[str, FlaskClient]:
    """Browsers reading Vietnamese, where ``1.500`` is the number that could be 1,5 or 1500."""
    app, _ = dock_app
    found = {}
    for username in sorted({username for username, _, _ in ACTION_GOOD.values()}):
        client = app.test_client()
        assert sign_in(client, username, "vi").status_code == 303
        found[username] = client
    return found


def test_every_action_of_the_card_has_values_here() -> None:
    assert sorted(ACTION_GOOD) == sorted(ACTIONS)


def _first_field(page: str, kind: str) -> str:
    """The name of the form's first field of ``kind`` (``number``, ``text`` or ``when``)."""
    if kind == "when":
        return "when"
    kinds = "text|textarea" if kind == "text" else "number|count"
    found = re.search(rf'data-field="(?:{kinds})" data-name="([a-z0-9_]+)"', page)
    assert found is not None, f"the form has no {kind} field"
    return found.group(1)


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_bad_input_on_every_action_is_said_on_its_field_and_records_nothing(
    dock_app: tuple[Flask, Dock], vietnamese: dict[str, FlaskClient], action: str
) -> None:
    app, dock = dock_app
    username, which, good = ACTION_GOOD[action]
    lot_id = {"shipped": dock.shipped_lot, "good": dock.good_lot, "flock": dock.flock}[which]
    client = vietnamese[username]
    path = f"{_card(lot_id)}?action={action}"
    page = client.get(path).get_data(as_text=True)
    assert 'class="event-form"' in page, page[-2000:]
    values = {"when": WHEN, **good}
    if action == "merge":
        offered = re.search(
            r'name="with"[^>]*>\s*<option value="">[^<]*</option>\s*<option value="([^"]+)"', page
        )
        assert offered is not None, "a merge offers the lots it may merge with"
        values["with"] = offered.group(1)
    for what, (kind, value) in ACTION_BAD.items():
        if kind == "number" and not re.search(r'data-field="(?:number|count)"', page):
            continue  # nothing to count on this form (its readings are text, tried as text)
        field = _first_field(page, kind)
        before = _size(app)
        answer = post_form(client, path, {**values, field: value}, page=page)
        shown = answer.get_data(as_text=True)
        assert answer.status_code == 422, (action, what, shown[-2000:])
        assert _size(app) == before, (action, what)
        assert re.search(rf'id="f-{field}-error">[^<]+<', shown), (action, what, field)
        assert "Traceback" not in shown
