"""The README's walk-through, photographed: a farmer's day and a distributor's handover on the
demo season of ``make run``, in Debian's Chromium at a phone's 360 × 740, in Vietnamese.

    .venv/bin/python scripts/screenshots.py [docs/screenshots]     (or: make screenshots)

The demo is seeded afresh into a temporary SQLite database (half a minute), served on a free
port of 127.0.0.1, and walked through its pages as the README tells it, with the demo's
accounts and password (demo/masterdata.py):

1. ``nhan-001`` signs in and lands on today's work, with the spray of two days ago still in
   its interval; records a spray; opens the harvest form, which refuses the sprayed plot and
   names the day the harvest becomes allowed;
2. ``nhan-002`` records a harvest with a photo and hands it over to the collector;
3. ``thu-gom`` sees the shipment coming in, types (or scans) its code, opens the lot card and
   receives it.

Each screenshot is what the phone shows (the viewport, not the whole page), saved as a PNG of
at most 64 colours: ten of them weigh a few hundred kilobytes. Needs the test tools
(``make install-test``: Playwright) and Chromium (``CHROMIUM``, default ``/usr/bin/chromium``);
it serves and signs in with the browser tests' helpers (tests/support/browser.py).
"""

from __future__ import annotations

import io
import secrets
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from demo.masterdata import DEMO_PASSWORD  # noqa: E402
from tests.support.browser import CHROMIUM, live_server, sign_in_page  # noqa: E402
from web import create_app  # noqa: E402

PHONE = {"width": 360, "height": 740}
COLOURS = 64


@contextmanager
def demo_server(directory: Path) -> Iterator[str]:
    """The demo season of ``make run``, served from a thread; yields the base URL."""
    app = create_app(
        {
            "HYT_ENV": "development",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": f"sqlite:///{directory / 'demo.sqlite3'}",
            "LEDGER_KEY_FILE": str(directory / "log-key.pem"),
            "LEDGER_ALLOW_UNENCRYPTED_KEY": True,
            "LABEL_PRINT_DIR": str(directory / "label-prints"),
            "SCAN_SALT_DIR": str(directory),
            "PHOTO_DIR": str(directory / "photos"),
        }
    )
    runner = app.test_cli_runner()
    for command in (["ledger", "init"], ["demo", "seed"]):
        result = runner.invoke(args=command)
        if result.exit_code != 0:
            raise SystemExit(f"flask {' '.join(command)} failed:\n{result.output}")
    with live_server(app) as base:
        yield base


class Camera:
    """Saves what the phone shows as small PNGs, numbered in the order of the walk."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.taken: list[Path] = []
        target.mkdir(parents=True, exist_ok=True)

    def shoot(self, page: Any, name: str, element: str | None = None) -> None:
        if element is not None:
            page.locator(element).first.scroll_into_view_if_needed()
        raw = page.screenshot(full_page=False)
        image = Image.open(io.BytesIO(raw)).convert("RGB")
        small = image.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT)
        path = self.target / f"{len(self.taken) + 1:02d}-{name}.png"
        small.save(path, optimize=True)
        self.taken.append(path)


def sign_in(browser: Any, base: str, username: str) -> Any:
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN", device_scale_factor=1
    )
    page = sign_in_page(context.new_page(), base, username, DEMO_PASSWORD)
    assert page.url == f"{base}/field/", page.url
    return page


def choose_first(page: Any, select: str, containing: str = "") -> str:
    """Choose the first real option of a list (after "Chọn…") whose words contain
    ``containing``; its value."""
    value: str = page.eval_on_selector(
        select,
        """(s, part) => [...s.options].slice(1)
             .find((o) => o.text.toLowerCase().includes(part)).value""",
        containing.lower(),
    )
    page.select_option(select, value)
    return value


def farmers_day(browser: Any, base: str, camera: Camera, photo: Path) -> str:
    """The two farmers' part; the lot handed over."""
    page = sign_in(browser, base, "nhan-001")
    camera.shoot(page, "farmer-home")
    page.click("a[href='/field/record/spray']")
    choose_first(page, "select[name=plot]")
    choose_first(page, "select[name=input_product]", "Reasgant")
    page.fill("input[name=dose]", "1,5")
    page.fill("input[name=area_ha]", "0,5")
    camera.shoot(page, "spray-form", "#f-dose")
    page.click("button.primary")
    page.wait_for_selector(".done")
    camera.shoot(page, "spray-recorded")
    page.goto(f"{base}/field/record/harvest")
    choose_first(page, "select[name=plot]")
    choose_first(page, "select[name=product]", "nhãn lồng hưng yên tươi")
    page.fill("input[name=quantity]", "120,5")
    page.click("button.primary")
    page.wait_for_selector("#f-plot-error")
    camera.shoot(page, "harvest-refused", "#f-plot-error")
    page.context.close()

    page = sign_in(browser, base, "nhan-002")
    page.goto(f"{base}/field/record/harvest")
    choose_first(page, "select[name=plot]")
    choose_first(page, "select[name=product]", "nhãn lồng hưng yên tươi")
    code = page.input_value("input[name=lot_code]")
    page.fill("input[name=quantity]", "120,5")
    page.set_input_files("input[name=photo]", str(photo))
    page.wait_for_selector(".photo-status:has-text('Ảnh đã sẵn sàng để gửi')")
    camera.shoot(page, "harvest-with-photo", ".photo-status")
    page.click("button.primary")
    page.wait_for_selector(".done")
    page.goto(f"{base}/field/record/hand-over")
    lot: str = page.eval_on_selector(
        "select[name=lot]",
        "(s, code) => [...s.options].find((o) => o.text.includes(code)).value",
        code,
    )
    page.select_option("select[name=lot]", lot)
    page.fill("input[name=quantity]", "120,5")
    page.select_option("select[name=receiver]", label="Hộ kinh doanh Thu gom nông sản Hưng Long")
    page.select_option("select[name=vehicle_class]", "van")
    page.fill("input[name=distance_km]", "12")
    page.fill("input[name=transport_document]", "PX-0001")
    camera.shoot(page, "hand-over", "select[name=receiver]")
    page.click("button.primary")
    page.wait_for_selector(".done")
    page.context.close()
    return lot


def handover(browser: Any, base: str, camera: Camera, lot: str) -> None:
    """The collector receives the lot, opened by its code as the crates' tag carries it."""
    page = sign_in(browser, base, "thu-gom")
    camera.shoot(page, "distributor-home")
    page.click("#scan-start")
    page.wait_for_selector("#scanner[data-ready]")
    gtin, code = lot.removeprefix("lot:").split("/", 1)
    page.fill("#code", f"(01){gtin}(10){code}")
    camera.shoot(page, "scan")
    page.click("#code-form button[type=submit]")
    page.wait_for_url(f"{base}/field/lots/**")
    camera.shoot(page, "lot-card")
    page.click("#action-receive")
    camera.shoot(page, "receive", "form.event-form")
    page.click("form.event-form button[type=submit]")
    page.wait_for_selector("#done")
    camera.shoot(page, "received")
    page.context.close()


def main(target: Path) -> None:
    from playwright.sync_api import sync_playwright

    for old in target.glob("*.png"):
        old.unlink()
    camera = Camera(target)
    with tempfile.TemporaryDirectory() as scratch, demo_server(Path(scratch)) as base:
        photo = Path(scratch) / "IMG_0715.jpg"
        # A photo as a phone takes it: the harvest, larger than the form sends.
        Image.new("RGB", (2400, 1800), (196, 160, 82)).save(photo, "JPEG", quality=85)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--lang=vi"]
            )
            try:
                lot = farmers_day(browser, base, camera, photo)
                handover(browser, base, camera, lot)
            finally:
                browser.close()
    total = sum(path.stat().st_size for path in camera.taken)
    for path in camera.taken:
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    print(f"{len(camera.taken)} screenshots, {total // 1024} KB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
