"""Label signatures against the committed vectors, with their negatives, and the URL rules."""

from __future__ import annotations

import json

import pytest

from labels import errors
from labels.authenticity import verify_label_url
from labels.digital_link import (
    MAX_LABEL_URL_BYTES,
    label_url,
    longest_url_bytes,
    parse_label_url,
)
from labels.signature import (
    LabelId,
    decode_signature,
    encode_signature,
    label_key_name,
    sign_label,
    signed_message,
)
from ledger.tlog.key_registry import parse_trust_list
from ledger.tlog.note import Verifier, open_note
from tests.labels.vectors import generate

VECTORS = json.loads(generate.PATH.read_text(encoding="utf-8"))
VERDICTS = {
    cls.verdict: cls
    for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, errors.LabelError)
}


def trusted_keys() -> list:
    log_key = Verifier.parse(VECTORS["log_key"]["vkey"])
    note = open_note(VECTORS["trust_note"].encode(), [log_key])
    origin, keys = parse_trust_list(note.text)
    assert origin == VECTORS["origin"]
    return keys


def test_the_committed_vectors_are_what_the_generator_makes() -> None:
    assert generate.PATH.read_text(encoding="utf-8") == generate.render()


def test_every_verdict_of_the_vectors_is_an_error_class() -> None:
    expected = {case["expect"] for case in VECTORS["cases"]} - {"valid"}
    assert expected <= set(VERDICTS)
    # Each negative kind the format promises has a case.
    assert {"bad_signature", "unknown_key", "key_revoked", "out_of_scope", "malformed"} <= expected


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_vectors(case: dict) -> None:
    keys = trusted_keys()
    if case["expect"] == "valid":
        verified = verify_label_url(case["url"], VECTORS["origin"], keys)
        assert verified.key.organisation == case.get("organisation", verified.key.organisation)
        if "signed_message" in case:
            assert (
                signed_message(VECTORS["origin"], verified.url.label).decode()
                == case["signed_message"]
            )
    else:
        with pytest.raises(VERDICTS[case["expect"]]):
            verify_label_url(case["url"], VECTORS["origin"], keys)


def test_a_flipped_bit_anywhere_in_the_signature_fails() -> None:
    keys = trusted_keys()
    happy = parse_label_url(VECTORS["cases"][0]["url"])
    assert happy.signature is not None
    key_id, signature = decode_signature(happy.signature)
    for byte in range(0, 64, 7):
        for bit in (0, 7):
            mutated = bytearray(signature)
            mutated[byte] ^= 1 << bit
            url = label_url(happy.base, happy.label, encode_signature(key_id, bytes(mutated)))
            with pytest.raises(errors.LabelSignatureError):
                verify_label_url(url, VECTORS["origin"], keys)


def test_signatures_are_deterministic_from_the_seed() -> None:
    happy = VECTORS["cases"][0]
    parsed = parse_label_url(happy["url"])
    name = label_key_name(VECTORS["origin"], happy["organisation"])
    signer = generate._signer("packhouse", name)[1]
    assert sign_label(signer, VECTORS["origin"], parsed.label) == parsed.signature


def test_issued_at_decides_for_revoked_and_retired_keys() -> None:
    keys = trusted_keys()
    by_status = {k.status: k for k in keys if k.role == "label" and k.status != "active"}
    revoked, retired = by_status["revoked"], by_status["retired"]
    label = LabelId(generate.GTIN, "L1", "7")
    cases = {c["name"]: c for c in VECTORS["cases"]}
    for key, name in ((revoked, "revoked"), (retired, "retired")):
        signer = generate._signer(name, key.verifier.name)[1]
        url = label_url("https://h.example", label, sign_label(signer, VECTORS["origin"], label))
        # Issued while the key was valid: genuine, whatever happened to the key later.
        verify_label_url(url, VECTORS["origin"], keys, issued_at=key.valid_from)
        assert key.valid_until is not None
        with pytest.raises(
            errors.LabelKeyRevokedError if key is revoked else errors.LabelKeyNotValidError
        ):
            verify_label_url(url, VECTORS["origin"], keys, issued_at=key.valid_until)
        with pytest.raises(errors.LabelKeyNotValidError):
            verify_label_url(url, VECTORS["origin"], keys, issued_at=key.valid_from - 1)
    assert cases["revoked key"]["expect"] == "key_revoked"


def test_label_urls_fit_a_version_9_qr_code() -> None:
    label = LabelId(generate.GTIN, "A" * 20, "9" * 20)
    signature = "A" * 91
    with pytest.raises(errors.LabelTooLongError) as refused:
        label_url("https://trace.hungyen.example", label, signature)
    assert refused.value.params["limit"] == MAX_LABEL_URL_BYTES
    fitting = label_url("https://t.example", label._replace(lot="A" * 12), signature)
    assert len(fitting.encode()) <= MAX_LABEL_URL_BYTES
    assert longest_url_bytes("https://t.example", "A" * 12, 20) == len(fitting.encode())


@pytest.mark.parametrize(
    ("label", "field"),
    [
        (LabelId("8938888000022", "L", "1"), "GTIN"),
        (LabelId(generate.GTIN, "", "1"), "lot"),
        (LabelId(generate.GTIN, "lô 1", "1"), "lot"),
        (LabelId(generate.GTIN, "A" * 21, "1"), "lot"),
        (LabelId(generate.GTIN, "L", "01"), "serial"),
        (LabelId(generate.GTIN, "L", "1" * 21), "serial"),
        (LabelId(generate.GTIN, "L", "12a"), "serial"),
    ],
)
def test_malformed_label_values_are_refused_naming_the_part(label: LabelId, field: str) -> None:
    with pytest.raises(errors.MalformedLabelError, match=field):
        label_url("https://t.example", label, "A" * 91)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://t.example/01/08938888000022/10/L/21/1?s=x",
        "https://t.example/01/08938888000022/10/L?s=x",
        "https://t.example/01/08938888000022/21/1/10/L?s=x",
        "https://t.example/01/08938888000022/10/%FF/21/1",
        "https://t.example/00/08938888000022/10/L/21/1",
        "https://t.example/01/8938888000022/10/L/21/1",  # a GTIN-13: signed labels show 14
        "https://t.example/01/08938888000022/10/L/21/%31",  # an encoded serial
        "https://t.example/01/%308938888000022/10/L/21/1",
        "https://t.example/01/08938888000022/10/L%zz/21/1",  # a broken escape
    ],
)
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(errors.MalformedLabelError):
        parse_label_url(url)


def test_a_path_prefix_before_the_primary_key_is_kept_in_the_base() -> None:
    label = LabelId(generate.GTIN, "L/1", "5")
    url = label_url("https://t.example/dl", label, "A" * 91)
    parsed = parse_label_url(url)
    assert parsed.base == "https://t.example/dl"
    assert parsed.label == label
