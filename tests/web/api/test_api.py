"""The REST API: authentication, CSRF, errors in the caller's language, events, lots, masters."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ledger.common.clock import FakeClock
from tests.support.apps import PASSWORD, app_config, create_accounts, create_tokens
from tests.support.databases import DatabaseFactory
from tests.support.world import (
    COLLECTOR,
    FARM_A,
    FARM_B,
    FRESH_LONGAN,
    PLOT_A,
    PLOT_B,
    World,
    gln,
)
from web import create_app
from web.services import services


@pytest.fixture(scope="module")
def api_app(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    directory = tmp_path_factory.mktemp("api")
    app = create_app(
        app_config(databases.sqlite(), directory, LOGIN_LIMIT="5 per minute"), clock=FakeClock()
    )
    assert app.test_cli_runner().invoke(args=["ledger", "init"]).exit_code == 0
    with app.app_context():
        World(services().log).setup()
    create_accounts(
        app,
        (
            ("an", "farmer", FARM_A),
            ("binh", "farmer", FARM_B),
            ("thu-gom", "distributor", COLLECTOR),
            ("quan-tri", "admin", None),
        ),
    )
    yield app
    services(app).log.engine.dispose()


@pytest.fixture(scope="module")
def tokens(api_app: Flask) -> dict[str, str]:
    return create_tokens(api_app, ("an", "binh", "thu-gom", "quan-tri"))


@pytest.fixture
def client(api_app: Flask) -> FlaskClient:
    return api_app.test_client()


def bearer(token: str, language: str = "en") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept-Language": language}


def harvest(
    lot_code: str, quantity: str = "500", plot: str = PLOT_A, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "harvest",
        "event_time": "2026-07-15T06:00:00+07:00",
        "data": {
            "plot": plot,
            "lot": {"gtin": FRESH_LONGAN, "lot": lot_code},
            "quantity": quantity,
            "data_source": "measured",
        },
        **extra,
    }


def test_writes_need_credentials_and_say_so(client: FlaskClient) -> None:
    response = client.post("/api/v1/events", json=harvest("X1"), headers={"Accept-Language": "en"})
    assert response.status_code == 401
    assert response.json["code"] == "unauthenticated"
    wrong = client.post("/api/v1/events", json=harvest("X1"), headers=bearer("hyt_nope"))
    assert wrong.status_code == 401
    assert wrong.json["message"] == "The API token is not valid."
    scheme = client.get("/api/v1/lots", headers={"Authorization": "Basic abc"})
    assert scheme.status_code == 401


def test_recording_an_event_and_repeating_it(client: FlaskClient, tokens: dict[str, str]) -> None:
    body = harvest("A-001", "1250.50", idempotency_key="thu-hoach-001")
    first = client.post("/api/v1/events", json=body, headers=bearer(tokens["an"]))
    assert first.status_code == 201, first.json
    assert first.json["lots"] == [f"lot:{FRESH_LONGAN}/A-001"]
    again = client.post("/api/v1/events", json=body, headers=bearer(tokens["an"]))
    assert again.status_code == 200
    assert (again.json["index"], again.json["repeated"]) == (first.json["index"], True)
    changed = client.post(
        "/api/v1/events",
        json=harvest("A-002", idempotency_key="thu-hoach-001"),
        headers=bearer(tokens["an"]),
    )
    assert changed.status_code == 409
    lot = client.get(f"/api/v1/lots/{FRESH_LONGAN}/A-001", headers=bearer(tokens["binh"]))
    assert lot.status_code == 200
    assert (lot.json["holder"], lot.json["quantity"]) == (FARM_A, "1250.5")


def test_errors_name_the_field_in_the_callers_language(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    body = harvest("A-003", "12,5")
    english = client.post("/api/v1/events", json=body, headers=bearer(tokens["an"]))
    assert english.status_code == 400
    assert "is not a decimal" in english.json["errors"]["data"]["quantity"][0]
    vietnamese = client.post("/api/v1/events", json=body, headers=bearer(tokens["an"], "vi"))
    assert "số thập phân" in vietnamese.json["errors"]["data"]["quantity"][0]
    assert vietnamese.json["message"] == "Yêu cầu chứa dữ liệu không hợp lệ."
    duplicate = client.post(
        "/api/v1/events",
        data='{"type": "harvest", "type": "ship"}',
        headers={**bearer(tokens["an"]), "Content-Type": "application/json"},
    )
    assert duplicate.status_code == 400
    assert "appears twice" in duplicate.json["errors"]["$"][0]
    unknown = client.post(
        "/api/v1/events", json={**harvest("A-004"), "extra": 1}, headers=bearer(tokens["an"])
    )
    assert unknown.status_code == 400
    assert "extra" in unknown.json["errors"]


def test_rules_answer_403_and_422_and_nothing_changes(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    size = client.get("/ledger/checkpoint").data.split(b"\n")[1]
    forbidden = client.post(
        "/api/v1/events", json=harvest("B-001", plot=PLOT_A), headers=bearer(tokens["binh"])
    )
    assert forbidden.status_code == 403
    assert PLOT_A in forbidden.json["message"]
    assert (
        client.post(
            "/api/v1/events",
            json=harvest("B-002", "10", plot=PLOT_B),
            headers=bearer(tokens["binh"]),
        ).status_code
        == 201
    )
    ship = {
        "type": "ship",
        "event_time": "2026-07-15T07:00:00+07:00",
        "data": {
            "lot": f"lot:{FRESH_LONGAN}/B-002",
            "quantity": "11",
            "receiver": COLLECTOR,
            "vehicle_class": "motorbike",
            "refrigerated": False,
            "distance_km": "3",
            "transport_document": "PX-1",
            "data_source": "measured",
        },
    }
    over = client.post("/api/v1/events", json=ship, headers=bearer(tokens["binh"]))
    assert over.status_code == 422
    assert over.json["code"] == "insufficient_quantity"
    assert "has 10 kg available; the event needs 11 kg" in over.json["message"]
    assert client.get("/ledger/checkpoint").data.split(b"\n")[1] != size  # B-002 was recorded


def test_a_batch_is_all_or_nothing(client: FlaskClient, tokens: dict[str, str]) -> None:
    events = [harvest(f"C-{n}", "5") for n in range(3)] + [harvest("C-0", "5")]
    response = client.post(
        "/api/v1/events/batch", json={"events": events}, headers=bearer(tokens["an"])
    )
    assert response.status_code == 409
    assert response.json["code"] == "batch_rejected"
    assert "Line 4" in response.json["message"]
    missing = client.get(f"/api/v1/lots/{FRESH_LONGAN}/C-0", headers=bearer(tokens["an"]))
    assert missing.status_code == 404
    good = client.post(
        "/api/v1/events/batch", json={"events": events[:3]}, headers=bearer(tokens["an"])
    )
    assert good.status_code == 201
    assert len(good.json["results"]) == 3
    too_many = client.post(
        "/api/v1/events/batch", json={"events": [harvest("D")] * 1001}, headers=bearer(tokens["an"])
    )
    assert too_many.status_code == 400
    assert "events" in too_many.json["errors"]


def test_lots_search_trace_and_bounded_parameters(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    page = client.get(f"/api/v1/lots?gtin={FRESH_LONGAN}&limit=2", headers=bearer(tokens["an"]))
    assert page.status_code == 200
    assert len(page.json["items"]) == 2
    assert page.json["next_after"] == page.json["items"][-1]["id"]
    for query in ("limit=0", "limit=99999999999999999999999", "holder=123", "gtin=abc"):
        bad = client.get(f"/api/v1/lots?{query}", headers=bearer(tokens["an"]))
        assert bad.status_code == 400, query
    back = client.get(f"/api/v1/lots/{FRESH_LONGAN}/A-001/trace/back", headers=bearer(tokens["an"]))
    assert back.status_code == 200
    assert back.json["origins"][0]["source"] == f"plot:{PLOT_A}"
    forward = client.get(
        f"/api/v1/lots/{FRESH_LONGAN}/A-001/trace/forward", headers=bearer(tokens["an"])
    )
    assert forward.json["holders"] == [FARM_A]
    events = client.get(f"/api/v1/lots/{FRESH_LONGAN}/A-001/events", headers=bearer(tokens["an"]))
    assert [e["type"] for e in events.json["events"]] == ["harvest"]
    nowhere = client.get(f"/api/v1/lots/{FRESH_LONGAN}/NOPE", headers=bearer(tokens["an"]))
    assert nowhere.status_code == 404
    assert client.get("/api/v1/lots/123/A", headers=bearer(tokens["an"])).status_code == 400


def test_master_data_is_written_by_admins_with_a_reason(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    key = gln(700)
    body = {"name": "Hộ Phạm Văn Hải", "roles": ["farm"], "reason": "Đăng ký mới"}
    refused = client.put(f"/api/v1/organisations/{key}", json=body, headers=bearer(tokens["an"]))
    assert refused.status_code == 403
    created = client.put(
        f"/api/v1/organisations/{key}", json=body, headers=bearer(tokens["quan-tri"])
    )
    assert created.status_code == 201
    assert created.json["version"] == 1
    updated = client.put(
        f"/api/v1/organisations/{key}",
        json={**body, "name": "Hộ Phạm Văn Hải (đổi tên)", "reason": "Sửa tên"},
        headers=bearer(tokens["quan-tri"]),
    )
    assert (updated.status_code, updated.json["version"]) == (200, 2)
    versions = client.get(
        f"/api/v1/organisations/{key}/versions", headers=bearer(tokens["quan-tri"])
    )
    assert [v["reason"] for v in versions.json] == ["Đăng ký mới", "Sửa tên"]
    bad_key = client.put(
        "/api/v1/organisations/8930000000000", json=body, headers=bearer(tokens["quan-tri"])
    )
    assert bad_key.status_code == 400
    no_reason = client.put(
        f"/api/v1/organisations/{key}",
        json={"name": "x", "roles": ["farm"]},
        headers=bearer(tokens["quan-tri"]),
    )
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json["errors"]


def test_sessions_need_the_csrf_token_for_writes(client: FlaskClient) -> None:
    signed_in = client.post("/api/v1/session", json={"username": "an", "password": PASSWORD})
    assert signed_in.status_code == 200
    csrf = signed_in.json["csrf_token"]
    assert client.get(f"/api/v1/lots/{FRESH_LONGAN}/A-001").status_code == 200
    without = client.post("/api/v1/events", json=harvest("E-1", "1"))
    assert without.status_code == 403
    assert "X-CSRF-Token" in without.json["message"]
    with_token = client.post(
        "/api/v1/events", json=harvest("E-1", "1"), headers={"X-CSRF-Token": csrf}
    )
    assert with_token.status_code == 201
    assert client.delete("/api/v1/session").status_code == 204
    assert client.get(f"/api/v1/lots/{FRESH_LONGAN}/A-001").status_code == 401


def test_failed_sign_ins_are_rate_limited(api_app: Flask) -> None:
    client = api_app.test_client()
    statuses = [
        client.post(
            "/api/v1/session",
            json={"username": "an", "password": "sai-mật-khẩu-rồi"},
            environ_base={"REMOTE_ADDR": "10.0.0.9"},
        ).status_code
        for _ in range(7)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[-1] == 429


def test_methods_sizes_and_the_spec(client: FlaskClient, tokens: dict[str, str]) -> None:
    wrong = client.delete("/api/v1/events", headers=bearer(tokens["an"]))
    assert wrong.status_code == 405
    assert "POST" in wrong.headers["Allow"]
    huge = client.post(
        "/api/v1/events",
        data=b'{"type": "' + b"x" * (9 * 1024 * 1024) + b'"}',
        headers={**bearer(tokens["an"]), "Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/events/batch" in spec.json["paths"]
    assert spec.json["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert b"/api/docs/assets/swagger-ui-bundle.js" in docs.data
    assert b"cdn." not in docs.data  # the docs page works without the internet
    bundle = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert bundle.content_length > 100_000
    assert client.get("/api/docs/assets/../../web/config.py").status_code == 404


def test_odd_input_is_refused_clearly(client: FlaskClient, tokens: dict[str, str]) -> None:
    slash = client.get(f"/api/v1/lots/{FRESH_LONGAN}/A%2F1", headers=bearer(tokens["an"]))
    assert slash.status_code == 400
    assert "search with" in slash.json["errors"]["lot"][0]
    ancient = client.post(
        "/api/v1/events",
        json={**harvest("F-1"), "event_time": "0001-01-01T00:00:00+23:59", "late_reason": "x"},
        headers=bearer(tokens["an"]),
    )
    assert ancient.status_code == 400
    assert "1900 and 2999" in ancient.json["errors"]["event_time"][0]
    far = client.get(
        "/api/v1/lots?created_to=9999-12-31T23:59:59-23:59", headers=bearer(tokens["an"])
    )
    assert far.status_code == 400
    ship = {
        "type": "ship",
        "event_time": "2026-07-15T07:00:00+07:00",
        "data": {
            "lot": f"lot:{FRESH_LONGAN}/A-001",
            "quantity": "1",
            "receiver": COLLECTOR,
            "vehicle_class": "van",
            "refrigerated": "yes",
            "distance_km": "3",
            "transport_document": "PX-2",
            "data_source": "measured",
        },
    }
    loose = client.post("/api/v1/events", json=ship, headers=bearer(tokens["an"]))
    assert loose.status_code == 400
    assert "refrigerated" in loose.json["errors"]["data"]
