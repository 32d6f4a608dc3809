"""Scanning in a real browser with a fake camera that shows labels this project printed.

Debian's Chromium on Linux has no ``BarcodeDetector``, so these tests go through the vendored
ZXing-C++ WebAssembly reader, loaded from this app when the camera opens; no request may leave
the app's origin. A collector opens a shipment's card by scanning one of its labels, counts its
four cartons with the camera, and receives it; where the page is no secure context it says so
and the code is typed instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.supplychain import lots
from tests.support.apps import PASSWORD
from tests.support.browser import (
    PHONE,
    browser_app,
    check_field_page,
    chromium_beside,
    live_server,
    watch_policy,
)
from tests.support.camera import label_pages, label_video
from tests.support.databases import DatabaseFactory
from tests.support.handover import Dock, build_dock
from tests.support.world import COLLECTOR
from web.services import services

pytestmark = pytest.mark.timeout(120)
INSECURE_HOST = "kho.hungyen.test"


@pytest.fixture(scope="module")
def dock(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Dock, Path, Any]]:
    directory = tmp_path_factory.mktemp("scan-browser")
    app = browser_app(databases, directory)
    with live_server(app) as base:
        found = build_dock(app, base)
        with app.app_context():
            pages = label_pages(services().log, found.shipped_lot, base, directory)
        yield base, found, label_video(pages, directory / "labels.mjpeg"), app


@pytest.fixture(scope="module")
def camera_browser(browser: Any, dock: tuple[str, Dock, Path, Any]) -> Iterator[Any]:
    _, _, video, _ = dock
    with chromium_beside(
        browser,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
        # A name that is not localhost: plain HTTP there is no secure context.
        f"--host-resolver-rules=MAP {INSECURE_HOST} 127.0.0.1",
    ) as browser:
        yield browser


@pytest.fixture
def collector(
    camera_browser: Any, dock: tuple[str, Dock, Path, Any]
) -> Iterator[tuple[Any, list[str]]]:
    """The collector's phone, signed in, every request outside the app's origin refused and
    recorded."""
    base, _, _, _ = dock
    context = camera_browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN", permissions=["camera"]
    )
    elsewhere: list[str] = []

    def keep_home(route: Any) -> None:
        if route.request.url.startswith(base + "/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", keep_home)
    page = context.new_page()
    page.goto(f"{base}/sign-in?lang=vi")
    page.fill("input[name=username]", "thu-gom")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    yield page, elsewhere
    context.close()


def test_a_collector_scans_a_label_counts_the_cartons_and_receives_them(
    collector: tuple[Any, list[str]], dock: tuple[str, Dock, Path, Any]
) -> None:
    """One handover: the scan opens the shipment's card through the wasm reader; the cartons
    are counted with the camera (the video shows the first again: flagged, not counted); the
    count's receive form records the receipt."""
    page, elsewhere = collector
    base, found, _, app = dock
    violations = watch_policy(page)
    wasm: list[str] = []
    page.on("requestfinished", lambda r: wasm.append(r.url) if r.url.endswith(".wasm") else None)
    page.goto(f"{base}/field/scan")
    assert page.evaluate("'BarcodeDetector' in window") is False, "Linux Chromium has none"
    page.wait_for_selector("#scanner[data-ready]")
    assert wasm == [], "the reader is loaded only when the camera opens"
    check_field_page(page, "scan")
    page.set_viewport_size(PHONE)
    page.click("#camera-start")
    page.wait_for_url(f"{base}/field/lots/**", timeout=30_000)
    assert page.url == f"{base}/field/lots/{found.shipped_lot}"
    assert page.inner_text("#lot-receiver") == "Thu gom Hưng Long"
    assert wasm == [f"{base}/static/vendor/zxing-wasm-3.1.3/zxing_reader.wasm"]
    check_field_page(page, "lot-card")
    page.click("#action-receive")
    check_field_page(page, "lot-card-receive")

    page.goto(f"{base}/field/lots/{found.shipped_lot}")
    page.click("#tally-start")
    check_field_page(page, "scan-tally")
    page.set_viewport_size(PHONE)
    page.click("#camera-start")
    page.wait_for_selector("#tally-count:text-is('4')", timeout=40_000)
    assert page.get_attribute("#scanner", "data-reader") == "zxing-wasm"
    page.wait_for_selector("#tally[data-last=duplicate]", timeout=20_000)
    assert page.inner_text("#tally-count") == "4"
    page.click("#tally-done")
    assert page.input_value("select[name=outcome]") == "all"
    page.click("form.event-form button[type=submit]")
    page.wait_for_selector("#done")
    assert page.inner_text("#lot-holder") == "Thu gom Hưng Long"
    assert elsewhere == [], "no request leaves the app's origin"
    assert violations == []
    with app.app_context():
        received = lots.lot(services().log.engine, found.shipped_lot)
    assert (received["holder"], received["quantity"], received["custody"]) == (
        COLLECTOR,
        "4",
        "active",
    )


def test_without_a_secure_context_the_page_says_so_and_manual_entry_stays(
    camera_browser: Any, dock: tuple[str, Dock, Path, Any]
) -> None:
    base, found, _, _ = dock
    insecure = base.replace("127.0.0.1", INSECURE_HOST)
    context = camera_browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    try:
        page.goto(f"{insecure}/sign-in?lang=vi")
        page.fill("input[name=username]", "thu-gom")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{insecure}/field/scan")
        page.wait_for_selector("#scanner[data-ready]")
        assert page.evaluate("window.isSecureContext") is False
        assert page.is_visible("#secure-note")
        assert "HTTPS" in page.inner_text("#secure-note")
        assert not page.is_visible("#camera-start")
        page.fill("#code", found.shipped_labels[0])
        page.click("#code-form button[type=submit]")
        page.wait_for_url(f"{insecure}/field/lots/**")
        assert page.url == f"{insecure}/field/lots/{found.shipped_lot}"
    finally:
        context.close()
