"""The photo field of the farmer's forms: the partial, and the function its views call."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage

from ledger.common.clock import FakeClock
from ledger.common.errors import InvalidInputError
from schemas.photos import PhotoTooLargeError
from tests.support.apps import app_config
from tests.support.databases import DatabaseFactory
from tests.support.photo_form import add_photo_form
from tests.support.photos import camera_jpeg, renamed_pdf, small_jpeg
from tests.support.world import FARMER_A
from web import create_app
from web.i18n import translate
from web.photo_uploads import save_uploaded_photo, save_uploaded_photos
from web.services import services

PARTIAL = '{% from "photo_input.html" import photo_input %}{{ photo_input(**fields) }}'


@pytest.fixture(scope="module")
def form_app(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    directory = tmp_path_factory.mktemp("photo-form")
    app = create_app(
        app_config(
            databases.sqlite(),
            directory,
            PHOTO_MAX_BYTES=512 * 1024,
            MAX_CONTENT_LENGTH=256 * 1024,
        ),
        clock=FakeClock(),
    )
    assert app.test_cli_runner().invoke(args=["ledger", "init"]).exit_code == 0
    add_photo_form(app)
    yield app
    services(app).log.engine.dispose()


def storage(data: bytes, name: str = "photo.jpg") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name, content_type="image/jpeg")


def test_a_form_photo_is_kept_and_its_hash_returned(form_app: Flask) -> None:
    with form_app.test_request_context("/"):
        sha = save_uploaded_photo(storage(camera_jpeg()), FARMER_A)
        kept = services().photos.info(FARMER_A, sha)
        assert (kept.sha256, kept.width) == (sha, 1600)
        again = save_uploaded_photos(
            [storage(camera_jpeg()), storage(small_jpeg())], FARMER_A, field="photos"
        )
        assert again[0] == sha
        assert len(again) == 2


@pytest.mark.parametrize(
    ("data", "error", "status"),
    [
        (
            renamed_pdf(),
            "Tệp này là tài liệu PDF, không phải ảnh; hãy gửi ảnh JPEG, PNG hoặc WebP.",
            400,
        ),
        (b"", "Tệp trống; hãy chọn hoặc chụp một ảnh.", 400),
        (small_jpeg() + b"\0" * 600_000, "Ảnh nặng 0,6 MB; chỉ chấp nhận tối đa 0,5 MB.", 413),
    ],
    ids=["pdf", "empty", "too-large"],
)
def test_a_bad_form_photo_is_refused_naming_the_field_in_vietnamese(
    form_app: Flask, data: bytes, error: str, status: int
) -> None:
    with form_app.test_request_context("/", headers={"Accept-Language": "vi"}):
        with pytest.raises(InvalidInputError) as caught:
            save_uploaded_photo(storage(data), FARMER_A, field="harvest_photo")
        assert caught.value.status == status
        assert isinstance(caught.value, PhotoTooLargeError) == (status == 413)
        assert translate(caught.value.errors) == {"harvest_photo": [error]}


def test_the_partial_is_a_camera_input_labelled_in_the_pages_language(form_app: Flask) -> None:
    with form_app.test_request_context("/?lang=vi"):
        html = render_template_string(PARTIAL, fields={"name": "photo", "errors": ["Sai"]})
    assert (
        '<input type="file" id="photo" name="photo" accept="image/*" capture="environment"' in html
    )
    assert '<label for="photo">Ảnh (không bắt buộc)</label>' in html
    assert 'data-resizing="Đang thu nhỏ ảnh để gửi…"' in html
    assert 'data-ready="Ảnh đã sẵn sàng để gửi: {width} × {height} điểm ảnh, {size} KB."' in html
    assert "Chụp ảnh bằng máy ảnh hoặc chọn ảnh có sẵn: JPEG, PNG hoặc WebP, tối đa 0,5 MB." in html
    assert 'aria-invalid="true"' in html
    assert '<p class="errors" role="alert">Sai</p>' in html
    # The page holds photo.js itself (web.inline_assets), as its policy allows by its hash.
    assert '<script type="module">' in html
    assert 'document.querySelectorAll("[data-photo-input]")' in html
    assert " multiple" not in html
    with form_app.test_request_context("/?lang=en"):
        english = render_template_string(
            PARTIAL, fields={"name": "flock_photo", "label": "Flock", "multiple": True, "max_mb": 5}
        )
    assert '<label for="flock_photo">Flock</label>' in english
    assert 'name="flock_photo" accept="image/*" capture="environment" multiple' in english
    assert "JPEG, PNG or WebP, at most 5 MB." in english
    assert 'data-resizing="Making the photo smaller for sending…"' in english


def test_a_form_without_javascript_sends_the_full_photo_and_the_server_resizes_it(
    form_app: Flask,
) -> None:
    client: FlaskClient = form_app.test_client()
    big = camera_jpeg((2000, 1000))
    posted = client.post(
        "/test/photo-form?lang=en",
        data={"photo": (io.BytesIO(big), "IMG_0001.jpg")},
        content_type="multipart/form-data",
    )
    assert posted.status_code == 200
    assert "1600x800" in posted.get_data(as_text=True)
    nothing_chosen = client.post(
        "/test/photo-form",
        data={"photo": (io.BytesIO(b""), "")},
        content_type="multipart/form-data",
    )
    assert nothing_chosen.status_code == 200
    assert 'id="kept"' not in nothing_chosen.get_data(as_text=True)
    pdf = client.post(
        "/test/photo-form?lang=vi",
        data={"photo": (io.BytesIO(renamed_pdf()), "photo.jpg")},
        content_type="multipart/form-data",
    )
    assert pdf.status_code == 400
    assert "Tệp này là tài liệu PDF" in pdf.get_data(as_text=True)
    far_too_large = client.post(
        "/test/photo-form?lang=vi",
        data={"photo": (io.BytesIO(b"\xff" * (2 * 1024 * 1024)), "photo.jpg")},
        content_type="multipart/form-data",
    )
    # Past what a form may carry beside its photo: refused before the body is read.
    assert far_too_large.status_code == 413
    assert "Ảnh lớn hơn 0,5 MB; hãy gửi ảnh nhỏ hơn." in far_too_large.get_data(as_text=True)
    over = client.post(
        "/test/photo-form?lang=en",
        data={"photo": (io.BytesIO(small_jpeg() + b"\0" * 600_000), "photo.jpg")},
        content_type="multipart/form-data",
    )
    assert over.status_code == 413
    assert "The photo is 0.6 MB; at most 0.5 MB are accepted." in over.get_data(as_text=True)
