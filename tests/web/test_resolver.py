"""The public page a phone opens from a label, and the GS1 Digital Link resolver around it."""

from __future__ import annotations

import html as markup
import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from ledger.common.clock import FakeClock
from tests.support.apps import app_config
from tests.support.databases import DatabaseFactory
from tests.support.labels import issue_labels
from tests.support.world import (
    CERTIFIER,
    CERTIFIER_USER,
    COOPERATIVE,
    FARMER_A,
    FARMER_B,
    FRESH_LONGAN,
    PACKER,
    PACKHOUSE,
    PLOT_A,
    PLOT_B,
    World,
    lot,
)
from web import create_app
from web.config import from_environment
from web.services import services

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def resolver_app(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    directory = tmp_path_factory.mktemp("resolver")
    app = create_app(app_config(databases.sqlite(), directory), clock=FakeClock())
    assert app.test_cli_runner().invoke(args=["ledger", "init"]).exit_code == 0
    yield app
    services(app).log.engine.dispose()


@pytest.fixture(scope="module")
def labels(resolver_app: Flask) -> dict[str, list[str]]:
    return issue_labels(resolver_app)


@pytest.fixture
def client(resolver_app: Flask) -> FlaskClient:
    return resolver_app.test_client()


def path(url: str) -> str:
    return url.removeprefix("http://localhost")


def test_a_genuine_label_in_vietnamese_then_in_english(
    client: FlaskClient, labels: dict[str, list[str]]
) -> None:
    page = client.get(path(labels["good"][2]))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'lang="vi"' in html
    assert "verdict-genuine" in html
    assert "nhãn 3 / 5" in html
    assert "Nhãn lồng hộp 1 kg" in html
    assert "HTX Nhãn lồng Tiên Lữ" in html
    assert "đầy đủ tính đến checkpoint" in html.lower()
    english = client.get(path(labels["good"][2]), headers={"Accept-Language": "en"})
    text = english.get_data(as_text=True)
    assert "Genuine label" in text
    assert "label 3 / 5" in text
    toggled = client.get(path(labels["good"][2]) + "&lang=en")
    assert "Genuine label" in toggled.get_data(as_text=True)
    # The choice sticks for the next page, whatever the browser prefers.
    assert "Genuine label" in client.get(path(labels["good"][3])).get_data(as_text=True)
    client.get(path(labels["good"][3]) + "&lang=vi")
    for answer in (page, english):
        assert 'rel="linkset"' in answer.headers["Link"]


def test_the_page_holds_no_personal_data_and_fetches_nothing_elsewhere(
    client: FlaskClient, labels: dict[str, list[str]]
) -> None:
    html = client.get(path(labels["good"][0])).get_data(as_text=True)
    for private in ("Hộ Nguyễn Văn An", "Vườn nhãn An 1", "price", "giá"):
        assert private not in html
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert external == []
    css = (ROOT / "web" / "static" / "style.css").read_bytes()
    assert len(html.encode()) + len(css) <= 150_000


def test_the_json_answer_carries_the_three_checks(
    client: FlaskClient, labels: dict[str, list[str]]
) -> None:
    answer = client.get(path(labels["good"][0]), headers={"Accept": "application/json"})
    assert answer.status_code == 200
    body = answer.json
    assert body["overall"] == "genuine"
    assert body["label"]["signature"] == "valid"
    assert body["label"]["signed_by"] == PACKHOUSE
    assert (body["label"]["number"], body["label"]["of"]) == (1, 5)
    assert body["ledger"]["status"] == "included"
    assert body["ledger"]["checkpoint_size"] > body["label"]["issue_entry"]
    steps = [step["step"] for step in body["journey"]["steps"]]
    assert steps[0] == "harvest"
    assert {"shipping", "receiving", "packing", "labelling"} <= set(steps)


def test_the_linkset_and_the_traceability_link(
    client: FlaskClient, labels: dict[str, list[str]]
) -> None:
    url = path(labels["good"][0])
    for request in (
        client.get(url + "&linkType=linkset"),
        client.get(url + "&linkType=all"),
        client.get(url, headers={"Accept": "application/linkset+json"}),
    ):
        assert request.status_code == 200
        assert request.mimetype == "application/linkset+json"
        [links] = request.json["linkset"]
        for link_type in ("pip", "traceability", "certificationInfo", "recallStatus"):
            assert links[f"https://gs1.org/voc/{link_type}"][0]["href"]
    moved = client.get(url + "&linkType=gs1:traceability")
    assert moved.status_code == 307
    journey = client.get(moved.headers["Location"])
    assert journey.status_code == 200
    assert journey.json["steps"]
    described = client.get("/.well-known/gs1resolver")
    assert described.json["supportedPrimaryKeys"] == ["01"]


def test_short_gtins_redirect_to_fourteen_digits(
    client: FlaskClient, labels: dict[str, list[str]]
) -> None:
    url = path(labels["good"][0])
    gtin = url.split("/")[2]
    assert gtin.startswith("0")
    short = url.replace(f"/01/{gtin}/", f"/01/{gtin[1:]}/")
    moved = client.get(short)
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith(url)


def test_labels_that_fail_say_so_plainly(client: FlaskClient, labels: dict[str, list[str]]) -> None:
    url = path(labels["good"][1])
    tampered = url[:-2] + ("A" if url[-2] != "A" else "B") + url[-1]
    page = client.get(tampered, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "verdict-invalid" in html
    assert "may have been copied" in html
    assert "counterfeit" not in html.lower()
    unsigned = client.get(url.split("?")[0], headers={"Accept": "application/json"})
    assert unsigned.json["label"]["signature"] == "unsigned"
    never = client.get(url.split("/21/")[0] + "/21/999?s=" + url.split("s=")[1])
    assert never.status_code == 404
    assert "never issued" in never.get_data(as_text=True) or "chưa từng" in never.get_data(
        as_text=True
    )
    unknown_lot = client.get("/01/08930000000026/10/NOPE")
    assert unknown_lot.status_code == 404
    unknown_gtin = client.get("/01/08930000099998/10/NOPE/21/1")
    assert unknown_gtin.status_code == 404


def test_a_recalled_lot_shows_the_reason_and_what_to_do(
    client: FlaskClient, labels: dict[str, list[str]]
) -> None:
    page = client.get(path(labels["recalled"][0]))
    html = page.get_data(as_text=True)
    assert "verdict-warning" in html
    assert "Dư lượng thuốc bảo vệ thực vật" in html
    assert "mang trả lại cửa hàng" in html
    body = client.get(path(labels["recalled"][0]), headers={"Accept": "application/json"}).json
    assert "recalled" in body["lot_status"]
    assert body["journey"]["recalls"][0]["consumer_action"].startswith("Không ăn")


def test_the_language_toggle_keeps_the_label_signature(
    client: FlaskClient, labels: dict[str, list[str]]
) -> None:
    url = path(labels["good"][0])
    html = client.get(url).get_data(as_text=True)
    [english] = re.findall(r'<a href="([^"]+)" hreflang="en"', html)
    toggled = client.get(url.split("?")[0] + english.replace("&amp;", "&"))
    text = toggled.get_data(as_text=True)
    assert "Genuine label" in text
    assert "Nhà sơ chế Khoái Châu" in text


def test_a_label_of_a_revoked_key_may_have_been_copied(
    client: FlaskClient, labels: dict[str, list[str]]
) -> None:
    page = client.get(path(labels["revoked"][0]), headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert "verdict-invalid" in html
    assert "withdrawn because it may have leaked" in html
    body = client.get(path(labels["revoked"][0]), headers={"Accept": "application/json"}).json
    assert body["label"]["signature"] == "key_revoked"


PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)


def _scans_of(resolver_app: Flask, url: str) -> int:
    with resolver_app.app_context():
        services().scans.flush()
        gtin = url.split("/01/")[1][:14]
        serial = url.split("/21/")[1].split("?")[0]
        return services().scans.serial_stats(gtin, serial).scans


def test_a_phone_scan_is_counted_a_preview_or_head_request_is_not(
    client: FlaskClient, labels: dict[str, list[str]], resolver_app: Flask
) -> None:
    url = path(labels["good"][3])
    before = _scans_of(resolver_app, url)
    client.get(url, headers={"User-Agent": PHONE_AGENT})
    client.head(url, headers={"User-Agent": PHONE_AGENT})
    client.get(url, headers={"User-Agent": "facebookexternalhit/1.1"})
    client.get(url, headers={"User-Agent": "Zalo-LinkPreview/1.0"})
    assert _scans_of(resolver_app, url) == before + 1


def test_a_serial_scanned_by_many_phones_may_have_been_copied(
    client: FlaskClient, labels: dict[str, list[str]], resolver_app: Flask
) -> None:
    url = path(labels["good"][4])
    for n in range(12):
        client.get(
            url,
            headers={"User-Agent": PHONE_AGENT},
            environ_base={"REMOTE_ADDR": f"203.0.113.{n}"},
        )
    with resolver_app.app_context():
        services().scans.flush()
    page = client.get(url, headers={"User-Agent": PHONE_AGENT})
    html = page.get_data(as_text=True)
    assert "verdict-warning" in html
    assert "Mã này đã được quét bởi 12 thiết bị trong 1 ngày" in html
    assert "giả" not in html
    body = client.get(url, headers={"Accept": "application/json"}).json
    assert body["scans"]["may_be_copied"] is True


def test_a_shopper_may_share_the_area_rounded(
    client: FlaskClient, labels: dict[str, list[str]], resolver_app: Flask
) -> None:
    url = labels["good"][3]
    shared = client.post(
        "/scans/area",
        json={"url": url, "latitude": "20.81234", "longitude": "106.0561"},
        headers={"User-Agent": PHONE_AGENT},
    )
    assert shared.status_code == 200, shared.json
    assert shared.json == {"area": "20.8,106.1", "recorded": True}
    nowhere = client.post(
        "/scans/area",
        json={"url": url, "latitude": "95", "longitude": "106"},
        headers={"User-Agent": PHONE_AGENT},
    )
    assert nowhere.status_code == 400
    # The page's script reads the answer as JSON and shows the sentence, in the page's language.
    assert nowhere.is_json, nowhere.get_data(as_text=True)[:200]
    assert nowhere.json["errors"]["latitude"] == [
        "Một địa điểm trên Trái Đất có vĩ độ từ -90 đến 90 và kinh độ từ -180 đến 180."
    ]
    for loose in ("+20.9", " 20.9", "1e1"):
        refused = client.post(
            "/scans/area",
            json={"url": url, "latitude": loose, "longitude": "106.1"},
            headers={"User-Agent": PHONE_AGENT, "Accept": "*/*"},
        )
        assert refused.status_code == 400, loose
        assert "latitude" in refused.json["errors"]
    never = client.post(
        "/scans/area",
        json={"url": re.sub(r"/21/\d+\?", "/21/999?", url), "latitude": "20", "longitude": "106"},
        headers={"User-Agent": PHONE_AGENT},
    )
    assert never.status_code == 404


def test_forged_urls_are_neither_counted_nor_given_areas(
    client: FlaskClient, labels: dict[str, list[str]], resolver_app: Flask
) -> None:
    url = path(labels["good"][0])
    forged = url[:-2] + ("A" if url[-2] != "A" else "B") + url[-1]
    before = _scans_of(resolver_app, url)
    for n in range(3):
        client.get(forged, headers={"User-Agent": PHONE_AGENT},
                   environ_base={"REMOTE_ADDR": f"198.51.100.{n}"})  # fmt: skip
    assert _scans_of(resolver_app, url) == before
    area = client.post(
        "/scans/area",
        json={"url": "http://localhost" + forged, "latitude": "21.0", "longitude": "105.8"},
        headers={"User-Agent": PHONE_AGENT},
    )
    assert area.status_code == 422


def test_a_request_target_naming_another_host_redirects_on_this_one(
    client: FlaskClient, labels: dict[str, list[str]]
) -> None:
    url = path(labels["good"][0])
    gtin = url.split("/")[2]
    short = url.replace(f"/01/{gtin}/", f"/01/{gtin[1:]}/")
    moved = client.get(short, environ_overrides={"RAW_URI": "http://evil.example" + short})
    assert moved.status_code == 301
    assert moved.headers["Location"].startswith("/01/")
    assert moved.headers["Location"].endswith(url)


def test_odd_characters_in_a_short_gtins_address_stay_in_its_path(client: FlaskClient) -> None:
    for serial in ("1%0D%0AX", "1%3Fa", "1%23b"):
        moved = client.get(f"/01/12345670/10/A/21/{serial}")
        assert moved.status_code == 301
        location = moved.headers["Location"]
        assert location.startswith("/01/00000012345670/10/A/21/1%")
        assert "?" not in location
        assert "#" not in location


EVIL_HOST = "evil.example"
PUBLIC = "https://trace.hungyen.vn"


def _host_answers(client: FlaskClient, url: str) -> dict[str, TestResponse]:
    """Every kind of resolver answer, asked for with a forged ``Host``."""
    gtin = url.split("/")[2]
    lot_path = url.split("/21/")[0]
    tampered = url[:-2] + ("A" if url[-2] != "A" else "B") + url[-1]
    never = url.split("/21/")[0] + "/21/999?s=" + url.split("s=")[1]
    requests = {
        "page": (url, {}),
        "json": (url, {"Accept": "application/json"}),
        "linkset": (url + "&linkType=linkset", {}),
        "all": (url + "&linkType=all", {}),
        "accept-linkset": (url, {"Accept": "application/linkset+json"}),
        "traceability": (url + "&linkType=gs1:traceability", {}),
        "lot": (lot_path, {}),
        "lot-linkset": (lot_path + "?linkType=linkset", {}),
        "journey": ("/traceability/" + gtin + lot_path.split("/10")[1], {}),
        "tampered": (tampered, {}),
        "never-issued": (never, {}),
        "short-gtin": (url.replace(f"/01/{gtin}/", f"/01/{gtin[1:]}/"), {}),
        # Werkzeug merges the slashes with a redirect it builds from the Host header.
        "double-slash": (url.replace("/10/", "//10/"), {}),
        "description": ("/.well-known/gs1resolver", {}),
    }
    return {
        name: client.get(target, headers={"Host": EVIL_HOST, **headers})
        for name, (target, headers) in requests.items()
    }


def _assert_host_not_echoed(answers: dict[str, TestResponse]) -> None:
    for name, answer in answers.items():
        assert EVIL_HOST not in answer.get_data(as_text=True), name
        for header, value in answer.headers.items():
            assert EVIL_HOST not in value, (name, header, value)


def test_no_answer_names_the_host_the_request_claims(
    client: FlaskClient,
    labels: dict[str, list[str]],
    resolver_app: Flask,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(resolver_app.config, "PUBLIC_BASE_URL", None)
    url = path(labels["good"][0])
    page_path = url.split("?")[0]
    answers = _host_answers(client, url)
    assert answers["page"].status_code == 200
    assert answers["double-slash"].status_code == 308
    assert answers["double-slash"].headers["Location"] == url
    _assert_host_not_echoed(answers)
    # Without a public base URL the links are relative references (RFC 9264 resolves them
    # against the linkset's own URL).
    [links] = answers["linkset"].json["linkset"]
    assert links["anchor"] == page_path
    assert links["https://gs1.org/voc/pip"][0]["href"] == page_path
    assert links["https://gs1.org/voc/traceability"][0]["href"].startswith("/traceability/")
    assert links["https://gs1.org/voc/recallStatus"][0]["href"] == f"{page_path}#status"
    assert answers["page"].headers["Link"].startswith(f"<{page_path}?linkType=linkset>")
    described = answers["description"].json
    assert described["resolverRoot"] == "/"
    assert described["linkset"] == "/01/{gtin}/10/{lot}?linkType=linkset"


def test_links_are_absolute_on_the_public_base_url(
    client: FlaskClient,
    labels: dict[str, list[str]],
    resolver_app: Flask,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(resolver_app.config, "PUBLIC_BASE_URL", PUBLIC + "/")
    url = path(labels["good"][0])
    page_path = url.split("?")[0]
    answers = _host_answers(client, url)
    _assert_host_not_echoed(answers)
    for name in ("linkset", "all", "accept-linkset"):
        [links] = answers[name].json["linkset"]
        assert links["anchor"] == PUBLIC + page_path
        for link_type in ("pip", "traceability", "certificationInfo", "recallStatus"):
            assert links[f"https://gs1.org/voc/{link_type}"][0]["href"].startswith(PUBLIC + "/")
    [lot_links] = answers["lot-linkset"].json["linkset"]
    assert lot_links["anchor"] == PUBLIC + url.split("/21/")[0]
    for name in ("page", "json", "linkset", "lot", "traceability"):
        link = answers[name].headers["Link"]
        assert link.startswith(f"<{PUBLIC}/01/"), (name, link)
    described = answers["description"].json
    assert described["resolverRoot"] == PUBLIC
    assert described["linkset"] == PUBLIC + "/01/{gtin}/10/{lot}?linkType=linkset"


def test_a_label_is_checked_the_same_whatever_the_host_header(
    client: FlaskClient, labels: dict[str, list[str]]
) -> None:
    """The signature covers the product, lot and serial, never the host: a malformed ``Host``
    must not turn a genuine label into "not a label"."""
    url = path(labels["good"][0])
    for host in (EVIL_HOST, "[x", "evil.example:99999", "localhost"):
        answer = client.get(url, headers={"Host": host, "Accept": "application/json"})
        assert answer.status_code == 200, (host, answer.json)
        assert answer.json["label"]["signature"] == "valid", host


@pytest.mark.parametrize(
    ("environ", "public", "label_base"),
    [
        ({}, None, "https://trace.hungyen.example"),
        ({"LEDGER_ORIGIN": "id.example.vn/log"}, None, "https://id.example.vn"),
        ({"LABEL_BASE_URL": "https://qr.example.vn"}, "https://qr.example.vn", None),
        ({"PUBLIC_BASE_URL": f"{PUBLIC}/"}, PUBLIC, PUBLIC),
        ({"PUBLIC_BASE_URL": f"{PUBLIC}/trace"}, f"{PUBLIC}/trace", f"{PUBLIC}/trace"),
        (
            {"PUBLIC_BASE_URL": PUBLIC, "LABEL_BASE_URL": "https://qr.example.vn"},
            PUBLIC,
            "https://qr.example.vn",
        ),
    ],
)
def test_the_public_base_url_comes_only_from_explicit_settings(
    environ: dict[str, str], public: str | None, label_base: str | None, tmp_path: Path
) -> None:
    config = from_environment(str(tmp_path), {"SECRET_KEY": "x", **environ})
    assert config["PUBLIC_BASE_URL"] == public
    assert config["LABEL_BASE_URL"] == (label_base or environ["LABEL_BASE_URL"])


@pytest.mark.parametrize(
    "value", ["trace.hungyen.vn", "ftp://trace.hungyen.vn", "https://", f"{PUBLIC}/?a=1"]
)
def test_a_public_base_url_that_is_no_http_address_is_refused(value: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PUBLIC_BASE_URL"):
        from_environment(str(tmp_path), {"SECRET_KEY": "x", "PUBLIC_BASE_URL": value})


def _section(page: TestResponse, start: str, end: str) -> str:
    text = page.get_data(as_text=True)
    return markup.unescape(text[text.index(start) : text.index(end)])


def test_the_origin_is_one_block_naming_communes_and_areas_in_the_pages_language(
    resolver_app: Flask, client: FlaskClient, labels: dict[str, list[str]]
) -> None:
    """A lot merged from three harvests of one cooperative: plot A (2025 codes, Xã Tiên Hoa)
    twice and plot B (registered before 2025 in Xã Lệ Xá, today part of Xã Tiên Hoa). The page
    shows one origin, each commune and the area once, by name, and no codes."""
    with resolver_app.app_context():
        world = World(services().log, _codes=itertools.count(900))
        harvests = [
            (FARMER_A, world.harvest(plot=PLOT_A, quantity="30"), "30"),
            (FARMER_B, world.harvest(who=FARMER_B, plot=PLOT_B, quantity="20"), "20"),
            (FARMER_A, world.harvest(plot=PLOT_A, quantity="10"), "10"),
        ]
        for farmer, harvested, quantity in harvests:
            world.ship(farmer, harvested, quantity, PACKHOUSE)
            world.receive(PACKER, harvested, quantity)
        merged = lot(FRESH_LONGAN, world.code("M"))
        inputs = [{"lot": harvested, "quantity": quantity} for _, harvested, quantity in harvests]
        world.record(PACKER, "merge", {"inputs": inputs, "output": merged})
    gtin, code = merged.removeprefix("lot:").split("/")
    page = client.get(f"/01/{gtin}/10/{code}?lang=vi")
    assert page.status_code == 200
    origin = _section(page, 'id="origin"', 'id="certificates"')
    assert origin.count('<dl class="origin">') == 1
    assert origin.count("HTX Nhãn lồng Tiên Lữ") == 1
    assert "Xã Tiên Hoa; Xã Lệ Xá (nay thuộc Xã Tiên Hoa)" in origin
    assert origin.count("Huyện Tiên Lữ") == 1
    assert not re.search(r"\b(?:1[0-9]{4}|33[0-9])\b", origin), origin
    journey = _section(page, 'id="journey"', 'id="status"')
    assert "Xã Lệ Xá (nay thuộc Xã Tiên Hoa), Huyện Tiên Lữ" in journey
    english = client.get(f"/01/{gtin}/10/{code}?lang=en")
    origin = _section(english, 'id="origin"', 'id="certificates"')
    assert "Tiên Hoa Commune; Lệ Xá Commune (now part of Tiên Hoa Commune)" in origin
    assert origin.count("Tiên Lữ District") == 1
    assert "Communes" in origin
    client.get(f"/01/{gtin}/10/{code}?lang=vi")


def test_certificates_are_named_and_dated_as_people_read_them(
    resolver_app: Flask, client: FlaskClient
) -> None:
    """A certificate reads by its scheme's name and its term in local dates, not as
    ``GI_HUNG_YEN_LONGAN … (2026-01-01 – 2028-12-31)``."""
    with resolver_app.app_context():
        world = World(services().log, _codes=itertools.count(950)).setup()
        world.record(
            CERTIFIER_USER,
            "cert.issue",
            {
                "scheme": "gi_hung_yen_longan",
                "number": "CDDL-1",
                "body": CERTIFIER,
                "holder": COOPERATIVE,
                "valid_from": "2026-01-01",
                "valid_to": "2028-12-31",
            },
        )
        harvested = world.harvest(plot=PLOT_A, quantity="5")
    gtin, code = harvested.removeprefix("lot:").split("/")
    vietnamese = _section(
        client.get(f"/01/{gtin}/10/{code}?lang=vi"), 'id="certificates"', 'id="journey"'
    )
    assert "Chỉ dẫn địa lý “Nhãn lồng Hưng Yên” CDDL-1" in vietnamese, vietnamese
    assert "(1/1/2026 – 31/12/2028)" in vietnamese
    assert "GI_HUNG_YEN_LONGAN" not in vietnamese
    english = _section(
        client.get(f"/01/{gtin}/10/{code}?lang=en"), 'id="certificates"', 'id="journey"'
    )
    assert "Geographical indication “Hưng Yên longan” CDDL-1" in english
    assert "(1/1/2026 – 12/31/2028)" in english
    # The journey's times too are in the reader's language, in Vietnam's time.
    journey = _section(client.get(f"/01/{gtin}/10/{code}?lang=en"), 'id="journey"', 'id="status"')
    assert re.search(r"\b\d{1,2}/\d{1,2}/2026, \d{1,2}:\d{2}\u202f[AP]M\b", journey), journey
    journey = _section(client.get(f"/01/{gtin}/10/{code}?lang=vi"), 'id="journey"', 'id="status"')
    assert re.search(r"\b\d{2}:\d{2} \d{1,2}/\d{1,2}/2026\b", journey), journey
