"""The public read API: happy paths, proofs that verify, and clear errors for bad parameters."""

from __future__ import annotations

import base64
import urllib.parse

import pytest
from flask.testing import FlaskClient

from ledger.tlog import merkle
from ledger.tlog.log import Log
from ledger.tlog.note import open_note
from tests.support.factories import event, simple_event


@pytest.fixture(scope="module", autouse=True)
def entries(ledger_log: Log) -> None:
    for number in range(11):
        ledger_log.append(
            event(
                subjects=[
                    {"id": "lot:08930000000019/NH-2026-001", "role": "output"},
                    {"id": f"flock:api-{number % 2}", "role": "observed"},
                ],
                private={"price": str(40_000 + number)},
            )
        )


def test_checkpoint_is_signed_text_with_a_short_cache(client: FlaskClient, ledger_log: Log) -> None:
    response = client.get("/ledger/checkpoint")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Cache-Control"] == "public, max-age=1"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    note = open_note(response.data, [ledger_log.active_log_key().verifier])
    origin, size, root = note.text.splitlines()
    assert (origin, int(size)) == (ledger_log.origin, ledger_log.size())
    assert base64.b64decode(root) == ledger_log.latest_checkpoint().root


def test_trust_list(client: FlaskClient, ledger_log: Log) -> None:
    response = client.get("/ledger/trust")
    key = ledger_log.active_log_key().verifier
    text = open_note(response.data, [key]).text
    assert text.startswith("hyt-ledger/trust/v1\n")
    assert f"vkey={key.vkey}" in text


def test_entry_json_and_raw_bytes(client: FlaskClient) -> None:
    body = client.get("/ledger/entries/3").get_json()
    assert body["index"] == 3
    assert body["envelope"]["subjects"][0]["id"] == "lot:08930000000019/NH-2026-001"
    raw = client.get(body["raw_url"])
    assert raw.headers["Content-Type"] == "application/octet-stream"
    assert raw.headers["Cache-Control"].endswith("immutable")
    assert merkle.leaf_hash(raw.data).hex() == body["leaf_hash"]
    assert b"40003" not in raw.data  # the price is private
    found = client.get(f"/ledger/entries?leaf_hash={body['leaf_hash']}").get_json()
    assert [e["index"] for e in found["entries"]] == [3]


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/ledger/entries/abc", 400, "index"),
        ("/ledger/entries/-1", 400, "index"),
        ("/ledger/entries/1e3", 400, "index"),
        ("/ledger/entries/99999999999999999999999", 400, "index"),
        ("/ledger/entries/" + "9" * 200, 400, "index"),
        ("/ledger/entries/9223372036854775807", 404, None),
        ("/ledger/entries/5000", 404, None),
        ("/ledger/entries?leaf_hash=xyz", 400, "leaf_hash"),
        ("/ledger/entries?leaf_hash=" + "ab" * 32, 404, None),
        ("/ledger/entries", 400, "leaf_hash"),
        ("/ledger/proof/inclusion", 400, "index"),
        ("/ledger/proof/inclusion?index=x", 400, "index"),
        ("/ledger/proof/inclusion?index=5&size=0", 400, "size"),
        ("/ledger/proof/inclusion?index=5&size=3", 400, "index"),
        ("/ledger/proof/inclusion?index=5&size=100000", 400, "size"),
        ("/ledger/proof/inclusion?index=100000", 400, "index"),
        ("/ledger/proof/inclusion?index=1&size=18446744073709551616", 400, "size"),
        ("/ledger/proof/consistency?first=0&second=3", 400, "first"),
        ("/ledger/proof/consistency?first=5&second=3", 400, "first"),
        ("/ledger/proof/consistency?second=3", 400, "first"),
        ("/ledger/proof/consistency?first=1&second=1000000", 400, "second"),
        ("/ledger/subjects/flock%3Anobody/chain", 404, None),
        ("/ledger/subjects/flock%3Aapi-0/chain?limit=0", 400, "limit"),
        ("/ledger/subjects/flock%3Aapi-0/chain?limit=1001", 400, "limit"),
        ("/ledger/subjects/flock%3Aapi-0/chain?after=x", 400, "after"),
        ("/ledger/tile/0/0", 400, "path"),
        ("/ledger/tile/0/000.p/4", 400, "path"),
        ("/ledger/tile/99/000", 400, "path"),
        ("/ledger/tile/0/x001/000", 404, None),
        ("/ledger/tile/entries/999", 404, None),
        ("/ledger/no-such-thing", 404, None),
    ],
)
def test_bad_parameters_get_json_errors(
    client: FlaskClient, path: str, status: int, field: str | None
) -> None:
    response = client.get(path)
    assert response.status_code == status, response.data
    body = response.get_json()
    assert set(body) == {"code", "message", "errors"}
    assert body["message"]
    if field is not None:
        assert field in body["errors"], body
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_inclusion_proof_verifies_against_the_checkpoint(
    client: FlaskClient, ledger_log: Log
) -> None:
    checkpoint = ledger_log.latest_checkpoint()
    for index in (0, 4, checkpoint.size - 1):
        body = client.get(f"/ledger/proof/inclusion?index={index}").get_json()
        assert body["size"] == checkpoint.size
        assert body["root"] == checkpoint.root.hex()
        merkle.verify_inclusion(
            index,
            body["size"],
            bytes.fromhex(body["leaf_hash"]),
            [bytes.fromhex(h) for h in body["hashes"]],
            checkpoint.root,
        )
    older = client.get("/ledger/proof/inclusion?index=2&size=6").get_json()
    assert (
        older["root"]
        == merkle.MemoryTree([ledger_log.entry(i).data for i in range(6)]).root().hex()
    )


def test_consistency_proof_verifies(client: FlaskClient, ledger_log: Log) -> None:
    body = client.get("/ledger/proof/consistency?first=3").get_json()
    size = ledger_log.latest_checkpoint().size
    assert body["second"] == size
    merkle.verify_consistency(
        3,
        size,
        bytes.fromhex(body["first_root"]),
        bytes.fromhex(body["second_root"]),
        [bytes.fromhex(h) for h in body["hashes"]],
    )


def test_subject_chain_with_a_percent_encoded_id_and_pages(client: FlaskClient) -> None:
    subject = "lot:08930000000019/NH-2026-001"
    path = "/ledger/subjects/" + urllib.parse.quote(subject, safe="") + "/chain?limit=4"
    body = client.get(path).get_json()
    assert body["subject"] == subject
    assert body["length"] == 11
    assert [e["seq"] for e in body["entries"]] == [0, 1, 2, 3]
    assert body["entries"][0]["prev"] is None
    assert body["entries"][1]["prev"] == body["entries"][0]["leaf_hash"]
    seen = [e["index"] for e in body["entries"]]
    while body["next"]:
        body = client.get(body["next"]).get_json()
        seen += [e["index"] for e in body["entries"]]
    assert len(seen) == 11
    assert body["head"]["index"] == seen[-1]


def test_tiles_match_the_ledger_and_are_immutable(client: FlaskClient, ledger_log: Log) -> None:
    size = ledger_log.latest_checkpoint().size
    response = client.get("/ledger/tile/0/000")
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.data == ledger_log.tile(0, 0)
    leaves = [merkle.leaf_hash(ledger_log.entry(i).data) for i in range(4)]
    assert response.data == b"".join(leaves)
    width = size % 4
    if width:
        partial = client.get(f"/ledger/tile/0/{size // 4:03d}.p/{width}")
        assert len(partial.data) == 32 * width
    bundle = client.get("/ledger/tile/entries/000").data
    assert bundle[2 : 2 + int.from_bytes(bundle[:2], "big")] == ledger_log.entry(0).data


def test_method_not_allowed_names_the_allowed_methods(client: FlaskClient) -> None:
    response = client.post("/ledger/checkpoint")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.get_json()["code"] == "method_not_allowed"


def test_errors_speak_vietnamese_first(client: FlaskClient) -> None:
    default = client.get("/ledger/entries/abc").get_json()
    assert default["message"] == "Yêu cầu chứa dữ liệu không hợp lệ."
    assert default["errors"]["index"] == ["'abc' không phải số nguyên."]
    english = client.get("/ledger/entries/abc", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert english.get_json()["errors"]["index"] == ["'abc' is not a whole number."]
    chosen = client.get("/ledger/entries/abc?lang=vi", headers={"Accept-Language": "en"})
    assert chosen.get_json()["message"] == "Yêu cầu chứa dữ liệu không hợp lệ."


def test_home_page_in_both_languages(client: FlaskClient, ledger_log: Log) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "Sổ cái truy xuất nguồn gốc nông sản Hưng Yên" in page
    assert ledger_log.active_log_key().verifier.fingerprint in page
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "The traceability ledger of Hưng Yên farm products" in english
    # The choice sticks (a cookie) until another is made.
    missing = client.get("/nowhere", headers={"Accept": "text/html"})
    assert missing.status_code == 404
    assert "There is nothing at this address." in missing.get_data(as_text=True)
    again = client.get("/nowhere?lang=vi", headers={"Accept": "text/html"})
    assert "Không có gì tại địa chỉ này." in again.get_data(as_text=True)


def test_an_unexpected_failure_is_a_clean_500(app, client: FlaskClient, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def explode(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("database on fire: secret detail")

    monkeypatch.setattr(Log, "trust_note", explode)
    response = client.get("/ledger/trust")
    assert response.status_code == 500
    body = response.get_json()
    assert body["code"] == "internal_error"
    assert "secret detail" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_appends_after_reads_are_visible(client: FlaskClient, ledger_log: Log) -> None:
    appended = ledger_log.append(simple_event("flock:late"))
    assert client.get(f"/ledger/entries/{appended.index}").status_code == 200
