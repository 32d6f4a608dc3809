"""Build the label signature vectors (``labels.json``) from fixed seeds.

Run ``python -m tests.labels.vectors.generate`` to rewrite the file after a deliberate change of
the label format; a test checks that the committed file is exactly what this produces, so the
Python verifier, the page's JavaScript and ``scripts/verify_label.py`` all read one truth.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from biip.checksums import gs1_standard_check_digit
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from labels.digital_link import label_path
from labels.signature import (
    LabelId,
    decode_signature,
    encode_signature,
    label_key_name,
    sign_label,
    signed_message,
)
from ledger.tlog.key_registry import ROLE_LABEL, ROLE_LOG, KeyRecord, trust_list_text
from ledger.tlog.note import Signer, sign_note

ORIGIN = "trace.hungyen.example/ledger"
BASE = "https://trace.hungyen.example"
PATH = Path(__file__).with_name("labels.json")


def _seed(name: str) -> bytes:
    return hashlib.sha256(f"hyt label vector key {name}".encode()).digest()


def _signer(name: str, key_name: str) -> tuple[bytes, Signer]:
    seed = _seed(name)
    return seed, Signer.from_private_key(key_name, Ed25519PrivateKey.from_private_bytes(seed))


def _with_check_digit(body: str) -> str:
    return body + str(gs1_standard_check_digit(body))


PACKHOUSE = _with_check_digit("893888800010")  # signs for the cooperative's prefix
REVOKED_ORG = _with_check_digit("893888800020")  # its key leaked and was revoked
OTHER_BRAND = _with_check_digit("893000100010")  # may sign only its own prefix 8930001
RETIRED_ORG = _with_check_digit("893888800030")  # rotated: the old key still vouches
PREFIX = "8938888"
GTIN = _with_check_digit("0" + PREFIX + "00002")


def build() -> dict[str, Any]:
    log_seed, log_signer = _signer("log", ORIGIN)
    orgs = {
        "packhouse": (PACKHOUSE, [PREFIX], "active"),
        "revoked": (REVOKED_ORG, [PREFIX], "revoked"),
        "other_brand": (OTHER_BRAND, ["8930001"], "active"),
        "retired": (RETIRED_ORG, [PREFIX], "retired"),
    }
    records = [KeyRecord(1, ROLE_LOG, log_signer.verifier(), None, 0)]
    signers: dict[str, Signer] = {}
    label_keys = []
    for position, (name, (gln, prefixes, status)) in enumerate(orgs.items(), 2):
        seed, signer = _signer(name, label_key_name(ORIGIN, gln))
        signers[name] = signer
        ended = {"revoked": (position + 2, True), "retired": (position + 3, False)}.get(status)
        records.append(
            KeyRecord(
                position,
                ROLE_LABEL,
                signer.verifier(),
                gln,
                valid_from=position * 10,
                valid_until=ended[0] * 10 if ended else None,
                revoked=bool(ended and ended[1]),
                company_prefixes=tuple(prefixes),
            )
        )
        label_keys.append(
            {
                "name": name,
                "organisation": gln,
                "seed": seed.hex(),
                "vkey": signer.verifier().vkey,
                "company_prefixes": prefixes,
                "status": status,
            }
        )
    trust_note = sign_note(trust_list_text(ORIGIN, records), [log_signer]).decode()

    happy = LabelId(GTIN, "NL-2026-07-A", "1")
    cases: list[dict[str, Any]] = []

    def url(label: LabelId, s: str, query: str = "") -> str:
        return f"{BASE}{label_path(label)}?{query}s={s}"

    def add(name: str, link: str, expect: str, **extra: Any) -> None:
        cases.append({"name": name, "url": link, "expect": expect, **extra})

    s = sign_label(signers["packhouse"], ORIGIN, happy)
    add(
        "happy path",
        url(happy, s),
        "valid",
        organisation=PACKHOUSE,
        signed_message=signed_message(ORIGIN, happy).decode(),
    )
    key_id, signature = decode_signature(s)
    flipped = bytearray(signature)
    flipped[20] ^= 0x01
    add(
        "flipped bit in the signature",
        url(happy, encode_signature(key_id, bytes(flipped))),
        "bad_signature",
    )
    add(
        "flipped bit in the serial (1 -> 3)",
        url(happy._replace(serial="3"), s),
        "bad_signature",
    )
    add("lot case changed", url(happy._replace(lot=happy.lot.lower()), s), "bad_signature")
    add("extra query parameter after s", url(happy, s) + "&utm_source=zalo", "valid")
    add("extra query parameter before s", url(happy, s, "src=qr&"), "valid")
    wrong_id = sign_label(
        Signer(signers["packhouse"].name, 0x01020304, signers["packhouse"].private_key),
        ORIGIN,
        happy,
    )
    add("wrong key id", url(happy, wrong_id), "unknown_key")
    add(
        "signed for another ledger origin",
        url(happy, sign_label(signers["packhouse"], "other.example/ledger", happy)),
        "bad_signature",
    )
    add(
        "revoked key",
        url(happy, sign_label(signers["revoked"], ORIGIN, happy)),
        "key_revoked",
    )
    add(
        "company prefix out of scope",
        url(happy, sign_label(signers["other_brand"], ORIGIN, happy)),
        "out_of_scope",
    )
    add(
        "retired key still vouches for its labels",
        url(happy, sign_label(signers["retired"], ORIGIN, happy)),
        "valid",
        organisation=RETIRED_ORG,
    )
    encoded_lot = LabelId(GTIN, "HY/26:07", "20261234567890123456")
    add(
        "lot with percent-encoded characters, 20-digit serial",
        url(encoded_lot, sign_label(signers["packhouse"], ORIGIN, encoded_lot)),
        "valid",
        organisation=PACKHOUSE,
        signed_message=signed_message(ORIGIN, encoded_lot).decode(),
    )
    add("truncated signature", url(happy, s[:-1]), "malformed")
    add("no signature", f"{BASE}{label_path(happy)}", "malformed")
    add("signature twice", url(happy, s) + "&s=" + s, "malformed")
    add(
        "GTIN check digit wrong",
        url(happy._replace(gtin=GTIN[:-1] + str((int(GTIN[-1]) + 1) % 10)), s),
        "malformed",
    )
    return {
        "description": (
            "Signed QR label vectors: GS1 Digital Link URLs whose s parameter is "
            "base64url(key ID || Ed25519 signature) over 'hyt-label/v1\\n' + origin + "
            "'\\n(01)' + GTIN + '(10)' + lot + '(21)' + serial + '\\n'. Verify each URL "
            "against the trust note (signed by the log key) and compare the verdict."
        ),
        "origin": ORIGIN,
        "log_key": {"seed": log_seed.hex(), "vkey": log_signer.verifier().vkey},
        "label_keys": label_keys,
        "trust_note": trust_note,
        "cases": cases,
    }


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=1) + "\n"


if __name__ == "__main__":
    PATH.write_text(render(), encoding="utf-8")
