"""The scan page over HTTP: manual entry opens the lot a code names, refuses what names nothing
with the reason, counts the cartons of a shipment, and is the one page allowed WebAssembly."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.browser import browser_app
from tests.support.databases import DatabaseFactory
from tests.support.field import hidden_fields, sign_in
from tests.support.handover import PALLET, Dock, build_dock
from tests.support.world import with_check_digit
from web.services import services

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def dock_app(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Flask, Dock]]:
    app = browser_app(databases, tmp_path_factory.mktemp("scan"))
    yield app, build_dock(app)
    services(app).log.engine.dispose()


_CLIENTS: dict[tuple[int, str], FlaskClient] = {}


def _client(app: Flask, username: str = "thu-gom") -> FlaskClient:
    """A browser signed in as ``username``, one per app (signing in hashes a password)."""
    key = (id(app), username)
    if key not in _CLIENTS:
        client = app.test_client()
        assert sign_in(client, username, "en").status_code == 303
        _CLIENTS[key] = client
    return _CLIENTS[key]


def _scan(client: FlaskClient, code: str) -> tuple[int, str, str]:
    answer = client.get(f"/field/scan?code={quote(code, safe='')}")
    return answer.status_code, answer.headers.get("Location", ""), answer.get_data(as_text=True)


def test_the_scan_page_is_for_the_signed_in(dock_app: tuple[Flask, Dock]) -> None:
    app, _ = dock_app
    answer = app.test_client().get("/field/scan")
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/sign-in?next=/field/scan")


def test_manual_entry_works_without_javascript(dock_app: tuple[Flask, Dock]) -> None:
    app, _ = dock_app
    page = _client(app).get("/field/scan").get_data(as_text=True)
    assert '<form method="get" action="/field/scan"' in page
    assert 'name="code"' in page
    assert "wasm-unsafe-eval" not in page  # the policy is a header, not markup
    assert "zxing_reader.wasm" in page
    assert "jsdelivr" not in page


def test_a_label_a_carton_and_a_pallet_open_their_lot(dock_app: tuple[Flask, Dock]) -> None:
    app, dock = dock_app
    client = _client(app)
    gtin, code = dock.good_lot.removeprefix("lot:").split("/")
    for scanned, lot in (
        (dock.labels["good"][1], dock.good_lot),
        (f"01{gtin}10{code}", dock.good_lot),
        (f"(01){gtin}(10){code}", dock.good_lot),
        (f"00{PALLET}", dock.shipped_lot),
        (dock.shipped_labels[2], dock.shipped_lot),
    ):
        status, location, _ = _scan(client, scanned)
        assert (status, location) == (303, f"/field/lots/{lot}"), scanned


@pytest.mark.parametrize(
    ("case", "status", "says"),
    [
        ("forged", 422, "not genuine"),
        ("unsigned", 422, "no signature"),
        ("garbage", 400, "neither a label"),
        ("long", 400, "characters long"),
        ("control", 400, "U+0007"),
        ("unknown lot", 404, "no lot NOPE"),
        ("no pallet", 404, "no shipment"),
    ],
)
def test_what_names_no_lot_is_refused_with_the_reason(
    dock_app: tuple[Flask, Dock], case: str, status: int, says: str
) -> None:
    app, dock = dock_app
    gtin, _ = dock.good_lot.removeprefix("lot:").split("/")
    url, _, signature = dock.labels["good"][0].partition("?s=")
    codes = {
        "forged": f"{url}?s={signature[:-3]}AAA",
        "unsigned": url,
        "garbage": "xin chào",
        "long": "9" * 10_000,
        "control": "0108930000000026\x0710ABC",
        "unknown lot": f"01{gtin}10NOPE",
        "no pallet": "00" + with_check_digit("38930000000009999"),
    }
    got, location, page = _scan(_client(app), codes[case])
    assert (got, location) == (status, ""), page
    assert says in page
    assert 'aria-invalid="true"' in page
    assert "Traceback" not in page


def test_the_tally_counts_distinct_serials_of_the_shipment(dock_app: tuple[Flask, Dock]) -> None:
    app, dock = dock_app
    client = _client(app)
    page = client.get(f"/field/scan?receive={dock.shipped_lot}").get_data(as_text=True)
    assert 'id="tally-count">0<' in page
    assert 'id="tally-units">4<' in page
    serials = ""
    outcomes = []
    for code in (
        dock.shipped_labels[0],
        dock.shipped_labels[1],
        dock.shipped_labels[0],  # scanned twice
        dock.labels["good"][0],  # a box of another lot
        "rác",
        dock.shipped_labels[3],
    ):
        answer = client.post(
            "/field/scan",
            data={
                **hidden_fields(page),
                "receive": dock.shipped_lot,
                "serials": serials,
                "code": code,
            },
            headers={"Accept": "application/json"},
        )
        assert answer.status_code == 200
        tally = answer.get_json()
        serials = tally["serials"]
        outcomes.append((tally["last"], tally["count"]))
    assert outcomes == [
        ("counted", 1),
        ("counted", 2),
        ("duplicate", 2),
        ("other_lot", 2),
        ("refused", 2),
        ("counted", 3),
    ]
    # Without JavaScript: the same form, the page again with the tally and the flag.
    html = client.post(
        "/field/scan",
        data={
            **hidden_fields(page),
            "receive": dock.shipped_lot,
            "serials": serials,
            "code": dock.shipped_labels[3],
        },
    ).get_data(as_text=True)
    assert 'id="tally-count">3<' in html
    assert 'data-last="duplicate"' in html
    assert "counted=3" in html


def test_a_tally_keeps_only_serials_the_ledger_issued(dock_app: tuple[Flask, Dock]) -> None:
    app, dock = dock_app
    client = _client(app)
    page = client.get(f"/field/scan?receive={dock.shipped_lot}").get_data(as_text=True)
    for forged in ("999999 1000000", "1 1 1", "abc", "1" * 30_000):
        answer = client.post(
            "/field/scan",
            data={
                **hidden_fields(page),
                "receive": dock.shipped_lot,
                "serials": forged,
                "code": "x",
            },
            headers={"Accept": "application/json"},
        )
        assert answer.get_json()["count"] <= 1, forged


def test_only_the_receiver_counts_a_shipment(dock_app: tuple[Flask, Dock]) -> None:
    app, dock = dock_app
    for username, lot in (("dong-goi", dock.shipped_lot), ("thu-gom", dock.good_lot)):
        answer = _client(app, username).get(f"/field/scan?receive={lot}")
        assert answer.status_code == 403, username
    assert _client(app).get("/field/scan?receive=lot:rác").status_code == 400


def test_only_the_scan_page_may_compile_webassembly(dock_app: tuple[Flask, Dock]) -> None:
    app, dock = dock_app
    client = _client(app)
    scan = client.get("/field/scan")
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in scan.headers["Content-Security-Policy"].split("; ")
    }
    # This origin, the page's own scripts by their hashes (web.inline_assets), WebAssembly.
    assert policy["script-src"][0] == "'self'"
    assert policy["script-src"][-1] == "'wasm-unsafe-eval'"
    assert all(source.startswith("'sha256-") for source in policy["script-src"][1:-1])
    tally = client.get(f"/field/scan?receive={dock.shipped_lot}")
    assert "'wasm-unsafe-eval'" in tally.headers["Content-Security-Policy"]
    others = [
        "/",
        "/field/",
        f"/field/lots/{dock.shipped_lot}",
        f"/field/scan?code={quote(dock.labels['good'][0], safe='')}",  # the redirect
        "/field/scan?code=rác",
        dock.labels["good"][0].removeprefix("http://localhost"),
        "/static/scan.js",
        "/static/vendor/zxing-wasm-3.1.3/zxing_reader.wasm",
        "/api/docs",
        "/sign-in",
        "/nowhere",
    ]
    for path in others:
        answer = client.get(path)
        policy = answer.headers["Content-Security-Policy"]
        wasm = "wasm-unsafe-eval" in policy
        assert wasm == (path == "/field/scan?code=rác"), (path, policy)


def test_the_wasm_is_served_from_here_as_webassembly(dock_app: tuple[Flask, Dock]) -> None:
    app, _ = dock_app
    answer = app.test_client().get("/static/vendor/zxing-wasm-3.1.3/zxing_reader.wasm")
    assert answer.status_code == 200
    assert answer.mimetype == "application/wasm"
    assert answer.get_data()[:4] == b"\0asm"
