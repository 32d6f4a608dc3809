"""``python scripts/bench.py field``: the farmer's and the distributor's pages on a cheap phone.

Measured in one run, in Debian's Chromium driven by Playwright, against the demo season
(``flask ledger init``, ``flask demo seed``, and one flock placed by the chicken farm through
its form, so that the flock's forms have a flock to choose) served by gunicorn (2 workers) on
127.0.0.1, each person signed in through the sign-in form: a family farm with plots and the
chicken farm (each farmer form as the one its home offers it to), a collector's home, and the
scan page, card and ship form of a labelled lot as its holder (a supermarket in the demo) sees
them:

* ``pages``: per field page, the requests and bytes of a first load with an empty cache, as
  sent (``bytes``) and as gzip would send them (``gzip_bytes``, level 6, each response on its
  own: what a compressing proxy in front of the app sends). The barcode reader's WebAssembly is
  loaded only when the camera opens, so it is no part of any first load (``wasm_requests``
  says it was not asked for); ``wasm_bytes`` is the size of the vendored file. Budget: 100 KB
  compressed per page.
* ``interactive_ms`` per page: from navigation to an interactive form (the end of the ``load``
  event: the document parsed, its styles and module scripts loaded and run) under Chromium's
  CPU throttling ×4 and the Slow-4G profile (Lighthouse's DevTools values: 562.5 ms per
  request, 1,474.56 kbit/s down, 675 kbit/s up), cache disabled, against ``static_twin_ms``: a
  static page of the same size (the page's first-load bytes in one HTML document with a form)
  from the same server under the same throttling. Target: page ≤ 1.5 × static, median of
  ``runs``.
* ``scan``: from opening the camera on the scan page to the lot card loaded, the fake camera
  showing the QR code of a label this project printed (rasterised by ``pdftoppm``), against a
  page that opens the same camera the same way and only decodes the same frames with the same
  vendored reader, served by the same server. Not throttled; a new browser context (an empty
  cache: the reader and its wasm are fetched) each run. Targets: ≤ 1.5 s, and ≤ 2 × the
  decode-only page; median of ``runs``.

The static twins and the decode-only page are written into a temporary directory, never into
``web/static``: gunicorn serves :func:`served_app`, the app as ``wsgi.py`` makes it plus one
route, ``/_bench/<name>``, for that directory, so they go through the same server, the same
Flask app and its response hooks as the field pages.
"""

from __future__ import annotations

import gzip
import os
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scripts.bench_verify import _environment, _flask, _free_port, _gunicorn, _open_bench_log

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "web" / "static"
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
PHONE = {"width": 360, "height": 740}

#: Lighthouse's "mobileSlow4G" as DevTools applies it (its RTT and throughput adjustments),
#: throughputs in bytes per second as the DevTools protocol takes them.
SLOW_4G = {
    "offline": False,
    "latency": 562.5,
    "downloadThroughput": 1474.56 * 1024 / 8,
    "uploadThroughput": 675 * 1024 / 8,
}
CPU_SLOWDOWN = 4
FIRST_LOAD_BUDGET = 100 * 1024
INTERACTIVE_OVER_STATIC = 1.5
SCAN_TO_CARD_MS = 1500
SCAN_OVER_DECODE = 2.0

#: The directory :func:`served_app` serves at ``/_bench/``.
PAGES_ENV = "BENCH_FIELD_PAGES"
#: The demo's accounts measured: a family farm with plots, the chicken farm, a collector.
PLOT_FARMER, FLOCK_FARMER, DISTRIBUTOR = "nhan-001", "trai-ga", "thu-gom"


# --- what gunicorn serves ---------------------------------------------------------------------


def served_app() -> Any:
    """The app as ``wsgi.py`` makes it, plus ``/_bench/<name>``: the files of the directory
    ``BENCH_FIELD_PAGES`` names, with the scan page's Content-Security-Policy (WebAssembly
    allowed, for the decode-only page). ``gunicorn 'scripts.bench_field:served_app()'``."""
    from flask import Response, send_from_directory

    from web.security import POLICY
    from wsgi import app

    directory = os.environ[PAGES_ENV]
    directives = {**POLICY, "script-src": ("'self'", "'wasm-unsafe-eval'")}
    policy = "; ".join(" ".join((name, *sources)) for name, sources in directives.items())

    def bench_page(name: str) -> Response:
        response = send_from_directory(directory, name, max_age=0)
        response.headers["Content-Security-Policy"] = policy
        return response

    app.add_url_rule("/_bench/<path:name>", "bench_page", bench_page)
    return app


# --- first loads and throttled loads ------------------------------------------------------------


def _gzip_size(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6, mtime=0))


def first_load(context: Any, url: str) -> dict[str, Any]:
    """One first load with an empty cache: every response the page asked for, with its size."""
    page = context.new_page()
    responses: list[Any] = []
    page.on("response", lambda response: responses.append(response))
    answer = page.goto(url, wait_until="networkidle", timeout=60_000)
    if answer is None or answer.status != 200:
        raise RuntimeError(f"{url} answered {answer and answer.status}")
    sizes = {"requests": 0, "bytes": 0, "gzip_bytes": 0, "wasm_requests": 0}
    for response in responses:
        sizes["requests"] += 1
        if response.url.endswith(".wasm"):
            sizes["wasm_requests"] += 1
        body = b"" if 300 <= response.status < 400 else response.body()
        sizes["bytes"] += len(body)
        sizes["gzip_bytes"] += _gzip_size(body) if body else 0
    page.close()
    return sizes


def time_to_interactive_ms(context: Any, url: str) -> float:
    """Navigation start to the end of the ``load`` event, throttled, with the cache off."""
    page = context.new_page()
    session = context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.setCacheDisabled", {"cacheDisabled": True})
    session.send("Network.emulateNetworkConditions", SLOW_4G)
    session.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    page.goto(url, wait_until="load", timeout=120_000)
    # ``load`` resolves as the event is dispatched; its end is stamped after its handlers.
    page.wait_for_function(
        "() => performance.getEntriesByType('navigation')[0].loadEventEnd > 0", timeout=60_000
    )
    elapsed = page.evaluate(
        "() => { const n = performance.getEntriesByType('navigation')[0];"
        " return n.loadEventEnd - n.startTime; }"
    )
    session.detach()
    page.close()
    return float(elapsed)


def static_twin(directory: Path, name: str, size: int) -> str:
    """A static HTML page of exactly ``size`` bytes (UTF-8) with a form; its file name."""
    head = (
        '<!doctype html><html lang="vi"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width"><title>static</title>'
        '<form><label>Số lượng <input name="q" inputmode="decimal"></label>'
        "<button>Gửi</button></form><p>"
    ).encode()
    tail = b"</p></html>"
    room = max(0, size - len(head) - len(tail))
    filler = ("Nhãn lồng Hưng Yên. " * (room // 10 + 1)).encode()[:room]
    filler = filler.decode("utf-8", errors="ignore").encode()  # no character cut in two
    text = head + filler + b" " * (room - len(filler)) + tail
    path = directory / f"twin-{name}.html"
    path.write_bytes(text)
    return path.name


def sign_in(browser: Any, base: str, username: str) -> list[dict[str, Any]]:
    """The cookies of ``username`` signed in through the sign-in form."""
    from demo.masterdata import DEMO_PASSWORD

    context = browser.new_context(locale="vi-VN")
    try:
        page = context.new_page()
        page.goto(f"{base}/sign-in?lang=vi")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/field/**")
        cookies: list[dict[str, Any]] = context.cookies()
        return cookies
    finally:
        context.close()


def phone(browser: Any, cookies: list[dict[str, Any]], **options: Any) -> Any:
    """A new browser context (an empty cache) as a phone, signed in with ``cookies``."""
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN", **options
    )
    context.add_cookies(cookies)
    return context


def measure_page(
    browser: Any,
    base: str,
    page: tuple[str, str],
    cookies: list[dict[str, Any]],
    twins: Path,
    runs: int,
) -> dict[str, Any]:
    """One page's first load and its throttled times against its static twin's; ``page`` is
    its name and path."""
    name, path = page
    context = phone(browser, cookies)
    try:
        sizes = first_load(context, base + path)
        twin = static_twin(twins, name, sizes["bytes"])
        page_times, twin_times = [], []
        for _ in range(runs):
            page_times.append(time_to_interactive_ms(context, base + path))
            twin_times.append(time_to_interactive_ms(context, f"{base}/_bench/{twin}"))
    finally:
        context.close()
    page_ms, twin_ms = statistics.median(page_times), statistics.median(twin_times)
    return {
        "path": path,
        **sizes,
        "within_budget": sizes["gzip_bytes"] <= FIRST_LOAD_BUDGET and not sizes["wasm_requests"],
        "interactive_ms": round(page_ms, 1),
        "static_twin_ms": round(twin_ms, 1),
        "over_static": round(page_ms / twin_ms, 3),
    }


# --- which pages ------------------------------------------------------------------------------


def place_a_flock(browser: Any, base: str, cookies: list[dict[str, Any]]) -> None:
    """The chicken farm places a flock through its form: the demo season's flocks are all
    slaughtered, and a flock's forms (feed, vaccination, …) are offered only with one."""
    context = phone(browser, cookies)
    try:
        page = context.new_page()
        page.goto(f"{base}/field/record/placement")
        page.select_option("select[name=house]", index=1)
        page.select_option("select[name=product]", index=1)
        page.fill("input[name=breed]", "Gà ri")
        page.fill("input[name=head_count]", "500")
        page.click("form.event-form button[type=submit]")
        page.wait_for_load_state()
        if "/field/records/" not in page.url:
            raise RuntimeError(f"the flock was not placed: {page.url}")
    finally:
        context.close()


def offered_forms(browser: Any, base: str, cookies: list[dict[str, Any]]) -> set[str]:
    """The slugs of the forms the person's home links to."""
    context = phone(browser, cookies)
    try:
        page = context.new_page()
        page.goto(f"{base}/field/")
        links = page.eval_on_selector_all("a[href]", "els => els.map((e) => e.pathname)")
        return {link.removeprefix("/field/record/") for link in links if "/record/" in link}
    finally:
        context.close()


def farmer_forms() -> list[str]:
    """Every registered form a farmer may send, in the order they were declared."""
    from web.field import farm  # noqa: F401  (registers the farm forms)
    from web.field.forms import REGISTRY

    return [slug for slug, form in REGISTRY.items() if "farmer" in form.roles]


def labelled_lot(directory: Path) -> tuple[str, str]:
    """A lot of the demo with issued labels, still on hand, and the username of an account of
    its holder (who sees the lot's card with its actions)."""
    import sqlalchemy as sa

    from ledger.supplychain.tables import ACCOUNT, LABEL_ISSUE, LOT

    log = _open_bench_log(directory)
    try:
        with log.engine.connect() as connection:
            row = connection.execute(
                sa.select(LOT.c.id, ACCOUNT.c.username)
                .join(ACCOUNT, ACCOUNT.c.organisation == LOT.c.holder)
                .where(LOT.c.id.in_(sa.select(LABEL_ISSUE.c.lot)), LOT.c.status == "active")
                .order_by(LOT.c.id, ACCOUNT.c.username)
                .limit(1)
            ).one()
        return str(row.id), str(row.username)
    finally:
        log.engine.dispose()


def offered_to(slug: str, offered: dict[str, set[str]]) -> str:
    """The demo farmer whose home offers the form: the family farm first."""
    farmer = next((name for name in (PLOT_FARMER, FLOCK_FARMER) if slug in offered[name]), None)
    if farmer is None:
        raise RuntimeError(f"no demo farmer is offered the form {slug!r}")
    return farmer


def field_pages(
    lot: str, holder: str, offered: dict[str, set[str]] | None
) -> list[tuple[str, str, str]]:
    """``(name, path, username)`` of every field page measured: both homes; with ``offered``
    (the forms each farmer's home offers), every farmer form as the farmer it is offered to (a
    plot's as the family farm, a flock's as the chicken farm); my records, the scan page, the
    labelled lot's card and its ship form (as its holder)."""
    pages = [("farmer-home", "/field/", PLOT_FARMER), ("distributor-home", "/field/", DISTRIBUTOR)]
    if offered is not None:
        pages += [
            (f"form-{slug}", f"/field/record/{slug}", offered_to(slug, offered))
            for slug in farmer_forms()
        ]
    card = f"/field/lots/{lot}"
    pages += [
        ("records", "/field/records", PLOT_FARMER),
        ("scan", "/field/scan", holder),
        ("lot-card", card, holder),
        ("lot-ship", f"{card}?action=ship", holder),
    ]
    return pages


# --- scan to card ------------------------------------------------------------------------------


def label_video(directory: Path, lot: str, base: str) -> tuple[Path, str]:
    """The fake camera's video: the lot's first label, printed on the label printer's layout
    as ``flask labels print`` prints it, rasterised at the printer's resolution; and the URL
    its QR code holds."""
    from labels.printing import issued_labels, layout_named
    from labels.sheet import write_sheets
    from tests.support import camera

    if camera.PDFTOPPM is None:
        raise RuntimeError("pdftoppm is not installed (Debian package poppler-utils)")
    log = _open_bench_log(directory)
    try:
        label = next(issued_labels(log, lot, base))
    finally:
        log.engine.dispose()
    pdf = directory / "label.pdf"
    with pdf.open("wb") as handle:
        write_sheets([label], layout_named(camera.LAYOUT), handle, "bench")
    prefix = directory / "label"
    subprocess.run(
        [camera.PDFTOPPM, "-r", "300", "-gray", "-singlefile", str(pdf), str(prefix)],
        check=True,
        timeout=60,
    )
    from PIL import Image

    with Image.open(prefix.with_suffix(".pgm")) as page:
        video = camera.label_video([page.copy()], directory / "label.mjpeg")
    return video, label.url


#: The decode-only page's script: what ``static/scan.js`` does from the tap on "open the
#: camera" to a code read (the same camera request, the same reader loaded the same way, the
#: same formats and the same pause between frames), and nothing after it.
DECODE_SCRIPT = """
const FORMATS = ["qr_code", "data_matrix", "code_128", "ean_13"];
const root = document.getElementById("decoder");
const video = document.getElementById("camera");
async function decode() {
  const started = performance.now();
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: { ideal: "environment" } }, audio: false,
  });
  video.srcObject = stream;
  await video.play();
  const module = await import(root.dataset.ponyfill);
  const wasm = new URL(root.dataset.wasm, document.baseURI).href;
  await module.prepareZXingModule({
    overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasm : prefix + path) },
    fireImmediately: true,
  });
  const reader = new module.BarcodeDetector({ formats: FORMATS });
  for (;;) {
    if (video.readyState >= 2) {
      const found = await reader.detect(video).catch(() => []);
      if (found.length) {
        root.dataset.code = found[0].rawValue;
        root.dataset.ms = String(performance.now() - started);
        stream.getTracks().forEach((track) => track.stop());
        return;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 120));
  }
}
document.getElementById("start").addEventListener("click", decode);
root.dataset.ready = "true";
"""


def decode_page(directory: Path, ponyfill: str, wasm: str) -> str:
    """The decode-only page (and its script) in ``directory``; its file name."""
    (directory / "decode.js").write_text(DECODE_SCRIPT, encoding="utf-8")
    (directory / "decode.html").write_text(
        '<!doctype html><html lang="vi"><meta charset="utf-8"><title>decode</title>'
        f'<main id="decoder" data-ponyfill="{ponyfill}" data-wasm="{wasm}">'
        '<video id="camera" playsinline muted></video>'
        '<button type="button" id="start">Mở camera</button></main>'
        '<script type="module" src="decode.js"></script></html>',
        encoding="utf-8",
    )
    return "decode.html"


def reader_paths(browser: Any, base: str, cookies: list[dict[str, Any]]) -> dict[str, str]:
    """Where the scan page loads the barcode reader from: ``ponyfill`` and ``wasm``."""
    context = phone(browser, cookies)
    try:
        page = context.new_page()
        page.goto(f"{base}/field/scan")
        return {
            key: page.get_attribute("#scanner", f"data-{key}") or "" for key in ("ponyfill", "wasm")
        }
    finally:
        context.close()


#: Taps "open the camera" and says when, in the clock every page of the browser shares.
TAP = """(selector) => {
  const at = performance.timeOrigin + performance.now();
  document.querySelector(selector).click();
  return at;
}"""


def scan_to_card_ms(browser: Any, base: str, cookies: list[dict[str, Any]], lot: str) -> float:
    """From the tap on "open the camera" to the end of the lot card's ``load`` event."""
    context = phone(browser, cookies, permissions=["camera"])
    try:
        page = context.new_page()
        page.goto(f"{base}/field/scan")
        page.wait_for_selector("#scanner[data-ready]")
        tapped = page.evaluate(TAP, "#camera-start")
        page.wait_for_url(f"{base}/field/lots/**", wait_until="load", timeout=60_000)
        if page.url != f"{base}/field/lots/{lot}":
            raise RuntimeError(f"the scan opened {page.url}, not the card of {lot}")
        page.wait_for_function(
            "() => performance.getEntriesByType('navigation')[0].loadEventEnd > 0"
        )
        loaded = page.evaluate(
            "() => performance.timeOrigin"
            " + performance.getEntriesByType('navigation')[0].loadEventEnd"
        )
        return float(loaded) - float(tapped)
    finally:
        context.close()


def decode_only_ms(browser: Any, base: str, name: str, code: str) -> float:
    """The decode-only page: from the tap to the code read; it must be ``code``."""
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, permissions=["camera"]
    )
    try:
        page = context.new_page()
        page.goto(f"{base}/_bench/{name}")
        page.wait_for_selector("#decoder[data-ready]")
        page.evaluate(TAP, "#start")
        page.wait_for_selector("#decoder[data-ms]", timeout=60_000)
        read = page.get_attribute("#decoder", "data-code")
        if read != code:
            raise RuntimeError(f"the decode-only page read {read!r}, not the label {code!r}")
        return float(page.get_attribute("#decoder", "data-ms") or "nan")
    finally:
        context.close()


# --- one run -----------------------------------------------------------------------------------


@contextmanager
def camera_browser(video: Path) -> Iterator[Any]:
    """Debian's Chromium, headless, whose camera plays ``video`` (flags as the scan tests')."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"no Chromium at {CHROMIUM} (Debian package chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


def bench_field(runs: int = 3, only: set[str] | None = None) -> dict[str, Any]:
    """The field pages of the demo season, measured as the module's docstring says; ``only``
    measures those pages alone (by name: ``farmer-home``, ``form-spray``, ``scan``, …)."""
    directory = Path(tempfile.mkdtemp(prefix="hyt-bench-field-"))
    twins = directory / "pages"
    twins.mkdir()
    port = _free_port()
    environment = {**_environment(directory, port), PAGES_ENV: str(twins)}
    load_before = os.getloadavg()
    try:
        _flask(environment, "ledger", "init")
        _flask(environment, "demo", "seed")
        with _gunicorn(environment, port, "scripts.bench_field:served_app()") as base:
            result = _measure(directory, twins, base, runs, only)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    result["load_average"] = {
        "before": [round(x, 2) for x in load_before],
        "after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }
    return result


def _measure(
    directory: Path, twins: Path, base: str, runs: int, only: set[str] | None
) -> dict[str, Any]:
    lot, holder = labelled_lot(directory)
    video, code = label_video(directory, lot, base)
    with camera_browser(video) as browser:
        people: dict[str, list[dict[str, Any]]] = {}

        def cookies(username: str) -> list[dict[str, Any]]:
            if username not in people:
                people[username] = sign_in(browser, base, username)
            return people[username]

        offered = None
        if only is None or any(name.startswith("form-") for name in only):
            place_a_flock(browser, base, cookies(FLOCK_FARMER))
            offered = {
                farmer: offered_forms(browser, base, cookies(farmer))
                for farmer in (PLOT_FARMER, FLOCK_FARMER)
            }
        pages = field_pages(lot, holder, offered)
        unknown = (only or set()) - {name for name, _, _ in pages}
        if unknown:
            raise SystemExit(f"no such page: {', '.join(sorted(unknown))}")
        figures = {
            name: {
                "as": username,
                **measure_page(browser, base, (name, path), cookies(username), twins, runs),
            }
            for name, path, username in pages
            if only is None or name in only
        }
        reader = reader_paths(browser, base, cookies(holder))
        decoder = decode_page(twins, reader["ponyfill"], reader["wasm"])
        # Warm-up, not counted: each of the two workers renders the card once (its templates
        # compiled, its catalogs read), and the decode-only page is run as often.
        for _ in range(2):
            scan_to_card_ms(browser, base, cookies(holder), lot)
            decode_only_ms(browser, base, decoder, code)
        scans = [scan_to_card_ms(browser, base, cookies(holder), lot) for _ in range(runs)]
        decodes = [decode_only_ms(browser, base, decoder, code) for _ in range(runs)]
    wasm = (STATIC / reader["wasm"].removeprefix("/static/")).read_bytes()
    return summary(figures, scans, decodes, wasm, lot, runs)


def summary(
    figures: dict[str, Any],
    scans: list[float],
    decodes: list[float],
    wasm: bytes,
    lot: str,
    runs: int,
) -> dict[str, Any]:
    """The benchmark's one JSON object, with its targets."""
    for page in figures.values():
        page["within_static_target"] = page["over_static"] <= INTERACTIVE_OVER_STATIC
    heaviest = max(figures, key=lambda name: figures[name]["gzip_bytes"])
    slowest = max(figures, key=lambda name: figures[name]["over_static"])
    scan_ms, decode_ms = statistics.median(scans), statistics.median(decodes)
    return {
        "benchmark": "field",
        "runs": runs,
        "cpu_slowdown": CPU_SLOWDOWN,
        "network": {"profile": "Slow-4G (Lighthouse, DevTools throttling)", **SLOW_4G},
        "pages": figures,
        "max_gzip_bytes": figures[heaviest]["gzip_bytes"],
        "max_gzip_page": heaviest,
        "max_requests": max(page["requests"] for page in figures.values()),
        "max_over_static": figures[slowest]["over_static"],
        "max_over_static_page": slowest,
        "wasm_bytes": len(wasm),
        "wasm_gzip_bytes": _gzip_size(wasm),
        "scan": {
            "lot": lot,
            "scan_to_card_ms": round(scan_ms, 1),
            "decode_only_ms": round(decode_ms, 1),
            "over_decode": round(scan_ms / decode_ms, 3),
            "scan_to_card_runs_ms": [round(ms, 1) for ms in scans],
            "decode_only_runs_ms": [round(ms, 1) for ms in decodes],
        },
        "targets": {
            "first load <= 100 KB gzip, every page": all(
                page["within_budget"] for page in figures.values()
            ),
            "interactive <= 1.5 x static twin, every page": all(
                page["within_static_target"] for page in figures.values()
            ),
            "scan to card <= 1.5 s": scan_ms <= SCAN_TO_CARD_MS,
            "scan to card <= 2 x decode only": scan_ms <= SCAN_OVER_DECODE * decode_ms,
        },
    }
