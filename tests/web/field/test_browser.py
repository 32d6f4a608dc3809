"""A farmer's morning in a real Chromium at 360 × 740: sign in, land on today's work, record a
spray (the form saying how it reads each number as it is typed), then see the harvest form
refuse that plot until its interval ends; show a harvest's photo on the label page from the
lot's card. Each page is held to the field conditions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from schemas.photos import process_photo
from tests.support.apps import PASSWORD, create_accounts
from tests.support.browser import PHONE, browser_app, check_field_page, live_server, watch_policy
from tests.support.databases import DatabaseFactory
from tests.support.field import FIELD_ACCOUNTS, place_flock
from tests.support.inputs import ABAMECTIN
from tests.support.photos import small_jpeg
from tests.support.world import FARMER_A, FRESH_LONGAN, PLOT_A, World, lot
from web.services import services

pytestmark = pytest.mark.timeout(120)
#: A harvest of the farm with a photo attached.
PHOTOGRAPHED = lot(FRESH_LONGAN, "ANH-1")


@pytest.fixture(scope="module")
def base(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = browser_app(databases, tmp_path_factory.mktemp("field-browser"), HYT_LANGUAGE="vi")
    with app.app_context():
        world = World(services().log).setup()
        place_flock(world)
        photo = process_photo(small_jpeg((40, 130, 60)))
        services().photos.save(FARMER_A, photo)
        harvest = {"plot": PLOT_A, "lot": PHOTOGRAPHED, "quantity": "80", "photos": [photo.sha256]}
        world.record(FARMER_A, "harvest", {**harvest, "data_source": "measured"})
    create_accounts(app, FIELD_ACCOUNTS)
    with live_server(app) as url:
        yield url


@pytest.fixture
def farmer(browser: Any, base: str) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{base}/sign-in")
    page.fill("input[name=username]", "an")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    yield page
    context.close()


def test_a_spray_then_the_harvest_form_refusing_that_plot(farmer: Any, base: str) -> None:
    page = farmer
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

    page.goto(f"{base}/field/record/harvest")
    notice = page.locator(".notice").first.inner_text()
    assert "Vườn nhãn An 1" in notice
    assert "Reasgant 3.6EC" in notice
    assert "cách ly" in notice
    page.select_option("select[name=plot]", PLOT_A)
    page.select_option("select[name=product]", FRESH_LONGAN)
    page.fill("input[name=quantity]", "120,5")
    page.click("button.primary")
    assert page.locator(".problems").is_visible()
    refusal = page.locator("#f-plot-error").inner_text()
    assert "Vườn nhãn An 1" in refusal
    assert "Reasgant 3.6EC" in refusal
    assert page.locator("input[name=quantity]").input_value() == "120,5"
    check_field_page(page, "field-harvest-refused")

    page.goto(f"{base}/field/records")
    refused = page.locator(".record-refused").first
    assert "Reasgant 3.6EC" in refused.inner_text()
    assert "ngày 15/7/2026" in refused.inner_text()  # a day as people write it, stored or not
    check_field_page(page, "field-records")
    refused.locator("a.button").click()
    assert page.locator("input[name=quantity]").input_value() == "120,5"
    assert violations == []


def test_a_harvest_photo_shown_on_the_label_page_from_the_lots_card(farmer: Any, base: str) -> None:
    page = farmer
    violations = watch_policy(page)
    page.goto(f"{base}/field/lots/{PHOTOGRAPHED}")
    toggle = page.locator("#photos button[aria-pressed]")
    assert toggle.get_attribute("aria-pressed") == "false"
    assert toggle.inner_text() == "Hiện trên trang nhãn"
    assert page.locator("#photos img").evaluate("image => image.naturalWidth") > 0
    check_field_page(page, "lot-card-photos")
    toggle.click()
    page.wait_for_selector("#photos button[aria-pressed=true]")
    assert "Đang hiện trên trang nhãn" in page.locator("#photos").inner_text()
    check_field_page(page, "lot-card-photo-shown")
    assert violations == []
