"""Recalls as the API and the public page tell them: who recalled, in what capacity, from which
lot, when; and the recall requests the holders of a lot's parts see."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ledger.common.clock import FakeClock
from tests.support.apps import app_config, create_accounts, create_tokens
from tests.support.chains import RECALL, Chain, chain
from tests.support.databases import DatabaseFactory
from tests.support.world import (
    COLLECTOR,
    COLLECTOR_USER,
    FARMER_A,
    RETAILER,
    SHOP,
    World,
)
from web import create_app
from web.services import services


@pytest.fixture(scope="module")
def recall_app(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    app = create_app(
        app_config(databases.sqlite(), tmp_path_factory.mktemp("recalls")), clock=FakeClock()
    )
    assert app.test_cli_runner().invoke(args=["ledger", "init"]).exit_code == 0
    with app.app_context():
        World(services().log).setup()
    create_accounts(
        app, (("thu-gom", "distributor", COLLECTOR), ("sieu-thi", "retailer", RETAILER))
    )
    yield app
    services(app).log.engine.dispose()


@pytest.fixture(scope="module")
def world(recall_app: Flask) -> World:
    with recall_app.app_context():
        return World(services().log)


@pytest.fixture
def client(recall_app: Flask) -> FlaskClient:
    return recall_app.test_client()


def page(lot_id: str) -> str:
    gtin, _, code = lot_id.removeprefix("lot:").partition("/")
    return f"/01/{gtin}/10/{code}"


def api(lot_id: str) -> str:
    return "/api/v1/lots/" + lot_id.removeprefix("lot:")


def test_the_page_says_a_lot_was_recalled_because_its_farm_lot_was(
    world: World, client: FlaskClient
) -> None:
    made: Chain = chain(world)
    world.record(FARMER_A, "recall", {"lots": [made.harvest_a], **RECALL})
    html = client.get(page(made.part), headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Recalled by the producer, HTX Nhãn lồng Tiên Lữ, on" in html
    code = made.harvest_a.partition("/")[2]
    assert f"Recalled because lot {code} of HTX Nhãn lồng Tiên Lữ was recalled." in html
    vietnamese = client.get(page(made.part), headers={"Accept-Language": "vi"}).get_data(
        as_text=True
    )
    assert f"Bị thu hồi vì lô {code} của HTX Nhãn lồng Tiên Lữ đã bị thu hồi." in vietnamese


def test_a_holders_withdrawal_is_on_its_own_lots_page_only(
    world: World, client: FlaskClient
) -> None:
    made = chain(world)
    world.record(COLLECTOR_USER, "recall", {"lots": [made.merged], **RECALL})
    own = client.get(page(made.merged), headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Withdrawn by Thu gom Hưng Long from its own stock on" in own
    part = client.get(page(made.part), headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert RECALL["reason"] not in part
    assert "Withdrawn" not in part


def test_the_holders_of_the_parts_see_a_recall_request(
    world: World, client: FlaskClient, recall_app: Flask
) -> None:
    made = chain(world)
    request = world.record(SHOP, "recall.request", {"lot": made.merged, "reason": "Mùi lạ"})
    tokens = create_tokens(recall_app, ("thu-gom", "sieu-thi"))
    for name, lot_id in (("sieu-thi", made.part), ("thu-gom", made.merged)):
        answer = client.get(api(lot_id), headers={"Authorization": f"Bearer {tokens[name]}"})
        assert answer.status_code == 200
        [seen] = answer.json["recall_requests"]
        assert (seen["entry"], seen["status"], seen["lot"]) == (request.index, "open", made.merged)
        assert answer.json["recalled_by"] is None  # nothing blocked until it is confirmed
    listed = client.get(
        "/api/v1/recall-requests", headers={"Authorization": f"Bearer {tokens['thu-gom']}"}
    )
    assert request.index in [r["entry"] for r in listed.json]
    bad = client.get(
        "/api/v1/recall-requests?status=maybe",
        headers={"Authorization": f"Bearer {tokens['thu-gom']}"},
    )
    assert bad.status_code == 400
    assert "status" in bad.json["errors"]


def test_a_recall_of_a_lot_one_neither_made_nor_holds_is_a_403_over_http(
    world: World, client: FlaskClient, recall_app: Flask
) -> None:
    made = chain(world)
    [token] = create_tokens(recall_app, ("sieu-thi",)).values()
    refused = client.post(
        "/api/v1/events",
        json={
            "type": "recall",
            "event_time": world.time(),
            "data": {"lots": [made.merged], **RECALL},
        },
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "vi"},
    )
    assert refused.status_code == 403
    assert "không tạo ra và cũng không giữ lô" in refused.json["message"]


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("recall.request", {}),
        ("recall.request", {"lot": 5, "reason": "x"}),
        ("recall.request", {"lot": "lot:8930000000000/NOPE", "reason": "x"}),
        ("recall.request", {"lot": "lot:08930000000001/NO-SUCH-LOT", "reason": "x"}),
        ("recall.request", {"lot": "not a lot", "reason": "x"}),
        ("recall.request", {"lot": "lot:8930000000000/A", "reason": ""}),
        ("recall.request", {"lot": "lot:8930000000000/A", "reason": ["x"]}),
        ("recall.dismiss", {"request": "one", "reason": "x"}),
        ("recall.dismiss", {"request": -1, "reason": "x"}),
        ("recall.dismiss", {"request": 10**30, "reason": "x"}),
        ("recall.dismiss", {"request": 1, "reason": "x"}),
        ("recall.dismiss", {"request": True, "reason": "x"}),
        ("recall", {"request": "1"}),
        ("recall", {"request": 10**30}),
        ("recall", {"request": 1, "lots": []}),
        ("recall", {"lots": "lot:8930000000000/A", "reason": "x"}),
    ],
)
def test_hostile_recall_bodies_are_refused_with_a_reason_and_change_nothing(
    world: World, client: FlaskClient, recall_app: Flask, kind: str, data: dict[str, object]
) -> None:
    [token] = create_tokens(recall_app, ("sieu-thi",)).values()
    with recall_app.app_context():
        before = services().log.size()
    answer = client.post(
        "/api/v1/events",
        json={"type": kind, "event_time": world.time(), "data": data},
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
    )
    assert answer.status_code in (400, 403, 404, 409, 422), answer.get_data(as_text=True)
    assert answer.is_json
    assert answer.json["message"]
    with recall_app.app_context():
        assert services().log.size() == before
