"""Exact numbers and strict input over HTTP, on the demo season that ``make run`` loads: a
quantity finer than its unit, a JSON number with an exponent, loose decimal strings, a body in
another charset and implausible dates are refused with 4xx before anything changes; a lot's
status says recalled, on hold or expired, and the search finds each."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.apps import app_config, create_tokens, seed_demo
from tests.support.databases import DatabaseFactory
from web import create_app
from web.services import services

BOXES = "08938888000022"
LOT = f"lot:{BOXES}/HP000118"


@pytest.fixture(scope="module")
def demo_app(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    directory: Path = tmp_path_factory.mktemp("numbers")
    app = create_app(app_config(databases.sqlite(), directory))
    seed_demo(app)
    yield app
    services(app).log.engine.dispose()


@pytest.fixture(scope="module")
def headers(demo_app: Flask) -> dict[str, str]:
    token = create_tokens(demo_app, ("sieu-thi-3",))["sieu-thi-3"]
    return {"Authorization": f"Bearer {token}", "Accept-Language": "en"}


@pytest.fixture
def client(demo_app: Flask) -> FlaskClient:
    return demo_app.test_client()


def event_time(demo_app: Flask) -> str:
    return services(demo_app).log.clock.now().isoformat(timespec="milliseconds")


def body(demo_app: Flask, kind: str, quantity: str) -> str:
    """An event as JSON text with ``quantity`` spliced in as written (a JSON number stays one)."""
    data = {"lot": LOT, "quantity": "@"}
    if kind == "loss":
        data.update(stage="retail", reason="Hỏng")
    text = json.dumps({"type": kind, "event_time": event_time(demo_app), "data": data})
    return text.replace('"@"', quantity)


def quantity(client: FlaskClient, headers: dict[str, str]) -> str:
    lot = client.get(f"/api/v1/lots/{BOXES}/HP000118", headers=headers)
    assert lot.status_code == 200
    return str(lot.json["quantity"])


def post(client: FlaskClient, headers: dict[str, str], text: str, **extra: Any) -> Any:
    content_type = extra.pop("content_type", "application/json")
    return client.post(
        "/api/v1/events", data=text, content_type=content_type, headers=headers, **extra
    )


def test_quantities_finer_than_a_gram_are_400s_that_name_the_unit(
    demo_app: Flask, client: FlaskClient, headers: dict[str, str]
) -> None:
    before = quantity(client, headers)
    size = services(demo_app).log.size()
    for kind in ("loss", "sell"):
        for written in (
            '"0.0000000000000000000000000000000000001"',
            '"0.00000000000000000000000000000001"',
            '"0.' + "0" * 5000 + '1"',
            "1E-40",
            "1E-9999",
            "1e-32",
        ):
            answer = post(client, headers, body(demo_app, kind, written))
            assert answer.status_code == 400, (kind, written[:20], answer.json)
            [message] = answer.json["errors"]["data"]["quantity"]
            if written.startswith('"'):
                assert "0.001 kg" in message, message
            else:
                assert "JSON number" in message, message
    assert quantity(client, headers) == before
    assert services(demo_app).log.size() == size
    vietnamese = post(
        client, {**headers, "Accept-Language": "vi"}, body(demo_app, "loss", '"0.0005"')
    )
    assert "0,001 kg" in vietnamese.json["errors"]["data"]["quantity"][0]
    assert "thập phân" in vietnamese.json["errors"]["data"]["quantity"][0]
    sold = post(client, headers, body(demo_app, "sell", '"0.001"'))
    assert sold.status_code == 201, sold.json
    after = quantity(client, headers)
    assert len(after.partition(".")[2]) <= 3


def test_loose_decimals_and_other_charsets_are_refused(
    demo_app: Flask, client: FlaskClient, headers: dict[str, str]
) -> None:
    for written in ('"+5"', '" 5"', '"5 "', '"05"', '"5e0"'):
        answer = post(client, headers, body(demo_app, "sell", written))
        assert answer.status_code == 400, written
        assert "is not a decimal" in answer.json["errors"]["data"]["quantity"][0]
    text = body(demo_app, "sell", '"1"')
    declared = post(client, headers, text, content_type="application/json; charset=utf-16")
    assert declared.status_code == 415
    assert "utf-16" in declared.json["message"]
    utf16 = post(client, headers, text.encode("utf-16"))
    assert utf16.status_code == 400
    assert "UTF-8" in utf16.json["errors"]["$"][0]
    explicit = post(client, headers, text, content_type="application/json; charset=UTF-8")
    assert explicit.status_code == 201, explicit.json


def search(client: FlaskClient, headers: dict[str, str], status: str) -> set[str]:
    page = client.get(f"/api/v1/lots?status={status}&limit=200", headers=headers)
    assert page.status_code == 200, page.json
    assert {item["status"] for item in page.json["items"]} <= {status}
    return {item["id"] for item in page.json["items"]}


def test_held_and_recalled_lots_say_so_and_are_found_by_status(
    demo_app: Flask, client: FlaskClient, headers: dict[str, str]
) -> None:
    assert LOT in search(client, headers, "active")
    failed = {
        "type": "inspect",
        "event_time": event_time(demo_app),
        "data": {
            "lot": LOT,
            "analyte": "Carbendazim",
            "value": "0.6",
            "unit": "mg/kg",
            "lab": "Phòng thử nghiệm",
            "result": "fail",
        },
    }
    assert client.post("/api/v1/events", json=failed, headers=headers).status_code == 201
    held = client.get(f"/api/v1/lots/{BOXES}/HP000118", headers=headers).json
    assert (held["status"], held["custody"]) == ("on_hold", "active")
    assert held["on_hold_by"] is not None
    assert LOT in search(client, headers, "on_hold")
    assert LOT not in search(client, headers, "active")
    withdrawal = {
        "type": "recall",
        "event_time": event_time(demo_app),
        "data": {"lots": [LOT], "reason": "Dư lượng vượt ngưỡng", "consumer_action": "Trả lại"},
    }
    assert client.post("/api/v1/events", json=withdrawal, headers=headers).status_code == 201
    assert client.get(f"/api/v1/lots/{BOXES}/HP000118", headers=headers).json["status"] == (
        "recalled"
    )
    assert LOT in search(client, headers, "recalled")
    assert LOT not in search(client, headers, "on_hold")
    for status in ("in_transit", "depleted", "expired"):
        assert LOT not in search(client, headers, status)
    bad = client.get("/api/v1/lots?status=held", headers=headers)
    assert bad.status_code == 400
    assert "on_hold" in bad.json["errors"]["status"][0]
    spec = client.get("/api/openapi.json").json
    [parameter] = [
        p for p in spec["paths"]["/api/v1/lots"]["get"]["parameters"] if p["name"] == "status"
    ]
    assert parameter["schema"]["enum"] == [
        "recalled",
        "on_hold",
        "depleted",
        "expired",
        "in_transit",
        "active",
    ]
    lot_schema = spec["components"]["schemas"]["Lot"]["properties"]
    assert lot_schema["status"]["enum"] == parameter["schema"]["enum"]


def test_the_command_line_import_refuses_the_same_amounts(
    demo_app: Flask, client: FlaskClient, headers: dict[str, str], tmp_path: Path
) -> None:
    before, size = quantity(client, headers), services(demo_app).log.size()
    lines = tmp_path / "events.jsonl"
    lines.write_text(
        "\n".join(
            body(demo_app, kind, written)
            for kind, written in (("loss", "1E-40"), ("sell", '"+5"'), ("sell", '"0.0005"'))
        )
        + "\n"
    )
    result = demo_app.test_cli_runner().invoke(
        args=["events", "import", str(lines), "--as", "sieu-thi-3"]
    )
    assert result.exit_code == 1
    assert "line 1" in result.output
    assert "line 2" in result.output
    assert "0.001 kg" in result.output
    assert (quantity(client, headers), services(demo_app).log.size()) == (before, size)
