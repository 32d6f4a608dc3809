"""Every page the app has today, held to the field conditions (tests/support/browser.py) on a
phone and a tablet: the home page, the sign-in, the holder's printing pages, the shopper's label
page in each state, the error pages. And the check itself, shown to fail on a page that breaks
each of its rules, so that it cannot pass by measuring nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support import browser as browser_support
from tests.support.apps import PASSWORD, create_accounts
from tests.support.browser import (
    PHONE,
    browser_app,
    check_field_page,
    field_problems,
    live_server,
    watch_policy,
)
from tests.support.databases import DatabaseFactory
from tests.support.labels import issue_labels
from tests.support.world import PACKHOUSE

pytestmark = pytest.mark.timeout(180)


#: Print jobs wait for this before they run, so the job page is seen while it waits.
PRINTING = threading.Event()


def print_when_allowed(task: Callable[[], None]) -> object:
    def run() -> None:
        PRINTING.wait(timeout=60)
        task()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    return worker


@pytest.fixture(scope="module")
def site(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, list[str]]]]:
    directory = tmp_path_factory.mktemp("field-pages")
    app = browser_app(databases, directory, LABEL_PRINT_SUBMIT=print_when_allowed)
    with live_server(app) as base:
        labels = issue_labels(app, base)
        create_accounts(app, (("dong-goi", "processor", PACKHOUSE),))
        yield base, labels


def test_the_public_pages_meet_the_field_conditions(
    phone: Any, site: tuple[str, dict[str, list[str]]]
) -> None:
    base, labels = site
    violations = watch_policy(phone)
    phone.goto(base + "/")
    check_field_page(phone, "home")
    assert phone.viewport_size == PHONE, "given back at the phone's size"
    phone.goto(labels["good"][0])
    assert "Nhãn thật" in phone.inner_text("#verdict")
    check_field_page(phone, "label-genuine")
    phone.click("#on-device button")
    phone.wait_for_selector("#on-device[data-result=ok]")
    phone.click("#how summary")
    check_field_page(phone, "label-verified-explained")
    phone.goto(labels["recalled"][0])
    assert "verdict-warning" in (phone.get_attribute("#verdict", "class") or "")
    check_field_page(phone, "label-recalled")
    forged = labels["good"][1][:-2] + ("A" if labels["good"][1][-2] != "A" else "B")
    phone.goto(forged + labels["good"][1][-1])
    assert "verdict-invalid" in (phone.get_attribute("#verdict", "class") or "")
    check_field_page(phone, "label-forged")
    never_issued = labels["good"][0].replace("/21/", "/21/9", 1)
    phone.goto(never_issued)
    assert "verdict-invalid" in (phone.get_attribute(".verdict", "class") or "")
    check_field_page(phone, "label-never-issued")
    assert phone.goto(base + "/no-such-page").status == 404
    check_field_page(phone, "error-404")
    assert violations == []


def test_the_holders_pages_meet_the_field_conditions(
    phone: Any, site: tuple[str, dict[str, list[str]]]
) -> None:
    """Signing in (refused, then accepted), the printing form, the job phone, an error page
    with its list of problems, in English this time."""
    base, labels = site
    violations = watch_policy(phone)
    lot = labels["good"][0].split("/01/")[1].split("/21/")[0].replace("/10/", "/")
    phone.goto(f"{base}/print/{lot}?lang=en")
    assert "/sign-in" in phone.url
    check_field_page(phone, "sign-in")
    phone.fill("input[name=username]", "dong-goi")
    phone.fill("input[name=password]", "not the password")
    phone.click("form.card button[type=submit]")
    assert phone.locator(".errors").count() == 1
    check_field_page(phone, "sign-in-refused")
    phone.fill("input[name=username]", "dong-goi")
    phone.fill("input[name=password]", PASSWORD)
    phone.click("form.card button[type=submit]")
    phone.wait_for_selector("input[name=layout]")
    check_field_page(phone, "print")
    phone.click("form button[type=submit] >> text=Start printing")
    phone.wait_for_selector("#job")
    assert phone.get_attribute("#job", "data-status") == "queued"
    check_field_page(phone, "print-job")
    PRINTING.set()
    # The page follows the job by itself (static/print_job.js), no timed refresh.
    phone.wait_for_selector("#job[data-status=done] a[download]", timeout=30_000)
    check_field_page(phone, "print-job-done")
    assert phone.goto(base + "/print/abc/%00%ff").status == 400
    assert phone.locator("ul.errors li").count() >= 1
    check_field_page(phone, "error-400-signed-in")
    assert violations == []


BROKEN = """<!doctype html><html lang="en"><head><title>Broken on purpose</title>
<style>
  body { margin: 0; font: 16px/1.5 sans-serif; color: #000; background: #fff; }
  .small-button { width: 30px; height: 30px; padding: 0; border: 0; background: #000; color: #fff; }
  .small-text { font-size: 14px; }
  .grey { color: #767676; }
  .wide { width: 500px; height: 10px; background: #000; }
  .gradient { color: #000; background: linear-gradient(90deg, #fff, #777); }
  .menu .more { display: none; }
  .menu:hover .more { display: block; }
  .flex { display: inline-flex; }
</style></head><body><main>
  <h1>Broken on purpose</h1>
  <p class="flex" id="unhidden" hidden>Hidden, yet laid out</p>
  <button class="small-button" type="button">OK</button>
  <p class="small-text">Fourteen pixels</p>
  <p class="grey">Four and a half to one</p>
  <div class="wide"></div>
  <p class="gradient">Over a gradient</p>
  <div class="menu"><p>Menu</p><p class="more">More</p></div>
  <p><abbr title="kilogram">kg</abbr></p>
  <p><a href="#alone">A link alone in its paragraph</a></p>
  <p><input type="checkbox" id="bare" aria-label="bare box"></p>
  <p id="hovered">Hovered</p>
</main></body></html>"""

PASSING = """<!doctype html><html lang="en"><head><title>Fit for the field</title>
<style>
  body { margin: 0; font: 16px/1.5 sans-serif; color: #000; background: #fff; }
  main { padding: 8px; }
  button, .box { min-width: 44px; min-height: 44px; font: inherit; }
  label.box { display: inline-flex; align-items: center; gap: 8px; }
  a:hover { text-decoration: none; color: #000; }
</style></head><body><main>
  <h1>Fit for the field</h1>
  <button type="button">OK</button>
  <p>A sentence with <a href="#inline">a link inside it</a> is running text.</p>
  <p><label class="box"><input type="checkbox" name="done"> Done</label></p>
  <p hidden>Hidden</p>
</main></body></html>"""


def test_the_check_fails_a_page_that_breaks_each_rule(browser: Any) -> None:
    """A 30 px button, 14 px text, text of 4.5:1, text over a gradient (its contrast not
    measured), a 500 px element on a 360 px phone, a menu
    that opens on hover, a tooltip, a hover listener, a link alone and a bare checkbox under
    44 px, a hidden element a class lays out: each named in the failure. A page that keeps
    the rules passes, running-text link, labelled checkbox and a colour-only hover included."""
    page = browser.new_page(viewport=PHONE)
    try:
        page.set_content(BROKEN)
        page.evaluate(
            "() => document.getElementById('hovered').addEventListener('mouseenter', () => {})"
        )
        with pytest.raises(AssertionError) as failure:
            check_field_page(page, "field-check-broken", viewports={"360x740": PHONE})
        message = str(failure.value)
        expected = [
            '[target-size-44] main > button.small-button "OK": 30×30 px, less than 44×44',
            '[text-size-16] main > p.small-text "Fourteen pixels": text of 14 px, less than 16 px',
            "[axe serious color-contrast-enhanced] .grey:",
            "contrast of 4.54",
            "[axe unmeasured color-contrast] .gradient: Elements must meet minimum color contrast",
            "[horizontal-scroll] main > div.wide: the page scrolls sideways",
            "500 px wide",
            "[hover-only] .menu:hover .more (inline style): on hover only, sets display",
            '[hover-only] main > p > abbr "kg": a title tooltip ("kilogram")',
            "[hover-only] p#hovered: listens for mouseenter",
            '[target-size-44] main > p > a "A link alone in its paragraph"',
            '[target-size-44] input#bare "bare box": 13×13 px',
            "[hidden-shown] p#unhidden",
            "laid out as display: inline-flex",
            "screenshot ",
        ]
        missing = [fragment for fragment in expected if fragment not in message]
        assert not missing, f"{missing} not in:\n{message}"
        page.set_content(PASSING)
        assert field_problems(page) == []
    finally:
        page.close()


@pytest.mark.parametrize(("in_ci", "outcome"), [(False, "skip"), (True, "fail")])
def test_a_missing_browser_skips_except_under_ci(
    monkeypatch: pytest.MonkeyPatch, in_ci: bool, outcome: str
) -> None:
    """As with PostgreSQL: a developer without Chromium is told what to install, CI fails."""
    monkeypatch.setattr(browser_support, "IN_CI", in_ci)
    monkeypatch.setattr(browser_support, "CHROMIUM", "/nonexistent/chromium")
    expected = pytest.fail.Exception if outcome == "fail" else pytest.skip.Exception
    with (
        pytest.raises(expected, match="no Chromium at /nonexistent/chromium"),
        browser_support.chromium(),
    ):
        pass
