"""Input products through the API, and the refusals of sprays, harvests and weighings that the
farmer's forms will show: field-named, in the reader's language, nothing recorded."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ledger.common.clock import FakeClock
from ledger.tlog.canonical import envelope_of
from tests.support.apps import app_config, create_accounts, create_tokens
from tests.support.databases import DatabaseFactory
from tests.support.inputs import ABAMECTIN, EMAMECTIN, INPUTS, setup_inputs, spray_of
from tests.support.world import ADMIN, FARM_A, FRESH_LONGAN, PLOT_A, World, gln
from web import create_app
from web.services import services

ACCOUNTS = (("an", "farmer", FARM_A), ("quan-tri", "admin", None))


@pytest.fixture(scope="module")
def app(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    application = create_app(
        app_config(databases.sqlite(), tmp_path_factory.mktemp("inputs")), clock=FakeClock()
    )
    assert application.test_cli_runner().invoke(args=["ledger", "init"]).exit_code == 0
    with application.app_context():
        World(services().log).setup()
        setup_inputs(services().masterdata)
    create_accounts(application, ACCOUNTS)
    yield application
    services(application).log.engine.dispose()


@pytest.fixture(scope="module")
def tokens(app: Flask) -> dict[str, str]:
    return create_tokens(app, tuple(name for name, _, _ in ACCOUNTS))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def world(app: Flask) -> World:
    with app.app_context():
        return World(services().log)


def as_(tokens: dict[str, str], name: str, language: str = "en") -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[name]}", "Accept-Language": language}


def event(world: World, type_: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": type_, "event_time": world.time(0.5), "data": data}


def entries(app: Flask) -> int:
    with app.app_context():
        return services().log.size()


# --- the master data ------------------------------------------------------------------------


def test_everyone_signed_in_reads_input_products_and_only_admins_write_them(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    listing = client.get("/api/v1/input-products", headers=as_(tokens, "an"))
    assert listing.status_code == 200
    assert sorted(p["code"] for p in listing.json) == sorted(INPUTS)
    one = client.get(f"/api/v1/input-products/{ABAMECTIN}", headers=as_(tokens, "an")).json
    assert one["active_ingredients"] == [{"name": "Abamectin", "concentration": "36 g/l"}]
    assert (one["crops"], one["phi_days"], one["restricted"]) == (["fresh_longan"], 7, False)
    refused = client.put(
        f"/api/v1/input-products/{ABAMECTIN}",
        json={**one, "phi_days": 1, "reason": "rút ngắn"},
        headers=as_(tokens, "an"),
    )
    assert refused.status_code == 403
    assert client.get("/api/v1/input-products").status_code == 401


def test_a_change_is_a_version_with_its_reason_and_the_body_of_a_get_puts_back(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    admin = as_(tokens, "quan-tri")
    path = f"/api/v1/input-products/{EMAMECTIN}"
    read = client.get(path, headers=admin).json
    assert client.put(path, json=read, headers=admin).json["version"] == read["version"]
    changed = client.put(
        path, json={**read, "phi_days": 14, "reason": "Nhãn mới của nhà sản xuất"}, headers=admin
    )
    assert (changed.status_code, changed.json["phi_days"]) == (200, 14)
    versions = client.get(path + "/versions", headers=as_(tokens, "an")).json
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[-1]["reason"] == "Nhãn mới của nhà sản xuất"
    assert versions[-1]["data"]["active_ingredients"][0]["name"] == "Emamectin benzoate"


def test_a_new_input_product_is_stored_as_nfc(client: FlaskClient, tokens: dict[str, str]) -> None:
    name = unicodedata.normalize("NFD", "Thuốc trừ sâu Đầu Trâu")
    saved = client.put(
        "/api/v1/input-products/dau-trau-1",
        json={
            "category": "pesticide",
            "name": name,
            "registration_no": "VN-9/24",
            "active_ingredients": [{"name": "Abamectin", "concentration": "18 g/l"}],
            "crops": ["fresh_longan", "pink_banana"],
            "phi_days": 7,
            "reason": "Đăng ký mới",
        },
        headers=as_(tokens, "quan-tri"),
    )
    assert saved.status_code == 201, saved.json
    assert saved.json["name"] == unicodedata.normalize("NFC", name)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "herbicide", "name": "X"}, "category"),
        ({"category": "pesticide", "name": "X", "registration_no": "VN-1"}, "phi_days"),
        ({"category": "fertiliser", "name": "X", "phi_days": 3}, "phi_days"),
        ({"category": "feed", "name": "X", "crops": ["fresh_longan"]}, "crops"),
        ({"category": "fertiliser", "name": "X", "n_pct": "120"}, "n_pct"),
        ({"category": "feed", "name": "X", "crops": ["rice"]}, "crops"),
        ({"category": "feed", "name": "X" * 201}, "name"),
        ({"category": "feed", "name": "X", "colour": "red"}, "colour"),
        (
            {"category": "vaccine", "name": "X", "active_ingredients": [{"concentration": "1"}]},
            "active_ingredients",
        ),
    ],
)
def test_a_bad_input_product_is_a_400_naming_the_field(
    client: FlaskClient, tokens: dict[str, str], body: dict[str, Any], field: str
) -> None:
    answer = client.put(
        "/api/v1/input-products/bad-1",
        json={**body, "reason": "thử"},
        headers=as_(tokens, "quan-tri", "vi"),
    )
    assert answer.status_code == 400, answer.json
    assert field in answer.json["errors"]


def test_a_bad_code_in_the_address_is_a_400_naming_the_code(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    answer = client.get("/api/v1/input-products/-x", headers=as_(tokens, "an"))
    assert answer.status_code == 400
    assert "code" in answer.json["errors"]
    missing = client.get("/api/v1/input-products/no-such", headers=as_(tokens, "an", "vi"))
    assert missing.status_code == 404
    assert "vật tư đầu vào" in missing.json["message"]


# --- events that name them ------------------------------------------------------------------


def test_a_spray_naming_a_product_for_another_crop_is_refused_in_vietnamese(
    app: Flask, world: World, client: FlaskClient, tokens: dict[str, str]
) -> None:
    before = entries(app)
    answer = client.post(
        "/api/v1/events",
        json=event(world, "farm_input.pesticide", spray_of(EMAMECTIN, PLOT_A, phi_days=14)),
        headers=as_(tokens, "an", "vi"),
    )
    assert answer.status_code == 422, answer.json
    assert answer.json["message"] == (
        "Tasieu 5WG (emamectin-5wg) không được đăng ký dùng cho cây nhãn."
    )
    assert "input_product" in answer.json["errors"]
    assert entries(app) == before


def test_a_spray_whose_facts_differ_from_its_product_names_each_field(
    app: Flask, world: World, client: FlaskClient, tokens: dict[str, str]
) -> None:
    data = spray_of(ABAMECTIN, PLOT_A, registration_no="VN-0000/00", phi_days=3)
    answer = client.post(
        "/api/v1/events",
        json=event(world, "farm_input.pesticide", data),
        headers=as_(tokens, "an", "vi"),
    )
    assert answer.status_code == 422
    assert set(answer.json["errors"]) == {"registration_no", "phi_days"}
    assert answer.json["errors"]["phi_days"] == [
        "Reasgant 3.6EC có thời gian cách ly trước thu hoạch là 7 ngày; 3 ngày ngắn hơn mức "
        "đăng ký cho phép."
    ]


# --- plausibility ----------------------------------------------------------------------------


def harvest(world: World, quantity: str, **extra: Any) -> dict[str, Any]:
    lot_id = f"lot:{FRESH_LONGAN}/{world.code('NH')}"
    data = {"plot": PLOT_A, "lot": lot_id, "quantity": quantity, "data_source": "measured"}
    return event(world, "harvest", {**data, **extra})


def test_a_harvest_of_999_999_999_999_kg_is_never_recorded(
    app: Flask, world: World, client: FlaskClient, tokens: dict[str, str]
) -> None:
    before = entries(app)
    for quantity in ("999999999999", "99999999"):
        answer = client.post(
            "/api/v1/events", json=harvest(world, quantity), headers=as_(tokens, "an", "vi")
        )
        assert answer.status_code in (400, 422), answer.json
        assert "quantity" in str(answer.json["errors"])
    assert entries(app) == before


def test_a_harvest_beyond_the_bound_is_a_422_naming_value_and_bound_unless_a_reason_is_given(
    app: Flask, world: World, client: FlaskClient, tokens: dict[str, str]
) -> None:
    # Plot A is 0.8 ha; fresh longan is bounded at 25,000 kg per ha: 20,000 kg at most.
    answer = client.post(
        "/api/v1/events", json=harvest(world, "20001"), headers=as_(tokens, "an", "vi")
    )
    assert answer.status_code == 422
    assert answer.json["code"] == "implausible_quantity"
    # The field's message keeps the ids a program reads; the sentence names the plot.
    [message] = answer.json["errors"]["quantity"]
    assert f"plot:{PLOT_A}" in message
    assert "20.001 kg" in message
    assert "25.000 kg/ha" in message
    vietnamese = answer.json["message"]
    assert "20.001 kg" in vietnamese
    assert "25.000 kg/ha" in vietnamese
    assert "Vườn nhãn An 1" in vietnamese
    english = client.post(
        "/api/v1/events", json=harvest(world, "20001"), headers=as_(tokens, "an", "en")
    )
    assert "20,001 kg" in english.json["message"]
    reasoned = client.post(
        "/api/v1/events",
        json=harvest(world, "20001", plausibility_reason="Thu cả vụ chính và vụ nghịch"),
        headers=as_(tokens, "an"),
    )
    assert reasoned.status_code == 201, reasoned.json
    with app.app_context():
        payload = envelope_of(services().log.entry(reasoned.json["index"]).data)["payload"]
    assert payload["plausibility_reason"] == "Thu cả vụ chính và vụ nghịch"
    assert payload["plausibility_bound"] == {"field": "quantity", "bound": "25000"}
    ordinary = client.post(
        "/api/v1/events", json=harvest(world, "20000"), headers=as_(tokens, "an")
    )
    assert ordinary.status_code == 201


def test_a_plausibility_reason_is_bounded_and_normalised(
    world: World, client: FlaskClient, tokens: dict[str, str]
) -> None:
    too_long = client.post(
        "/api/v1/events",
        json=harvest(world, "20001", plausibility_reason="x" * 501),
        headers=as_(tokens, "an"),
    )
    assert too_long.status_code == 400
    assert "plausibility_reason" in too_long.json["errors"]["data"]
    control = client.post(
        "/api/v1/events",
        json=harvest(world, "10", plausibility_reason="a\x07b"),
        headers=as_(tokens, "an"),
    )
    assert control.status_code == 400


def test_a_plot_without_an_area_is_not_bounded(
    app: Flask, world: World, client: FlaskClient, tokens: dict[str, str]
) -> None:
    plot = gln(531)
    with app.app_context():
        services().masterdata.save(
            ADMIN,
            "location",
            plot,
            {"organisation": FARM_A, "kind": "farm_plot", "name": "Vườn chưa đo"},
            "mới",
        )
    data = harvest(world, "50000")
    data["data"]["plot"] = plot
    assert client.post("/api/v1/events", json=data, headers=as_(tokens, "an")).status_code == 201


def test_the_openapi_description_tells_the_rules(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").json
    assert "/api/v1/input-products/{value}" in spec["paths"]
    components = spec["components"]["schemas"]
    assert "code" in components["InputProductInput"]["properties"]
    assert "reason" in components["InputProductInput"]["required"]
    text = str(components)
    assert "implausible_quantity" in text
    assert "registered for the plot's crop" in text
