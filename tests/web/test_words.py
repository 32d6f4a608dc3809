"""What people read: things by name, local times, numbers in their language, plain sentences.

The API's answers name plots, organisations and lots as people know them (never a household's
name to someone who may not read it) and keep the ids in ``errors``; pages say what is wrong
with a malformed label in the page's language, echo only an excerpt, and never show a field map.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from labels.label_keys import create_label_key
from ledger.common.clock import FakeClock
from ledger.common.messages import Message
from ledger.supplychain.errors import InsufficientQuantityError
from ledger.supplychain.vocabulary import MEASUREMENT_UNITS, amount_problem
from tests.support.apps import PASSWORD, app_config, create_accounts, create_tokens
from tests.support.databases import DatabaseFactory
from tests.support.world import (
    COLLECTOR,
    COOPERATIVE,
    FARM_A,
    FARM_B,
    FARMER_B,
    FRESH_LONGAN,
    PACKER,
    PACKHOUSE,
    PLOT_B,
    World,
    spray_data,
)
from web import create_app
from web.i18n import format_quantity, translate
from web.services import services

USERS = (
    ("nong-ho-a", "farmer", FARM_A),
    ("nong-ho-b", "farmer", FARM_B),
    ("htx", "farmer", COOPERATIVE),
    ("thu-gom", "distributor", COLLECTOR),
    ("dong-goi", "processor", PACKHOUSE),
)


@pytest.fixture(scope="module")
def app(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    directory = tmp_path_factory.mktemp("words")
    application = create_app(app_config(databases.sqlite(), directory), clock=FakeClock())
    assert application.test_cli_runner().invoke(args=["ledger", "init"]).exit_code == 0
    with application.app_context():
        World(services().log).setup()
        create_label_key(services().log, PACKHOUSE, ["8930000"], "packhouse labels")
    create_accounts(application, USERS)
    yield application
    services(application).log.engine.dispose()


@pytest.fixture(scope="module")
def world(app: Flask) -> World:
    with app.app_context():
        return World(services().log)


@pytest.fixture(scope="module")
def tokens(app: Flask) -> dict[str, str]:
    return create_tokens(app, tuple(name for name, _, _ in USERS))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def api(client: FlaskClient, token: str, language: str, body: dict[str, Any]) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": language}
    return client.post("/api/v1/events", json=body, headers=headers)


def harvest_request(world: World, lot_code: str) -> dict[str, Any]:
    lot_id = f"lot:{FRESH_LONGAN}/{lot_code}"
    data = {"plot": PLOT_B, "lot": lot_id, "quantity": "10", "data_source": "measured"}
    return {"type": "harvest", "event_time": world.time(0), "data": data}


def ship_request(world: World, lot_id: str, quantity: str) -> dict[str, Any]:
    data = {
        "lot": lot_id,
        "quantity": quantity,
        "receiver": PACKHOUSE,
        "vehicle_class": "van",
        "refrigerated": False,
        "distance_km": "42",
        "transport_document": "VD-001",
        "data_source": "measured",
    }
    return {"type": "ship", "event_time": world.time(0.5), "data": data}


def signed_in(app: Flask, username: str) -> FlaskClient:
    browser = app.test_client()
    form = browser.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    answer = browser.post(
        "/sign-in", data={"username": username, "password": PASSWORD, "csrf_token": token[1]}
    )
    assert answer.status_code == 303
    return browser


def heading(html: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", html, re.DOTALL)
    assert found is not None
    return found[1].strip()


# --- names, local times, identifiers kept for programs -----------------------------------------


def test_a_refused_harvest_names_the_plot_and_the_local_time_and_keeps_the_ids(
    app: Flask, world: World, client: FlaskClient, tokens: dict[str, str]
) -> None:
    with app.app_context():
        world.record(FARMER_B, "farm_input.pesticide", spray_data(PLOT_B, days=7))
    request = harvest_request(world, "PHI1")
    # Sprayed an hour before the fake clock's 01:30 UTC on 15 July: safe from 00:30 UTC on the
    # 22nd, which is 07:30 in Hưng Yên.
    vi = api(client, tokens["nong-ho-b"], "vi", request)
    assert vi.status_code == 422
    assert vi.json["message"].startswith(
        "Vườn nhãn Bình (Xã Lệ Xá, Huyện Tiên Lữ): Lần phun Regent 800WG ngày 15/7/2026 còn 7 "
        "ngày cách ly; được thu hoạch từ 07:30 22/7/2026. Xem mục "
    )
    assert f"plot:{PLOT_B}" not in vi.json["message"]
    assert "T00:30" not in vi.json["message"]
    assert f"plot:{PLOT_B}" in vi.json["errors"]["plot"][0]
    en = api(client, tokens["nong-ho-b"], "en", request)
    assert en.json["message"].startswith(
        "Vườn nhãn Bình (Lệ Xá Commune, Tiên Lữ District): The spray of Regent 800WG on "
        "7/15/2026 is in its pre-harvest interval for 7 more days; harvest is allowed from "
        "7/22/2026, 7:30\u202fAM. See entry "  # CLDR: a narrow no-break space before AM
    )


def test_a_households_name_reaches_only_those_who_may_read_it(
    app: Flask, world: World, client: FlaskClient, tokens: dict[str, str]
) -> None:
    with app.app_context():
        harvested = world.harvest(quantity="100")
    request = ship_request(world, harvested, "10")
    collector = api(client, tokens["thu-gom"], "vi", request)
    assert collector.status_code == 403
    code = harvested.rpartition("/")[2]
    assert collector.json["message"] == (
        f"Lô {code} (Nhãn lồng tươi) đang do một hộ sản xuất ({FARM_A}) giữ; chỉ bên giữ lô mới "
        "được xuất lô này."
    )
    cooperative = api(client, tokens["htx"], "vi", request)
    assert cooperative.status_code == 403
    assert "đang do Hộ Nguyễn Văn An giữ" in cooperative.json["message"]
    # The program reading the answer gets the ids in either case.
    for answer in (collector, cooperative):
        assert f"Lô {harvested} đang do {FARM_A} giữ" in answer.json["errors"]["$"][0]


# --- numbers ---------------------------------------------------------------------------------


def test_quantities_in_messages_are_in_the_readers_format(
    app: Flask, world: World, client: FlaskClient, tokens: dict[str, str]
) -> None:
    with app.app_context():
        harvested = world.harvest(quantity="1000.5")
    request = ship_request(world, harvested, "1500")
    vi = api(client, tokens["nong-ho-a"], "vi", request)
    assert vi.status_code == 422
    assert "còn 1.000,5 kg; sự kiện cần 1.500 kg." in vi.json["message"]
    en = api(client, tokens["nong-ho-a"], "en", request)
    assert "has 1,000.5 kg available; the event needs 1,500 kg." in en.json["message"]


def test_a_quantity_never_reads_with_an_exponent(app: Flask) -> None:
    refusal = InsufficientQuantityError(
        lot="lot:x", available=Decimal("1E-7"), requested=Decimal("5E+2"), unit="kg"
    )
    assert str(refusal.message) == "Lot lot:x has 0.0000001 kg available; the event needs 500 kg."
    with app.test_request_context(headers={"Accept-Language": "vi"}):
        assert translate(refusal.message) == "Lô lot:x còn 0,0000001 kg; sự kiện cần 500 kg."
        # Every digit, however large or small, where a default context would round or fail.
        assert format_quantity(Decimal("1E+30")) == "1" + ".000" * 10
        assert format_quantity(Decimal("1.000000000000000000000000000001")) == (
            "1,000000000000000000000000000001"
        )
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert translate(Message("{q} kg", q=Decimal("1E-7"))) == "0.0000001 kg"


def test_units_and_whole_numbers_read_in_the_readers_language(app: Flask) -> None:
    """A unit is named in the reader's language ("con", not "heads"), and whole numbers in
    messages are grouped as the language groups them, as decimals are."""
    heads = amount_problem(Decimal("1.5"), MEASUREMENT_UNITS["head"])
    litres = amount_problem(Decimal("1.0001"), MEASUREMENT_UNITS["l"])
    short = InsufficientQuantityError(
        lot="lot:x", available=Decimal(3), requested=Decimal(5), unit="head"
    )
    bounded = Message("Must be between {low} and {high}.", low=1, high=10_000_000)
    with app.test_request_context(headers={"Accept-Language": "vi"}):
        assert translate(heads) == "Số lượng tính bằng con phải là số nguyên."
        assert "0,001 lít" in translate(litres)
        assert translate(short.message) == "Lô lot:x còn 3 con; sự kiện cần 5 con."
        assert translate(bounded) == "Phải nằm trong khoảng từ 1 đến 10.000.000."
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert translate(heads) == "Quantities in heads are whole numbers."
        assert translate(short.message) == (
            "Lot lot:x has 3 heads available; the event needs 5 heads."
        )
        assert translate(bounded) == "Must be between 1 and 10,000,000."


def test_a_body_that_is_not_json_is_told_so_in_our_words(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    """The parser's English and Python's advice on its integer limit are not for the sender."""
    headers = {
        "Authorization": f"Bearer {tokens['nong-ho-a']}",
        "Content-Type": "application/json",
    }
    for body, vi, en in (
        (
            '{"type": "harvest",, }',
            "JSON không hợp lệ tại dòng 1, cột 20.",
            "Not valid JSON at line 1, column 20.",
        ),
        (
            '{"units": ' + "9" * 5000 + "}",
            "Một số trong nội dung có quá nhiều chữ số.",
            "A number in the body has too many digits.",
        ),
    ):
        for language, expected in (("vi", vi), ("en", en)):
            answer = client.post(
                "/api/v1/events", data=body, headers={**headers, "Accept-Language": language}
            )
            assert answer.status_code == 400
            text = answer.get_data(as_text=True)
            assert expected in text, text
            assert "Expecting" not in text
            assert "sys.set_int_max_str_digits" not in text


def test_what_was_sent_is_echoed_as_an_excerpt(client: FlaskClient, tokens: dict[str, str]) -> None:
    """However long a value, a message quotes its start: pages, the API's message and its
    structured errors alike."""
    answer = client.get(f"/01/{FRESH_LONGAN}/10/L1?linkType=" + "x" * 3000)
    assert answer.status_code == 404
    assert "x" * 30 not in answer.get_data(as_text=True)
    headers = {"Authorization": f"Bearer {tokens['nong-ho-a']}"}
    for path in (
        f"/api/v1/lots/{FRESH_LONGAN}/" + "A" * 3000,
        "/api/v1/organisations/" + "A" * 3000,
    ):
        refused = client.get(path, headers=headers)
        assert refused.status_code == 400, path[:40]
        body = refused.get_data(as_text=True)
        assert "A" * 30 not in body, body[:300]
        assert "…" in body


# --- the print pages ---------------------------------------------------------------------------


def test_the_print_page_refuses_in_a_whole_sentence_and_offers_papers_in_words(
    app: Flask, world: World
) -> None:
    with app.app_context():
        packed = world.packed_lot(units=2)
        world.record(PACKER, "label.issue", {"lot": packed, "count": 2})
    page = "/print/" + packed.removeprefix("lot:")
    refused = signed_in(app, "thu-gom").get(page, headers={"Accept-Language": "vi"})
    assert refused.status_code == 403
    code = packed.rpartition("/")[2]
    assert heading(refused.get_data(as_text=True)) == (
        f"Lô {code} (Nhãn lồng hộp 1 kg) đang do Nhà sơ chế Khoái Châu giữ; chỉ bên giữ lô mới "
        "được in nhãn của lô này."
    )
    form = signed_in(app, "dong-goi").get(page, headers={"Accept-Language": "vi"})
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    assert "Tờ decal A4, 3 × 7 nhãn cỡ 63,5 × 38,1 mm (L7160), 600 dpi" in html
    assert "Cuộn giấy in nhiệt, mỗi trang một nhãn 50 × 30 mm, 203 dpi" in html
    assert "adhesive sheet" not in html
    assert f"In nhãn của lô {code} (Nhãn lồng hộp 1 kg)" in html


def test_an_error_page_shows_sentences_not_a_field_map(app: Flask) -> None:
    page = signed_in(app, "dong-goi").get("/print/abc/%00%ff", headers={"Accept-Language": "vi"})
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "<li>Văn bản chứa ký tự điều khiển.</li>" in html
    assert "_schema" not in html
    assert "[&#39;" not in html


# --- malformed label URLs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "vi", "en"),
    [
        (
            "/01/08930000000026/10/HP000140/21/123456789012345678901234567890",
            "số sê-ri dài 30 ký tự; số sê-ri chỉ có tối đa 20 chữ số",
            "the serial has 30 characters; a serial has at most 20 digits",
        ),
        (
            "/01/08930000000026/10/Nh%C3%A3n%CC%83/21/1",
            "số lô Nh\u00e3n\u0303 có ký tự không được dùng trong số lô: “ã”, U+0303",
            "the lot Nh\u00e3n\u0303 holds characters a lot may not have: “ã”, U+0303",
        ),
        (
            "/01/08930000000026/10/" + "A" * 3000 + "/21/1",
            "số lô dài 3.000 ký tự; số lô chỉ được tối đa 20 ký tự",
            "the lot is 3,000 characters long; a lot has at most 20 characters",
        ),
    ],
)
def test_a_malformed_label_says_what_is_wrong_in_the_pages_language(
    client: FlaskClient, path: str, vi: str, en: str
) -> None:
    for language, expected in (("vi", vi), ("en", en)):
        page = client.get(path, headers={"Accept-Language": language})
        assert page.status_code == 404
        html = page.get_data(as_text=True)
        assert heading(html).endswith(expected)
        assert "Failed to match" not in html
        assert "pattern" not in html
        assert "A" * 30 not in html


def test_a_lot_page_echoes_only_an_excerpt_of_a_long_lot(client: FlaskClient) -> None:
    page = client.get("/01/08930000000026/10/" + "A" * 3000, headers={"Accept-Language": "vi"})
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert "A" * 23 + "…" in html
    assert "A" * 30 not in html
