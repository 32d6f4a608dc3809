"""Every farmer form over HTTP, in Vietnamese: good input records exactly one entry; bad input
of every kind comes back on the form with a message, recording nothing and never a 500."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import web.field.farm  # noqa: F401 - the farmer's forms register themselves when it is read
from tests.support.field import (
    FLOCK,
    SPRAYED_PLOT,
    form_values,
    ledger_size,
    post_form,
    signed_in,
)
from tests.support.inputs import ABAMECTIN, ENROFLOXACIN, FEED, NEWCASTLE, NPK
from tests.support.photos import renamed_pdf
from tests.support.world import (
    COLLECTOR,
    FARM_A,
    FARMER_A,
    FRESH_LONGAN,
    HOUSE,
    LIVE_CHICKEN,
    PLOT_A,
    PLOT_OTHER,
    World,
    lot,
)
from web.field.forms import PHOTO, REGISTRY
from web.services import services

pytestmark = pytest.mark.timeout(60)

#: Per form: the user, and good values (``{code}`` is replaced by a fresh lot code).
GOOD: dict[str, tuple[str, dict[str, str]]] = {
    "fertiliser": ("an", {"plot": PLOT_A, "input_product": NPK, "quantity_kg": "12,5"}),
    "spray": (
        "an",
        {"plot": SPRAYED_PLOT, "input_product": ABAMECTIN, "dose": "15", "area_ha": "0,4"},
    ),
    "vaccination": (
        "trai-ga",
        {"flock": FLOCK, "input_product": NEWCASTLE, "dose": "500", "vet": "tv-012"},
    ),
    "treatment": (
        "trai-ga",
        {"flock": FLOCK, "input_product": ENROFLOXACIN, "dose": "1,5", "vet": "tv-012"},
    ),
    "irrigation": ("an", {"plot": PLOT_A, "volume_m3": "3,75"}),
    "energy": ("an", {"location": PLOT_A, "diesel_l": "1,5"}),
    "harvest": (
        "an",
        {"plot": PLOT_A, "product": FRESH_LONGAN, "lot_code": "{code}", "quantity": "120,5"},
    ),
    "placement": (
        "trai-ga",
        {
            "house": HOUSE,
            "product": LIVE_CHICKEN,
            "lot_code": "{code}",
            "breed": "Gà đồi",
            "head_count": "300",
        },
    ),
    "feed": ("trai-ga", {"flock": FLOCK, "input_product": FEED, "quantity_kg": "25"}),
    "flock-loss": ("trai-ga", {"flock": FLOCK, "count": "1", "cause": "mortality"}),
    "weighing": ("trai-ga", {"flock": FLOCK, "mean_kg": "1,85", "sample_size": "20"}),
    "hand-over": (
        "an",
        {
            "lot": "{harvested}",
            "quantity": "10",
            "receiver": COLLECTOR,
            "vehicle_class": "van",
            "distance_km": "12,5",
            "transport_document": "PX-0001",
        },
    ),
}
_codes = iter(range(1, 10_000))
_browsers: dict[tuple[int, str], FlaskClient] = {}


def browser(app: Flask, username: str) -> FlaskClient:
    """One signed-in browser per account and app (signing in checks an Argon2 hash)."""
    key = (id(app), username)
    if key not in _browsers:
        _browsers[key] = signed_in(app, username)
    return _browsers[key]


def fill(app: Flask, values: dict[str, str]) -> dict[str, str]:
    code = f"T{next(_codes):04d}"
    filled = {key: value.replace("{code}", code) for key, value in values.items()}
    if filled.get("lot") == "{harvested}":
        filled["lot"] = harvested(app)
    return filled


def harvested(app: Flask) -> str:
    """A lot of longan the farm has just harvested (through the service, not the form)."""
    with app.app_context():
        world = World(services().log)
        lot_id = lot(FRESH_LONGAN, f"H{next(_codes):04d}")
        world.record(
            FARMER_A,
            "harvest",
            {"plot": PLOT_A, "lot": lot_id, "quantity": "50", "data_source": "measured"},
        )
    return lot_id


def open_form(client: FlaskClient, slug: str) -> str:
    page = client.get(f"/field/record/{slug}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def send(
    app: Flask, slug: str, change: Callable[[dict[str, str], str], None] | None = None
) -> tuple[Any, int]:
    """Post form ``slug`` with good values (changed by ``change``); the answer and how many
    entries the ledger gained."""
    username, values = GOOD[slug]
    client = browser(app, username)
    page = open_form(client, slug)
    filled = fill(app, values)
    if change is not None:
        change(filled, page)
    before = ledger_size(app)
    answer = post_form(client, f"/field/record/{slug}", filled, page=page)
    return answer, ledger_size(app) - before


#: The forms a farmer attaches a photo to, and the name of each one's photo field.
PHOTO_FIELDS = {
    slug: item.name for slug, form in REGISTRY.items() for item in form.fields if item.kind == PHOTO
}


def test_every_form_of_the_registry_has_good_values_here() -> None:
    """The tests below run over the registry: a new form needs its good values above."""
    assert sorted(GOOD) == sorted(REGISTRY)
    assert PHOTO_FIELDS  # the farmer's forms take photos; the test of a renamed PDF runs


@pytest.mark.parametrize("slug", sorted(REGISTRY))
def test_good_input_records_exactly_one_entry(field_app: Flask, slug: str) -> None:
    answer, added = send(field_app, slug)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert added == 1
    assert answer.headers["Location"].startswith("/field/records/")


def _first(page: str, kind: str) -> str:
    """The name of the form's first field of ``kind`` (``number``, or ``text`` which may be
    multiline); a form without text has the reason for a late record."""
    kinds = "text|textarea" if kind == "text" else "number|count"
    found = re.search(rf'data-field="(?:{kinds})" data-name="([a-z0-9_]+)"', page)
    return found.group(1) if found else "late_reason"


def _number(value: str) -> Callable[[dict[str, str], str], None]:
    def change(values: dict[str, str], page: str) -> None:
        values[_first(page, "number")] = value

    return change


def _text(value: str) -> Callable[[dict[str, str], str], None]:
    def change(values: dict[str, str], page: str) -> None:
        values[_first(page, "text")] = value

    return change


def _when(value: str) -> Callable[[dict[str, str], str], None]:
    def change(values: dict[str, str], page: str) -> None:
        values["when"] = value

    return change


BAD = {
    "letters in a number": _number("mười hai"),
    "digit grouping": _number("1.500"),
    "a 10,000-character note": _text("x" * 10_000),
    "a control character": _text("Cám\x07 ngô"),
    "a flood of combining marks": _text("a" + "\u0301" * 40),
    "a day in 1900": _when("1900-01-01T08:00"),
    "a day in 2999": _when("2999-12-31T08:00"),
}


@pytest.mark.parametrize("slug", sorted(REGISTRY))
def test_bad_input_is_said_on_the_form_and_records_nothing(field_app: Flask, slug: str) -> None:
    for what, change in BAD.items():
        answer, added = send(field_app, slug, change)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 422, (what, page[-2000:])
        assert added == 0, what
        assert 'class="error"' in page, what
        assert 'role="alert"' in page or 'aria-invalid="true"' in page, what


@pytest.mark.parametrize("slug", sorted(PHOTO_FIELDS))
def test_a_renamed_pdf_as_the_photo_is_said_on_the_photo_field(field_app: Flask, slug: str) -> None:
    username, values = GOOD[slug]
    client = browser(field_app, username)
    page = open_form(client, slug)
    field = PHOTO_FIELDS[slug]
    data: dict[str, Any] = {**form_values(page), **fill(field_app, values)}
    data[field] = (io.BytesIO(renamed_pdf()), "anh.jpg")
    before = ledger_size(field_app)
    answer = client.post(f"/field/record/{slug}", data=data, content_type="multipart/form-data")
    shown = answer.get_data(as_text=True)
    assert answer.status_code == 422, shown[-2000:]
    assert ledger_size(field_app) == before
    photo = shown.split(f'data-name="{field}"')[1].split('data-name="')[0]
    assert 'class="errors" role="alert"' in photo
    assert 'aria-invalid="true"' in photo


def test_a_number_comes_back_as_typed_and_as_understood(field_app: Flask) -> None:
    def change(values: dict[str, str], page: str) -> None:
        values["plot"] = PLOT_OTHER  # not the farmer's: refused, the rest re-shown

    answer, added = send(field_app, "irrigation", change)
    page = answer.get_data(as_text=True)
    assert added == 0
    assert 'value="3,75"' in page
    assert "Hiểu là: 3,75 m³" in page
    assert "Chọn một mục trong danh sách." in page


def test_digit_grouping_is_explained_in_vietnamese(field_app: Flask) -> None:
    answer, _ = send(field_app, "fertiliser", _number("1.500"))
    page = answer.get_data(as_text=True)
    assert "1.500 có thể hiểu là 1,5 hoặc 1500" in page


def test_a_form_offers_only_the_farmers_own_plots(field_app: Flask) -> None:
    page = open_form(browser(field_app, "an"), "harvest")
    assert PLOT_A in page
    assert PLOT_OTHER not in page
    assert "Vườn nhãn An 1" in page
    assert 'inputmode="decimal"' in page
    assert "(kg)" in page


def test_a_form_posted_twice_records_once(field_app: Flask) -> None:
    username, values = GOOD["irrigation"]
    client = browser(field_app, username)
    page = open_form(client, "irrigation")
    filled = dict(values)
    before = ledger_size(field_app)
    first = post_form(client, "/field/record/irrigation", filled, page=page)
    again = post_form(client, "/field/record/irrigation", filled, page=page)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert ledger_size(field_app) - before == 1


def test_a_form_without_its_token_records_nothing(field_app: Flask) -> None:
    username, values = GOOD["irrigation"]
    client = signed_in(field_app, username)
    page = open_form(client, "irrigation")
    filled = {**values, "csrf_token": "forged"}
    before = ledger_size(field_app)
    answer = post_form(client, "/field/record/irrigation", filled, page=page)
    assert answer.status_code == 403
    assert ledger_size(field_app) == before
    assert "Biểu mẫu đã hết hạn" in answer.get_data(as_text=True)


def test_a_role_is_not_offered_another_roles_form(field_app: Flask) -> None:
    assert signed_in(field_app, "thu-gom").get("/field/record/harvest").status_code == 403
    assert signed_in(field_app, "kiem-tra").get("/field/record/feed").status_code == 403
    signed_out = field_app.test_client().get("/field/record/harvest")
    assert signed_out.status_code == 303
    assert signed_out.headers["Location"].startswith("/sign-in?next=/field/record/harvest")


def test_the_hand_over_offers_processors_and_traders_not_farms(field_app: Flask) -> None:
    page = open_form(browser(field_app, "an"), "hand-over")
    assert COLLECTOR in page
    assert f'value="{FARM_A}"' not in page


def test_a_dose_is_understood_in_the_unit_of_the_product_chosen(field_app: Flask) -> None:
    def change(values: dict[str, str], page: str) -> None:
        values["operator"] = "Nguyễn Văn An"  # a name, not a code: refused, the rest re-shown

    answer, added = send(field_app, "spray", change)
    page = answer.get_data(as_text=True)
    assert added == 0
    assert "Hiểu là: 15 ml/bình 16 l" in page
    assert 'data-unit-name="ml/bình 16 l"' in page
