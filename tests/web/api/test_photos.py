"""Photos over HTTP: upload, fetch with the access rules, attach to a record, show on the label
page once public. SQLite only."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from ledger.common.clock import FakeClock
from tests.support.apps import PASSWORD, app_config, create_accounts, create_tokens
from tests.support.databases import DatabaseFactory
from tests.support.photos import GPS_IFD, camera_jpeg, renamed_pdf, small_jpeg
from tests.support.world import (
    AUTHORITY,
    FARM_A,
    FARM_B,
    FARMER_A,
    FRESH_LONGAN,
    PACKED_LONGAN,
    PACKER,
    PACKHOUSE,
    PLOT_A,
    World,
    lot,
)
from web import create_app
from web.services import services

MAX_BYTES = 1024 * 1024
USERS = (("an", "farmer", FARM_A), ("binh", "farmer", FARM_B), ("kiem", "auditor", AUTHORITY))


@pytest.fixture(scope="module")
def app(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    directory = tmp_path_factory.mktemp("photos")
    application = create_app(
        app_config(
            databases.sqlite(), directory, PHOTO_MAX_BYTES=MAX_BYTES, MAX_CONTENT_LENGTH=MAX_BYTES
        ),
        clock=FakeClock(),
    )
    assert application.test_cli_runner().invoke(args=["ledger", "init"]).exit_code == 0
    with application.app_context():
        World(services().log).setup()
    create_accounts(application, USERS)
    yield application
    services(application).log.engine.dispose()


@pytest.fixture(scope="module")
def tokens(app: Flask) -> dict[str, str]:
    return create_tokens(app, tuple(name for name, _, _ in USERS))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def bearer(tokens: dict[str, str], name: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[name]}", "Accept-Language": "en", **headers}


def upload(
    client: FlaskClient, headers: dict[str, str], data: bytes, name: str = "photo.jpg"
) -> Any:
    return client.post(
        "/api/v1/photos",
        data={"file": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def uploaded(client: FlaskClient, tokens: dict[str, str], data: bytes, who: str = "an") -> str:
    response = upload(client, bearer(tokens, who), data)
    assert response.status_code in (200, 201), response.json
    return str(response.json["sha256"])


def harvest(
    client: FlaskClient, tokens: dict[str, str], code: str, *photos: str, who: str = "an"
) -> Any:
    body = {
        "type": "harvest",
        "event_time": "2026-07-15T07:00:00+07:00",
        "data": {
            "plot": PLOT_A,
            "lot": lot(FRESH_LONGAN, code),
            "quantity": "120",
            "data_source": "measured",
            "photos": list(photos),
        },
    }
    return client.post("/api/v1/events", json=body, headers=bearer(tokens, who))


def test_an_upload_answers_its_hash_and_keeps_it_without_gps(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    original = camera_jpeg((3000, 1500))
    first = upload(client, bearer(tokens, "an"), original)
    assert first.status_code == 201, first.json
    body = first.json
    sha = body["sha256"]
    assert (body["width"], body["height"]) == (1600, 800)
    assert (body["thumbnail_width"], body["thumbnail_height"]) == (320, 160)
    assert body["public"] is False
    assert body["public_url"] is None
    assert body["url"] == f"/api/v1/photos/{sha}"
    assert body["thumbnail_url"] == f"/api/v1/photos/{sha}/thumbnail"
    again = upload(client, bearer(tokens, "an"), original)
    assert again.status_code == 200
    assert again.json == body

    photo = client.get(body["url"], headers=bearer(tokens, "an"))
    assert photo.status_code == 200
    assert photo.mimetype == "image/jpeg"
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in photo.headers["Cache-Control"]
    assert hashlib.sha256(photo.data).hexdigest() == sha
    assert len(photo.data) == body["byte_size"]
    kept = Image.open(io.BytesIO(photo.data))
    assert not kept.getexif().get_ifd(GPS_IFD)
    assert b"PhoneCam" not in photo.data
    thumbnail = client.get(body["thumbnail_url"], headers=bearer(tokens, "an"))
    assert thumbnail.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(thumbnail.data)).size == (320, 160)
    unchanged = client.get(
        body["url"], headers=bearer(tokens, "an", **{"If-None-Match": f'"{sha}"'})
    )
    assert unchanged.status_code == 304


@pytest.mark.parametrize(
    ("data", "language", "message"),
    [
        (
            renamed_pdf(),
            "en",
            "This file is a PDF document, not a photo; send a JPEG, PNG or WebP photo.",
        ),
        (
            renamed_pdf(),
            "vi",
            "Tệp này là tài liệu PDF, không phải ảnh; hãy gửi ảnh JPEG, PNG hoặc WebP.",
        ),
        (camera_jpeg()[:5000], "en", "damaged or incomplete"),
        (b"", "en", "The file is empty; choose or take a photo."),
        (b"not a photo at all", "vi", "Tệp này không phải ảnh"),
    ],
    ids=["pdf", "pdf-vi", "truncated", "empty", "text-vi"],
)
def test_a_file_that_is_no_photo_is_refused_naming_the_field(
    client: FlaskClient, tokens: dict[str, str], data: bytes, language: str, message: str
) -> None:
    headers = bearer(tokens, "an", **{"Accept-Language": language})
    response = upload(client, headers, data, "photo.jpg")
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    [sentence] = response.json["errors"]["file"]
    assert message in sentence


def test_a_photo_over_the_limit_is_refused_with_the_limit(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    # Within what a request may carry beside a form (MAX_CONTENT_LENGTH is only for JSON).
    over = small_jpeg() + b"\0" * (MAX_BYTES + 150 * 1024)
    response = upload(client, bearer(tokens, "an"), over)
    assert response.status_code == 413
    assert response.json["errors"]["file"] == ["The photo is 1.2 MB; at most 1 MB are accepted."]
    far_over = upload(client, bearer(tokens, "an", **{"Accept-Language": "vi"}), over * 3)
    assert far_over.status_code == 413
    assert far_over.json["errors"]["file"] == ["Ảnh lớn hơn 1 MB; hãy gửi ảnh nhỏ hơn."]


def test_an_upload_needs_one_file_in_a_multipart_body(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    as_json = client.post("/api/v1/photos", json={"file": "x"}, headers=bearer(tokens, "an"))
    assert as_json.status_code == 400
    assert list(as_json.json["errors"]) == ["file"]
    empty = client.post(
        "/api/v1/photos",
        data={"other": "x"},
        headers=bearer(tokens, "an"),
        content_type="multipart/form-data",
    )
    assert empty.status_code == 400
    assert list(empty.json["errors"]) == ["file"]
    anonymous = upload(client, {}, small_jpeg())
    assert anonymous.status_code == 401


def test_a_browser_session_uploads_with_its_csrf_token(client: FlaskClient) -> None:
    signed_in = client.post("/api/v1/session", json={"username": "an", "password": PASSWORD})
    csrf = signed_in.json["csrf_token"]
    refused = upload(client, {}, small_jpeg((9, 9, 9)))
    assert refused.status_code == 403
    accepted = upload(client, {"X-CSRF-Token": csrf}, small_jpeg((9, 9, 9)))
    assert accepted.status_code == 201


def test_a_private_photo_is_not_found_for_anyone_else(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    sha = uploaded(client, tokens, small_jpeg((1, 200, 1)))
    mine = f"/api/v1/photos/{sha}"
    for path in (mine, f"{mine}/thumbnail", f"{mine}/info"):
        assert client.get(path, headers=bearer(tokens, "kiem")).status_code == 200
        stranger = client.get(path, headers=bearer(tokens, "binh"))
        nobody = client.get(f"/api/v1/photos/{'0' * 64}", headers=bearer(tokens, "binh"))
        assert stranger.status_code == nobody.status_code == 404
        assert stranger.json["code"] == nobody.json["code"] == "photo_not_found"
    assert client.get(mine).status_code == 404  # anonymous
    assert client.get(f"/photos/{sha}.jpg").status_code == 404
    assert client.get(f"/photos/{sha}/thumbnail.jpg").status_code == 404
    assert client.get("/api/v1/photos/ABC", headers=bearer(tokens, "an")).status_code == 404


def test_a_record_refuses_an_unknown_or_another_farms_photo(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    theirs = uploaded(client, tokens, small_jpeg((3, 3, 200)), who="binh")
    for sha in (theirs, "c" * 64):
        refused = harvest(client, tokens, f"R-{sha[:4]}", sha)
        assert refused.status_code == 422
        assert refused.json["errors"]["data"]["photos"]["0"] == [
            f"{FARM_A} uploaded no photo {sha}; upload it before recording."
        ]
    listed_twice = harvest(client, tokens, "R-2", theirs, theirs, who="binh")
    assert listed_twice.status_code == 400
    assert "listed twice" in str(listed_twice.json["errors"]["data"]["photos"])


def test_the_label_page_shows_a_harvest_photo_once_public_and_never_a_private_one(
    client: FlaskClient, tokens: dict[str, str]
) -> None:
    shown = uploaded(client, tokens, small_jpeg((250, 10, 10)))
    hidden = uploaded(client, tokens, small_jpeg((10, 250, 10)))
    publish = f"/api/v1/photos/{shown}/public"
    assert client.put(publish, headers=bearer(tokens, "an")).status_code == 422  # no harvest yet
    recorded = harvest(client, tokens, "PAGE-1", shown, hidden)
    assert recorded.status_code == 201, recorded.json
    page = "/01/" + FRESH_LONGAN + "/10/PAGE-1"
    before = client.get(page).get_data(as_text=True)
    assert shown not in before
    assert hidden not in before

    assert client.put(publish, headers=bearer(tokens, "binh")).status_code == 404
    forbidden = client.put(publish, headers=bearer(tokens, "kiem"))
    assert forbidden.status_code == 403
    assert "holder or the producer" in forbidden.json["message"]
    made_public = client.put(publish, headers=bearer(tokens, "an"))
    assert made_public.status_code == 200
    assert made_public.json["public"] is True
    assert made_public.json["public_url"] == f"/photos/{shown}.jpg"
    assert made_public.json["public_thumbnail_url"] == f"/photos/{shown}/thumbnail.jpg"

    html = client.get(page, headers={"Accept-Language": "vi"}).get_data(as_text=True)
    assert f'<a href="/photos/{shown}.jpg"><img src="/photos/{shown}/thumbnail.jpg"' in html
    assert 'alt="Ảnh thu hoạch, 1/1"' in html
    assert hidden not in html
    assert client.get(page, headers={"Accept": "application/json"}).json["photos"] == {
        str(recorded.json["index"]): [
            {"url": f"/photos/{shown}.jpg", "thumbnail_url": f"/photos/{shown}/thumbnail.jpg"}
        ]
    }
    public = client.get(f"/photos/{shown}.jpg")
    assert public.status_code == 200
    assert public.mimetype == "image/jpeg"
    assert public.headers["X-Content-Type-Options"] == "nosniff"
    assert public.headers["Cache-Control"] == "public, max-age=86400"
    assert hashlib.sha256(public.data).hexdigest() == shown
    assert client.get(f"/photos/{shown}/thumbnail.jpg").mimetype == "image/jpeg"
    assert client.get(f"/photos/{hidden}.jpg").status_code == 404

    private_again = client.delete(publish, headers=bearer(tokens, "an"))
    assert private_again.json["public"] is False
    assert client.get(f"/photos/{shown}.jpg").status_code == 404
    assert shown not in client.get(page).get_data(as_text=True)


def test_the_api_describes_the_photo_operations(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").json
    operation = spec["paths"]["/api/v1/photos"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert {"201", "200", "400", "413"} <= set(operation["responses"])
    fetched = spec["paths"]["/api/v1/photos/{sha256}"]["get"]
    assert "image/jpeg" in fetched["responses"]["200"]["content"]
    assert "put" in spec["paths"]["/api/v1/photos/{sha256}/public"]
    assert {} in fetched["security"]  # anyone may ask; only public photos are found then
    assert "security" not in operation  # an upload needs the API's credentials


def test_a_packed_lots_page_shows_the_public_photo_of_the_harvest_it_came_from(
    app: Flask, client: FlaskClient, tokens: dict[str, str]
) -> None:
    sha = uploaded(client, tokens, small_jpeg((120, 60, 200)))
    assert harvest(client, tokens, "PACK-SRC", sha).status_code == 201
    harvested = lot(FRESH_LONGAN, "PACK-SRC")
    with app.app_context():
        world = World(services().log)
        world.ship(FARMER_A, harvested, "120", PACKHOUSE)
        world.receive(PACKER, harvested, "120")
        packed = lot(PACKED_LONGAN, "BOX-1")
        world.record(
            PACKER,
            "pack",
            {"input": harvested, "outputs": [{"lot": packed, "quantity": "100", "units": 100}]},
        )
        # The packhouse holds the harvested lot now: it may show the farm's photo.
        services().photos.set_public(PACKER, sha, True)
    html = client.get(f"/01/{PACKED_LONGAN}/10/BOX-1").get_data(as_text=True)
    # Between the harvest's heading and the next step's.
    harvest_step = html.split("<strong>Thu hoạch</strong>")[1].split("<strong>")[0]
    assert f'src="/photos/{sha}/thumbnail.jpg"' in harvest_step
