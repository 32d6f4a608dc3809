"""The public page in a real headless Chromium (Debian's package, driven by Playwright): what a
shopper's phone shows, the on-device check, and the page's JavaScript run on the committed label
and Merkle vectors. One browser for the module; screenshots go to ``TEST_ARTIFACTS``."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from ledger.canonical import utc_timestamp
from ledger.clock import FakeClock
from ledger.recording import VIETNAM
from tests.conftest import DatabaseFactory
from tests.web.conftest import app_config, issue_labels
from web import create_app
from web.log import get_log
from web.services import services

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"
PHONE = {"width": 360, "height": 740}
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
pytestmark = [
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"no Chromium at {CHROMIUM} (Debian package chromium; make test installs it)",
    ),
    pytest.mark.timeout(120),
]


@pytest.fixture(scope="module")
def server(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, list[str]]]]:
    directory = tmp_path_factory.mktemp("browser")
    app: Flask = create_app(app_config(databases.sqlite(), directory), clock=FakeClock())
    assert app.test_cli_runner().invoke(args=["ledger", "init"]).exit_code == 0
    http = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{http.server_port}"
    labels = issue_labels(app, base)
    _scan_from_many_phones(app, labels["good"][4])
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield base, labels
    http.shutdown()
    get_log(app).engine.dispose()


def _scan_from_many_phones(app: Flask, url: str) -> None:
    """Twelve phones scanned this label today: more than a label of one box ever is."""
    gtin = url.split("/01/")[1][:14]
    lot_code = url.split("/10/")[1].split("/21/")[0]
    serial = url.split("/21/")[1].split("?")[0]
    with app.app_context():
        now = get_log().clock.now()
        scans = services().scans
        for n in range(12):
            scans.record(
                gtin=gtin,
                serial=serial,
                lot=f"lot:{gtin}/{lot_code}",
                day=now.astimezone(VIETNAM).date().isoformat(),
                scanned_at=utc_timestamp(now),
                address=f"203.0.113.{n}",
                user_agent=PHONE_AGENT,
            )
        scans.flush()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_phone_reads_the_journey_switches_language_and_verifies_on_device(
    phone: Any, server: tuple[str, dict[str, list[str]]]
) -> None:
    base, labels = server
    loaded: list[tuple[str, int]] = []
    phone.on(
        "requestfinished",
        lambda request: loaded.append((request.url, request.sizes()["responseBodySize"])),
    )
    phone.goto(labels["good"][2])
    assert "Nhãn thật" in phone.inner_text("#verdict")
    assert "nhãn 3 / 5" in phone.inner_text("body")
    assert "Hành trình" in phone.inner_text("#journey")
    assert all(url.startswith(base) for url, _ in loaded), "no third-party requests"
    assert sum(size for _, size in loaded) <= 150_000
    screenshot(phone, "label-vi")
    phone.click("a[hreflang=en]")
    assert "Genuine label" in phone.inner_text("#verdict")
    phone.click("#on-device button")
    phone.wait_for_selector("#on-device[data-result]")
    assert phone.get_attribute("#on-device", "data-result") == "ok"
    steps = phone.inner_text("#on-device ol")
    assert "webcrypto" in steps
    assert "complete up to checkpoint" in steps
    screenshot(phone, "label-en-verified")


def test_the_committed_vectors_run_through_the_pages_javascript(
    phone: Any, server: tuple[str, dict[str, list[str]]]
) -> None:
    _, labels = server
    phone.goto(labels["good"][0])
    label_vectors = json.loads((ROOT / "tests/labels/vectors/labels.json").read_text())
    merkle_vectors = json.loads((ROOT / "tests/ledger/vectors/merkle.json").read_text())
    results = phone.evaluate(
        """async ([labels, merkle]) => {
          const v = await import('/static/verify.js');
          const out = {};
          for (const implementation of ['webcrypto', 'noble']) {
            const used = await v.ed25519(implementation);
            const logKey = await v.parseVkey(labels.log_key.vkey);
            const trust = await v.parseTrustList(await v.openNote(labels.trust_note, [logKey]));
            const verdicts = [];
            for (const c of labels.cases) {
              try { await v.verifyLabel(labels.origin, c.url, trust.keys); verdicts.push('valid'); }
              catch (e) { verdicts.push(e.verdict || String(e)); }
            }
            out[used.name] = verdicts;
          }
          out.inclusion = [];
          for (const c of merkle.inclusion) {
            try {
              await v.verifyInclusion(c.index, c.size, v.fromHex(c.leaf_hash),
                                      c.proof.map(v.fromHex), v.fromHex(c.root));
              out.inclusion.push(true);
            } catch (e) { out.inclusion.push(false); }
          }
          return out;
        }""",
        [label_vectors, merkle_vectors],
    )
    expected = [case["expect"] for case in label_vectors["cases"]]
    assert results["webcrypto"] == expected
    assert results["noble-ed25519 3.2.0"] == expected
    assert results["inclusion"] == [case["valid"] for case in merkle_vectors["inclusion"]]
    assert any(not valid for valid in results["inclusion"]), "negatives included"


@pytest.mark.parametrize(
    ("case", "banner", "words"),
    [
        ("tampered", "verdict-invalid", "Nhãn này có thể đã bị sao chép"),
        ("revoked", "verdict-invalid", "khóa đã bị thu hồi"),
        ("recalled", "verdict-warning", "Đã bị thu hồi"),
        ("overscanned", "verdict-warning", "đã được quét bởi 12 thiết bị"),
    ],
)
def test_each_failure_shows_its_banner(
    phone: Any, server: tuple[str, dict[str, list[str]]], case: str, banner: str, words: str
) -> None:
    _, labels = server
    if case == "tampered":
        url = labels["good"][1]
        url = url[:-2] + ("A" if url[-2] != "A" else "B") + url[-1]
    elif case == "overscanned":
        url = labels["good"][4]
    else:
        url = labels[case][0]
    phone.goto(url)
    assert banner in (phone.get_attribute("#verdict", "class") or "")
    assert words.lower() in phone.inner_text("body").lower()
    # A genuine label of a recalled lot can still be checked on the device; a bad one cannot.
    assert phone.locator("#on-device").count() == (1 if case in ("recalled", "overscanned") else 0)
    screenshot(phone, f"banner-{case}")
