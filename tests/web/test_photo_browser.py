"""The photo field in a real headless Chromium: the photo is made small and upright on the
device before the form is sent, and a file that is no photo still gets the server's message."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from ledger.common.clock import FakeClock
from tests.support.apps import app_config
from tests.support.databases import DatabaseFactory
from tests.support.photo_form import add_photo_form
from tests.support.photos import camera_jpeg, renamed_pdf
from web import create_app
from web.services import services

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
PHONE = {"width": 360, "height": 740}

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
    pytest.mark.timeout(120),
]


@pytest.fixture(scope="module")
def base_url(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("photo-browser")
    app: Flask = create_app(app_config(databases.sqlite(), directory), clock=FakeClock())
    assert app.test_cli_runner().invoke(args=["ledger", "init"]).exit_code == 0
    add_photo_form(app)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    services(app).log.engine.dispose()


@pytest.fixture(scope="module")
def phone(browser: Any) -> Iterator[Any]:
    """A phone's page in the session's Chromium (a second Playwright cannot start beside it)."""
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
    playwright_api.expect(status).to_contain_text("Ảnh đã sẵn sàng để gửi: 800 × 1600 điểm ảnh")
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
    playwright_api.expect(phone.locator(".photo-status")).to_contain_text(
        "Thiết bị này không đọc được tệp như một ảnh"
    )
    with phone.expect_navigation():
        phone.locator("button[type=submit]").click()
    playwright_api.expect(phone.locator(".errors")).to_have_text(
        "Tệp này là tài liệu PDF, không phải ảnh; hãy gửi ảnh JPEG, PNG hoặc WebP."
    )
    assert phone.locator("#kept").count() == 0
