"""The photo field in a real headless Chromium: the photo is made small and upright on the
device before the form is sent, and a file that is no photo still gets the server's message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import PHONE, browser_app, live_server, playwright_api
from tests.support.databases import DatabaseFactory
from tests.support.photo_form import add_photo_form
from tests.support.photos import camera_jpeg, renamed_pdf

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def base_url(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = browser_app(databases, tmp_path_factory.mktemp("photo-browser"))
    add_photo_form(app)
    with live_server(app) as base:
        yield base


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, locale="vi-VN")
    yield context.new_page()
    context.close()


def test_the_photo_is_resized_on_the_device_before_the_form_is_sent(
    phone: Any, base_url: str, tmp_path: Path
) -> None:
    violations: list[str] = []
    phone.on(
        "console", lambda m: violations.append(m.text) if "Security Policy" in m.text else None
    )
    original = tmp_path / "IMG_0042.jpg"
    original.write_bytes(camera_jpeg((3000, 1500), orientation=6))
    phone.goto(f"{base_url}/test/photo-form?lang=vi")
    field = phone.locator("input[type=file]")
    box = field.bounding_box()
    assert box["height"] >= 44
    field.set_input_files(str(original))
    status = phone.locator(".photo-status")
    playwright_api().expect(status).to_contain_text("Ảnh đã sẵn sàng để gửi: 800 × 1600 điểm ảnh")
    sent = phone.evaluate(
        "() => { const f = document.querySelector('input[type=file]').files[0];"
        " return [f.name, f.type, f.size]; }"
    )
    assert sent[0] == "IMG_0042.jpg"
    assert sent[1] == "image/jpeg"
    assert sent[2] < original.stat().st_size
    bodies: list[int] = []
    phone.on(
        "request",
        lambda r: bodies.append(len(r.post_data_buffer or b"")) if r.method == "POST" else None,
    )
    with phone.expect_navigation():
        phone.locator("button[type=submit]").click()
    # Upright as the camera was held, and no larger than the device made it.
    assert phone.locator("#kept").inner_text().endswith(" 800x1600")
    assert bodies
    assert bodies[0] < original.stat().st_size
    assert violations == []


def test_a_pdf_chosen_as_a_photo_goes_as_it_is_and_gets_the_servers_message(
    phone: Any, base_url: str, tmp_path: Path
) -> None:
    pdf = tmp_path / "photo.jpg"
    pdf.write_bytes(renamed_pdf())
    phone.goto(f"{base_url}/test/photo-form?lang=vi")
    phone.locator("input[type=file]").set_input_files(str(pdf))
    playwright_api().expect(phone.locator(".photo-status")).to_contain_text(
        "Thiết bị này không đọc được tệp như một ảnh"
    )
    with phone.expect_navigation():
        phone.locator("button[type=submit]").click()
    playwright_api().expect(phone.locator(".errors")).to_have_text(
        "Tệp này là tài liệu PDF, không phải ảnh; hãy gửi ảnh JPEG, PNG hoặc WebP."
    )
    assert phone.locator("#kept").count() == 0
