"""Pages in a real browser: the app served on a thread, Debian's Chromium driven by Playwright,
and the field conditions every page a farmer or a loading dock uses must meet.

A browser test module uses the ``browser`` fixture of ``tests/web/conftest.py`` (one Chromium
per test session and worker) and serves its own app::

    @pytest.fixture(scope="module")
    def base(databases, tmp_path_factory):
        app = browser_app(databases, tmp_path_factory.mktemp("forms"))
        with live_server(app) as base:
            yield base

    def test_the_spray_form_works_in_the_field(browser, base):
        page = browser.new_page()
        page.goto(base + "/...")
        check_field_page(page, "spray-form")

A test that needs other Chromium flags (the fake camera) launches another with
:func:`chromium`; every Chromium of a test process comes from one Playwright driver (a second
Playwright cannot start while the first runs).
Without Playwright or Chromium the tests skip and say what to install; under CI (``CI=true``)
that is a failure, as for PostgreSQL (see :mod:`tests.support.databases`).

:func:`check_field_page` holds a page to the field conditions at 360 × 740 (a cheap phone) and
1024 × 768 (a tablet in landscape):

* **axe-core** (vendored in ``tests/support/vendor/``) with every rule it runs by default plus
  ``color-contrast-enhanced`` (7:1 for text, 4.5:1 for large text, WCAG 1.4.6): no violation of
  impact serious or critical.
* **Touch targets of 44 × 44 CSS px** (WCAG 2.2 SC 2.5.5, "Target Size (Enhanced)"): axe's
  ``target-size`` rule checks 24 px (SC 2.5.8), too little for wet hands in an orchard, so this
  module measures every link, button, visible input, select, textarea, summary and
  ``[role=button]``; a checkbox or radio with a label is measured by its label, which takes the
  tap. SC 2.5.5 excepts a target "in a sentence or block of text": a link laid out inline in a
  block with other words is not measured (a link alone in its paragraph or list item is).
* **Text of at least 16 px**, every visible text on the page.
* **No horizontal scrolling**: the page is no wider than the viewport; the elements that stick
  out are named.
* **Nothing behind hover**: a ``:hover`` rule may change colours, underline, outline or shadow
  but not show, move or size anything unless the same rule also answers to focus; no ``title``
  tooltip; no ``mouseover``/``mouseenter``/``pointerover``/``pointerenter`` listener (read
  through the DevTools protocol). A finger cannot hover.
* **Hidden is hidden**: no element with the ``hidden`` attribute is laid out (a class that sets
  ``display``, as a button's does, would show it).

Each viewport's full-page screenshot is kept under ``TEST_ARTIFACTS``/screenshots as
``<name>-<width>x<height>.png``, whether the check passed or not.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import pytest
from flask import Flask
from werkzeug.serving import make_server

from ledger.common.clock import FakeClock
from tests.support.apps import PASSWORD, app_config
from tests.support.databases import IN_CI, DatabaseFactory
from web.services import services

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"
AXE = ROOT / "tests" / "support" / "vendor" / "axe-core-4.14.1.min.js"
FIELD_CHECK = ROOT / "tests" / "support" / "field_check.js"
PHONE = {"width": 360, "height": 740}
TABLET = {"width": 1024, "height": 768}
FIELD_VIEWPORTS: Mapping[str, Mapping[str, int]] = {"360x740": PHONE, "1024x768": TABLET}
MIN_TARGET_PX = 44
MIN_TEXT_PX = 16
#: The impacts that fail a page (axe's four are minor, moderate, serious, critical).
FAILING_IMPACTS = ("serious", "critical")
#: Events that start something when a pointer comes over an element. ``mousemove`` is left
#: out: dragging needs it, and Playwright listens for it on the window after a click.
HOVER_EVENTS = ("mouseover", "mouseenter", "pointerover", "pointerenter")


def unavailable(reason: str) -> NoReturn:
    """Skip for want of a tool, except under CI, where a missing tool fails the run."""
    if IN_CI:
        pytest.fail(reason + " (under CI this is a failure, not a skip)")
    pytest.skip(reason)


def playwright_api() -> ModuleType:
    """``playwright.sync_api``, or skip (fail under CI) when it is not installed."""
    try:
        import playwright.sync_api as api
    except ImportError:
        unavailable("Playwright is not installed (make install-test installs it)")
    return api


@contextmanager
def chromium(*arguments: str) -> Iterator[Any]:
    """Debian's Chromium, headless, with ``arguments`` beside ``--no-sandbox`` (tests run as
    root in CI's container, where Chromium's sandbox cannot start)."""
    api = playwright_api()
    if not Path(CHROMIUM).exists():
        unavailable(f"no Chromium at {CHROMIUM} (Debian package chromium; make test installs it)")
    browser = _driver(api).chromium.launch(
        executable_path=CHROMIUM, args=["--no-sandbox", *arguments]
    )
    try:
        yield browser
    finally:
        browser.close()


_DRIVERS: list[Any] = []


def _driver(api: ModuleType) -> Any:
    """The one Playwright driver of this process, started on first use and stopped at exit.

    Playwright's sync API runs an event loop of its own: a second ``sync_playwright()`` while
    one is running (a session's browser beside a module's fake-camera browser) is refused, so
    every browser of a test process is launched from this one driver."""
    if not _DRIVERS:
        driver = api.sync_playwright().start()
        atexit.register(driver.stop)
        _DRIVERS.append(driver)
    return _DRIVERS[0]


def browser_app(databases: DatabaseFactory, directory: Path, **config: Any) -> Flask:
    """A fresh app on its own SQLite database with an initialised ledger, as browser tests
    serve it (on SQLite only, like every HTTP test); ``config`` as :func:`app_config` takes it."""
    from web import create_app

    app = create_app(app_config(databases.sqlite(), directory, **config), clock=FakeClock())
    result = app.test_cli_runner().invoke(args=["ledger", "init"])
    assert result.exit_code == 0, result.output
    return app


@contextmanager
def live_server(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1 from a thread; yields the base URL
    (``http://127.0.0.1:<port>``, a secure context for the camera, like localhost)."""
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        thread.join(timeout=10)
        services(app).log.engine.dispose()


def sign_in_page(page: Any, base: str, username: str, password: str = PASSWORD) -> Any:
    """Sign ``page`` in through the sign-in form, in Vietnamese; the page, on where it led."""
    page.goto(f"{base}/sign-in?lang=vi")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page


def watch_policy(page: Any) -> list[str]:
    """The Content Security Policy violations the page reports, as they come: Chromium logs
    each to the console ("Refused to …"), and the document fires ``securitypolicyviolation``."""
    violations: list[str] = []

    def seen(message: Any) -> None:
        text = str(message.text)
        if "Content Security Policy" in text or text.startswith("csp-violation "):
            violations.append(text)

    page.on("console", seen)
    page.add_init_script(
        """document.addEventListener('securitypolicyviolation', (event) =>
             console.error(`csp-violation ${event.effectiveDirective} ${event.blockedURI}`));"""
    )
    return violations


def screenshot(page: Any, name: str) -> Path:
    """The whole page as ``TEST_ARTIFACTS/screenshots/<name>.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def check_field_page(
    page: Any, name: str, viewports: Mapping[str, Mapping[str, int]] = FIELD_VIEWPORTS
) -> None:
    """Fail unless the page, as it is now, meets the field conditions (the module's docstring)
    at each viewport; the failure lists every problem, viewport by viewport, with the rule, the
    element and what was measured. Screenshots are kept either way. The page is given back at
    the viewport it had."""
    report: list[str] = []
    before: list[str] = []
    original = page.viewport_size
    try:
        for label, viewport in viewports.items():
            page.set_viewport_size(dict(viewport))
            page.evaluate("() => new Promise((done) => requestAnimationFrame(() => done()))")
            problems = field_problems(page)
            shot = screenshot(page, f"{name}-{label}")
            if problems and problems == before:
                report.append(f"at {label}: the same {len(problems)} as above (screenshot {shot})")
            elif problems:
                report.append(f"at {label}, {len(problems)} (screenshot {shot}):")
                report.extend(f"  {problem}" for problem in problems)
            before = problems
    finally:
        if original:
            page.set_viewport_size(original)
    if report:
        raise AssertionError(
            f"the page {name!r} ({page.url}) fails the field conditions\n" + "\n".join(report)
        )


def field_problems(page: Any) -> list[str]:
    """Every field condition the page fails at its current viewport, one line each:
    ``[rule] target: summary``."""
    lines = [f"[axe {v['impact']} {v['id']}] {n}" for v in axe_violations(page) for n in v["nodes"]]
    minimum = {"target": MIN_TARGET_PX, "text": MIN_TEXT_PX}
    measured = page.evaluate(_field_check_source(), minimum)
    lines += [f"[{p['rule']}] {p['target']}: {p['summary']}" for p in measured]
    lines += [f"[hover-only] {listener}" for listener in hover_listeners(page)]
    return lines


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations, ``color-contrast-enhanced`` on, each with
    its nodes as ``target: summary`` lines; and the text whose contrast axe could not measure
    (over an image, a gradient, behind another element), as impact ``unmeasured``: a contrast
    that is not shown to be 7:1 fails too. A symbol alone (the verdict's check mark, whose words
    follow it) is not text and is left out.

    axe is put into the page through the DevTools protocol (``page.evaluate``), which the
    page's Content-Security-Policy does not govern: the page is checked under its real policy."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    violations: list[dict[str, Any]] = page.evaluate(
        """async (impacts) => {
          const result = await axe.run(document, {
            rules: { 'color-contrast-enhanced': { enabled: true } },
            resultTypes: ['violations', 'incomplete'],
          });
          const lines = (v) => v.nodes.map((n) => `${n.target.join(' ')}: ${v.help}. `
            + (n.failureSummary || '').replace(/\\s+/g, ' ').trim());
          const contrast = ['color-contrast', 'color-contrast-enhanced'];
          // A symbol alone ("✓" beside its words) is not text (WCAG 1.4.11, 3:1, not 7:1).
          const symbolOnly = (check) => (check.data || {}).messageKey === 'nonBmp';
          return [
            ...result.violations.filter((v) => impacts.includes(v.impact))
              .map((v) => ({ id: v.id, impact: v.impact, nodes: lines(v) })),
            ...result.incomplete.filter((v) => contrast.includes(v.id))
              .map((v) => ({ ...v, nodes: v.nodes.filter((n) => !n.any.every(symbolOnly)) }))
              .filter((v) => v.nodes.length)
              .map((v) => ({ id: v.id, impact: 'unmeasured', nodes: lines(v) })),
          ];
        }""",
        list(FAILING_IMPACTS),
    )
    return violations


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


@functools.cache
def _field_check_source() -> str:
    return FIELD_CHECK.read_text(encoding="utf-8")


def hover_listeners(page: Any) -> list[str]:
    """The listeners for hover-only events on the window, the document or any element, named by
    the element they are on (DevTools protocol ``DOMDebugger.getEventListeners``)."""
    session = page.context.new_cdp_session(page)
    try:
        found: list[str] = []
        for expression in ("window", "document"):
            handle = session.send("Runtime.evaluate", {"expression": expression})["result"]
            answer = session.send(
                "DOMDebugger.getEventListeners",
                {"objectId": handle["objectId"], "depth": -1, "pierce": True},
            )
            for listener in answer["listeners"]:
                if listener["type"] not in HOVER_EVENTS:
                    continue
                node = listener.get("backendNodeId")
                where = expression if node is None else _node_name(session, node)
                found.append(
                    f"{where}: listens for {listener['type']}, which a finger never fires; "
                    "do it on tap (click) or focus"
                )
        return sorted(set(found))
    finally:
        session.detach()


def _node_name(session: Any, backend_node_id: int) -> str:
    node = session.send("DOM.describeNode", {"backendNodeId": backend_node_id})["node"]
    attributes = node.get("attributes", [])
    named = dict(zip(attributes[::2], attributes[1::2], strict=True))
    name = str(node.get("localName") or node.get("nodeName", "node")).lower()
    if named.get("id"):
        return f"{name}#{named['id']}"
    if named.get("class"):
        return name + "." + ".".join(named["class"].split()[:2])
    return name
