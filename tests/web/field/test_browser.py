"""A farmer's day and the distributor's handover, in a real Chromium at 360 × 740.

The farmer signs in and lands on today's work, records a spray (the form saying how it reads
each number as it is typed), sees the harvest form refuse that plot until its interval ends
(with the day it ends), records a harvest on the farm's other plot with a photo taken on the
device, and hands the harvest over to the collector. The collector signs in on a phone whose
camera sees the crate's tag and receives the lot from the card the scan opens.

A harvest lot has no serialised labels (nothing is packed yet, and labels are issued per unit
of a packed lot); what a collector scans at the farm gate is the tag on the crates: a QR code
of the lot's GS1 Digital Link (``/01/<GTIN>/10/<lot>``, no serial), which the scan page reads
as naming the lot, exactly as it reads a carton's code. The fake camera shows that tag, as
the packhouse's labels are shown in ``test_scan_browser.py``.

At the end the ledger holds exactly the four entries of the day (spray, harvest, ship,
receive) and ``flask ledger verify`` passes. Each page is held to the field conditions.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image

from labels.qr import label_qr
from ledger.supplychain import lots
from tests.support.apps import create_accounts
from tests.support.browser import (
    PHONE,
    browser_app,
    check_field_page,
    chromium,
    live_server,
    sign_in_page,
    watch_policy,
)
from tests.support.camera import label_video
from tests.support.databases import DatabaseFactory
from tests.support.field import FIELD_ACCOUNTS, SPRAYED_PLOT, place_flock
from tests.support.inputs import ABAMECTIN
from tests.support.photos import camera_jpeg
from tests.support.world import COLLECTOR, FARM_A, FRESH_LONGAN, PLOT_A, World
from web.services import services

pytestmark = pytest.mark.timeout(180)
LOT_CODE = "AN2-0715"
HARVESTED = f"lot:{FRESH_LONGAN}/{LOT_CODE}"
DAY = ["farm_input.pesticide", "harvest", "ship", "receive"]


@pytest.fixture(scope="module")
def served(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Flask]]:
    app = browser_app(databases, tmp_path_factory.mktemp("field-browser"), HYT_LANGUAGE="vi")
    with app.app_context():
        place_flock(World(services().log).setup())
    create_accounts(app, FIELD_ACCOUNTS)
    with live_server(app) as url:
        yield url, app


def signed_in_page(browser: Any, base: str, username: str, **context: Any) -> Any:
    """A phone's page, signed in to ``username`` through the sign-in form."""
    phone = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN", **context
    )
    return sign_in_page(phone.new_page(), base, username)


def crate_tag_video(base: str, directory: Path) -> Path:
    """The fake camera's video: the crate tag, the QR code of the harvest's Digital Link."""
    png = io.BytesIO()
    label_qr(f"{base}/01/{FRESH_LONGAN}/10/{LOT_CODE}").save(png, kind="png", scale=8, border=4)
    return label_video([Image.open(io.BytesIO(png.getvalue()))], directory / "crate.mjpeg")


def local_day(moment: Any) -> str:
    return f"{moment.day}/{moment.month}/{moment.year}"


def test_a_farmers_day_and_the_handover_by_scanning(
    browser: Any, served: tuple[str, Flask], tmp_path: Path
) -> None:
    base, app = served
    start = services(app).log.size()
    page = signed_in_page(browser, base, "an")
    violations = watch_policy(page)
    assert page.url == f"{base}/field/"
    assert page.locator("h1").inner_text() == "Việc hôm nay"
    check_field_page(page, "field-home")

    page.click("a[href='/field/record/spray']")
    page.select_option("select[name=plot]", PLOT_A)
    page.select_option("select[name=input_product]", ABAMECTIN)
    dose = page.locator("input[name=dose]")
    dose.fill("1.500")
    understood = page.locator("#f-dose-understood")
    assert "1.500 có thể hiểu là 1,5 hoặc 1500" in understood.inner_text()
    dose.fill("15")
    assert understood.inner_text() == "Hiểu là: 15 ml/bình 16 l"
    page.fill("input[name=area_ha]", "0,8")
    assert page.locator("#f-area_ha-understood").inner_text() == "Hiểu là: 0,8 ha"
    check_field_page(page, "field-spray")
    page.click("button.primary")
    assert page.locator(".done").is_visible()

    with app.app_context():
        (running,) = services().intervals.running_intervals_of_organisation(FARM_A)
    allowed = local_day(running.ends_at)
    page.goto(f"{base}/field/record/harvest")
    notice = page.locator(".notice").first.inner_text()
    assert "Vườn nhãn An 1" in notice
    assert "Reasgant 3.6EC" in notice
    assert "cách ly" in notice
    assert allowed in notice, (allowed, notice)
    page.select_option("select[name=plot]", PLOT_A)
    page.select_option("select[name=product]", FRESH_LONGAN)
    page.fill("input[name=lot_code]", LOT_CODE)
    page.fill("input[name=quantity]", "120,5")
    page.click("button.primary")
    assert page.locator(".problems").is_visible()
    refusal = page.locator("#f-plot-error").inner_text()
    assert "Vườn nhãn An 1" in refusal
    assert "Reasgant 3.6EC" in refusal
    assert allowed in refusal, (allowed, refusal)
    assert page.locator("input[name=quantity]").input_value() == "120,5"
    check_field_page(page, "field-harvest-refused")

    # The same harvest on the other plot, with a photo taken on the device.
    photo = tmp_path / "IMG_0715.jpg"
    photo.write_bytes(camera_jpeg())
    page.select_option("select[name=plot]", SPRAYED_PLOT)
    page.set_input_files("input[name=photo]", str(photo))
    page.wait_for_selector(".photo-status:has-text('Ảnh đã sẵn sàng để gửi')")
    page.click("button.primary")
    assert page.locator(".done").is_visible()

    # The refused harvest, fixed and sent again, is one record: recorded, on the other plot.
    page.goto(f"{base}/field/records")
    assert page.locator(".record-refused").count() == 0
    harvest = page.locator(".record-recorded", has_text="Thu hoạch")
    assert harvest.count() == 1
    assert "Vườn nhãn An 2" in harvest.inner_text()
    assert "120,5 kg" in harvest.inner_text()
    check_field_page(page, "field-records")

    page.goto(f"{base}/field/record/hand-over")
    page.select_option("select[name=lot]", HARVESTED)
    page.fill("input[name=quantity]", "120,5")
    page.select_option("select[name=receiver]", COLLECTOR)
    page.select_option("select[name=vehicle_class]", "van")
    page.fill("input[name=distance_km]", "12,5")
    page.fill("input[name=transport_document]", "PX-0715")
    page.click("button.primary")
    assert page.locator(".done").is_visible()
    assert violations == []
    page.context.close()

    receive_by_scanning(base, app, tmp_path)
    with app.app_context():
        log = services().log
        entries = [log.entry(index).envelope for index in range(start, log.size())]
    assert [entry["type"] for entry in entries] == DAY
    assert len(entries[1]["payload"]["photos"]) == 1
    verified = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert verified.exit_code == 0, verified.output


def receive_by_scanning(base: str, app: Flask, directory: Path) -> None:
    """The collector scans the crate tag, opens the harvest's card and receives all of it."""
    video = crate_tag_video(base, directory)
    with chromium(
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ) as camera_browser:
        page = signed_in_page(camera_browser, base, "thu-gom", permissions=["camera"])
        violations = watch_policy(page)
        assert page.url == f"{base}/field/"
        page.goto(f"{base}/field/scan")
        page.wait_for_selector("#scanner[data-ready]")
        page.click("#camera-start")
        page.wait_for_url(f"{base}/field/lots/**", timeout=30_000)
        assert page.inner_text("#lot-receiver") == "Thu gom Hưng Long"
        page.click("#action-receive")
        assert page.input_value("select[name=outcome]") == "all"
        page.click("form.event-form button[type=submit]")
        page.wait_for_selector("#done")
        assert page.inner_text("#lot-holder") == "Thu gom Hưng Long"
        assert violations == []
    with app.app_context():
        received = lots.lot(services().log.engine, HARVESTED)
    assert (received["holder"], received["quantity"], received["custody"]) == (
        COLLECTOR,
        "120.5",
        "active",
    )
