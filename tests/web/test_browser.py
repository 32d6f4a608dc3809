"""The public page in a real headless Chromium (Debian's package, driven by Playwright): what a
shopper's phone shows, the on-device check, and the page's JavaScript run on the committed label
and Merkle vectors. One browser for the module; screenshots go to ``TEST_ARTIFACTS``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from ledger.supplychain.custody import VIETNAM
from ledger.tlog.canonical import utc_timestamp
from tests.support.browser import PHONE, browser_app, live_server, screenshot, watch_policy
from tests.support.databases import DatabaseFactory
from tests.support.labels import issue_labels
from tests.support.world import PACKHOUSE
from web.services import services

ROOT = Path(__file__).resolve().parents[2]
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def server(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, list[str]]]]:
    app = browser_app(databases, tmp_path_factory.mktemp("browser"))
    with live_server(app) as base:
        labels = issue_labels(app, base)
        _scan_from_many_phones(app, labels["good"][4])
        yield base, labels


def _scan_from_many_phones(app: Flask, url: str) -> None:
    """Twelve phones scanned this label today: more than a label of one box ever is."""
    gtin = url.split("/01/")[1][:14]
    lot_code = url.split("/10/")[1].split("/21/")[0]
    serial = url.split("/21/")[1].split("?")[0]
    with app.app_context():
        now = services().log.clock.now()
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


def test_a_phone_reads_the_journey_switches_language_and_verifies_on_device(
    phone: Any, server: tuple[str, dict[str, list[str]]]
) -> None:
    base, labels = server
    violations = watch_policy(phone)
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
    # The signer by the name the server's check gives it, not its GLN.
    assert "issued and signed by Nhà sơ chế Khoái Châu" in steps
    assert PACKHOUSE not in steps
    screenshot(phone, "label-en-verified")
    assert violations == []


def test_a_failed_check_on_the_device_says_why_in_the_pages_language(
    phone: Any, server: tuple[str, dict[str, list[str]]]
) -> None:
    """The script's words come from the server's catalogs: a proof that leads elsewhere and a
    server that does not answer, each told in Vietnamese, then in English."""
    _, labels = server
    violations = watch_policy(phone)

    def wrong_proof(route: Any) -> None:
        answer = route.fetch()
        proof = answer.json()
        proof["hashes"][0] = ("0" if proof["hashes"][0][0] != "0" else "1") + proof["hashes"][0][1:]
        route.fulfill(response=answer, json=proof)

    cases = [
        (
            "**/ledger/proof/inclusion*",
            wrong_proof,
            "bad_proof",
            "vi",
            "Kiểm tra không đạt: bằng chứng không dẫn tới checkpoint đã được ký.",
        ),
        (
            "**/ledger/checkpoint",
            lambda route: route.fulfill(status=503, body="busy"),
            "unavailable",
            "vi",
            "Kiểm tra không đạt: máy chủ không trả lời. Hãy thử lại sau.",
        ),
        (
            "**/ledger/checkpoint",
            lambda route: route.fulfill(status=503, body="busy"),
            "unavailable",
            "en",
            "Check failed: the server did not answer. Try again later.",
        ),
    ]
    for pattern, handler, verdict, language, sentence in cases:
        phone.route(pattern, handler)
        phone.goto(labels["good"][1] + f"&lang={language}")
        phone.click("#on-device button")
        phone.wait_for_selector("#on-device[data-result]")
        assert phone.get_attribute("#on-device", "data-result") == verdict
        assert phone.inner_text("#on-device ol li.bad") == sentence
        assert phone.get_attribute("#on-device", "data-detail"), "the technical detail is kept"
        phone.unroute(pattern)
    screenshot(phone, "label-en-check-failed")
    filled = phone.evaluate(
        """async () => {
          const s = await import('/static/strings.js');
          let missing = 'found';
          try { s.scriptStrings('nothing-here'); } catch (e) { missing = 'refused'; }
          const cartons = {one: '{count} carton of {lot}', other: '{count} cartons of {lot}'};
          return [s.fill('{a} và {b}', {a: 1, b: 'hai'}), s.fill('{a} {missing}', {a: 'x'}),
                  s.scriptStrings('share-area-strings').refused, missing,
                  s.plural(cartons, 1, {lot: 'A'}), s.plural(cartons, 3, {lot: 'A'})];
        }"""
    )
    assert filled == [
        "1 và hai",
        "x {missing}",
        "Your area was not recorded: {reason}",
        "refused",
        "1 carton of A",  # the page is in English now: two forms
        "3 cartons of A",
    ]
    phone.goto(labels["good"][1] + "&lang=vi")
    one_form = phone.evaluate(
        "async () => (await import('/static/strings.js'))"
        ".plural({one: 'not Vietnamese', other: '{count} thùng'}, 1)"
    )
    assert one_form == "1 thùng", "Vietnamese has one form, CLDR's other"
    assert violations == []


def test_the_buttons_are_real_buttons_and_sharing_the_area_says_what_happened(
    browser: Any, server: tuple[str, dict[str, list[str]]]
) -> None:
    """Each button is a thumb's height at least (44 px), and sharing the area answers in words:
    recorded, or why not."""
    _, labels = server
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        locale="vi-VN",
        user_agent=PHONE_AGENT,
        geolocation={"latitude": 20.6512, "longitude": 106.0521},
        permissions=["geolocation"],
    )
    try:
        page = context.new_page()
        violations = watch_policy(page)
        page.goto(labels["good"][3])
        for button in ("#on-device button", "#share-area button"):
            box = page.locator(button).bounding_box()
            assert box is not None, button
            assert box["height"] >= 44, (button, box)
            assert box["width"] >= 44, (button, box)
        page.click("#share-area button")
        page.wait_for_function(
            "() => !['asking', undefined].includes("
            "document.getElementById('share-area').dataset.result)"
        )
        assert page.get_attribute("#share-area", "data-result") == "recorded"
        assert "khu vực gần đúng của bạn đã được ghi" in page.inner_text("#share-area .result")
        screenshot(page, "label-area-shared")
        assert violations == []
        context.clear_permissions()
        page.goto(labels["good"][3] + "&lang=en")
        page.click("#share-area button")
        page.wait_for_function(
            "() => !['asking', undefined].includes("
            "document.getElementById('share-area').dataset.result)"
        )
        assert page.get_attribute("#share-area", "data-result") == "no_location"
        assert "did not give its location" in page.inner_text("#share-area .result")
    finally:
        context.close()


def test_the_committed_vectors_run_through_the_pages_javascript(
    phone: Any, server: tuple[str, dict[str, list[str]]]
) -> None:
    _, labels = server
    violations = watch_policy(phone)
    phone.goto(labels["good"][0])
    label_vectors = json.loads((ROOT / "tests/labels/vectors/labels.json").read_text())
    merkle_vectors = json.loads((ROOT / "tests/ledger/tlog/vectors/merkle.json").read_text())
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
    assert violations == []


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
    violations = watch_policy(phone)
    phone.goto(url)
    assert banner in (phone.get_attribute("#verdict", "class") or "")
    assert words.lower() in phone.inner_text("body").lower()
    # A genuine label of a recalled lot can still be checked on the device; a bad one cannot.
    assert phone.locator("#on-device").count() == (1 if case in ("recalled", "overscanned") else 0)
    screenshot(phone, f"banner-{case}")
    assert violations == []


def test_the_content_security_policy_is_in_force_on_the_label_page(
    phone: Any, server: tuple[str, dict[str, list[str]]]
) -> None:
    """The page runs whole under the policy, and the policy stops a script injected into it."""
    _, labels = server
    violations = watch_policy(phone)
    answer = phone.goto(labels["good"][0])
    assert "frame-ancestors 'none'" in answer.headers.get("content-security-policy", "")
    phone.click("#on-device button")
    phone.wait_for_selector("#on-device[data-result]")
    assert phone.get_attribute("#on-device", "data-result") == "ok"
    assert violations == []
    ran = phone.evaluate(
        """() => {
          const script = document.createElement('script');
          script.textContent = 'window.injected = true;';
          document.body.append(script);
          return window.injected === true;
        }"""
    )
    assert ran is False
    phone.wait_for_timeout(100)
    assert any("script-src" in violation for violation in violations), violations


def test_the_api_docs_work_under_their_policy(
    browser: Any, server: tuple[str, dict[str, list[str]]]
) -> None:
    """flask-smorest's Swagger UI page, its inline script allowed by its hash alone."""
    base, _ = server
    page = browser.new_page()
    try:
        violations = watch_policy(page)
        answer = page.goto(f"{base}/api/docs")
        policy = answer.headers.get("content-security-policy", "")
        assert "'sha256-" in policy
        page.wait_for_selector(".swagger-ui .info .title")
        assert "Hưng Yên Trace" in page.inner_text(".swagger-ui .info .title")
        page.wait_for_selector(".opblock-tag")
        assert "/api/v1/events" in page.inner_text("body")
        # "Try it out" on GET /api/v1/lots: Swagger UI fetches from this origin.
        page.click(".opblock-get .opblock-summary >> nth=0")
        page.click("button.try-out__btn")
        page.click("button.execute")
        page.wait_for_selector(".live-responses-table .response-col_status")
        assert "401" in page.inner_text(".live-responses-table")
        screenshot(page, "api-docs")
        assert violations == []
    finally:
        page.close()


def test_the_pages_note_reader_refuses_what_ledger_note_refuses(
    phone: Any, server: tuple[str, dict[str, list[str]]]
) -> None:
    """Every signature line must be well-formed, not just the first that verifies, and there are
    at most 100 of them (ledger/note.py, like Go's note.Open): the committed note vectors, which
    ledger/note.py is tested on, then the page's own trust note mutated."""
    _, labels = server
    phone.goto(labels["good"][0])
    note_vectors = json.loads((ROOT / "tests/ledger/tlog/vectors/note.json").read_text())["verify"]
    by_vector = phone.evaluate(
        """async (vectors) => {
          const v = await import('/static/verify.js');
          const out = [];
          for (const c of vectors) {
            try { await v.openNote(c.note, [await v.parseVkey(c.vkey)]); out.push('valid'); }
            catch (e) { out.push(e.verdict || String(e)); }
          }
          return out;
        }""",
        note_vectors,
    )
    verdict_of_error = {
        "MalformedNoteError": "malformed",
        "InvalidSignatureError": "bad_signature",
        "UnverifiedNoteError": "unknown_key",
    }
    assert by_vector == [
        "valid" if case["valid"] else verdict_of_error[case["error"]] for case in note_vectors
    ]
    label_vectors = json.loads((ROOT / "tests/labels/vectors/labels.json").read_text())
    note = label_vectors["trust_note"]
    text, line = note[: note.rindex("\n\n") + 2], note[note.rindex("\n\n") + 2 :]
    cases = {
        "the note as signed": note,
        "100 copies of its signature": text + line * 100,
        "101 copies of its signature": text + line * 101,
        "junk after the signature": note + "junk\n",
        "a line of two signatures": note + "\u2014 name AAAAAAAAAAA= AAAAAAAAAAA=\n",
        "a '+' in a key name": note + "\u2014 na+me AAAAAAAAAAA=\n",
        "a signature not in base64": note + "\u2014 name !!!!AAAAAAA=\n",
        "a signature too short": note + "\u2014 name AAAA\n",
        "a control character": note.replace("origin ", "origin\t", 1),
        "no final newline": note[:-1],
    }
    verdicts = phone.evaluate(
        """async ([vkey, cases]) => {
          const v = await import('/static/verify.js');
          const logKey = await v.parseVkey(vkey);
          const out = {};
          for (const [name, note] of Object.entries(cases)) {
            try { await v.openNote(note, [logKey]); out[name] = 'valid'; }
            catch (e) { out[name] = e.verdict || String(e); }
          }
          return out;
        }""",
        [label_vectors["log_key"]["vkey"], cases],
    )
    accepted = ("the note as signed", "100 copies of its signature")
    assert verdicts == {name: "valid" if name in accepted else "malformed" for name in cases}
