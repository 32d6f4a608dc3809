"""A harvest's photo made public from the lot's card, in a real Chromium at 360 × 740: the
farm sees its own photo on the card, private at first, and shows it on the label page with one
tap. The card is held to the field conditions before and after."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from schemas.photos import process_photo
from tests.support.apps import create_accounts
from tests.support.browser import (
    PHONE,
    browser_app,
    check_field_page,
    live_server,
    sign_in_page,
    watch_policy,
)
from tests.support.databases import DatabaseFactory
from tests.support.field import FIELD_ACCOUNTS, place_flock
from tests.support.photos import small_jpeg
from tests.support.world import FARMER_A, FRESH_LONGAN, PLOT_A, World, lot
from web.services import services

pytestmark = pytest.mark.timeout(120)
#: A harvest of the farm with a photo attached.
PHOTOGRAPHED = lot(FRESH_LONGAN, "ANH-1")


@pytest.fixture(scope="module")
def base(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = browser_app(databases, tmp_path_factory.mktemp("photo-toggle"), HYT_LANGUAGE="vi")
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


def test_a_harvest_photo_shown_on_the_label_page_from_the_lots_card(
    browser: Any, base: str
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN")
    page = sign_in_page(context.new_page(), base, "an")
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
    context.close()
