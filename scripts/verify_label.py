#!/usr/bin/env python3
"""Verify a Hưng Yên Trace QR label offline, against a trust list you pinned.

Needs only the Python standard library and ``cryptography`` (and ``verify_bundle.py`` beside
it, whose signed-note code it shares); it touches no server and no database.

    python scripts/verify_label.py URL --trust FILE [--log-key VKEY]

URL is what the QR code holds: ``https://<host>/01/<GTIN-14>/10/<lot>/21/<serial>?s=<sig>``.
FILE is the trust list as the ledger publishes it (``GET /ledger/trust``, a signed note). With
``--log-key`` (the log key the province publishes) the list must be signed by that key; without
it, by a log key the list itself names, whose fingerprint is printed for you to compare.

The label is genuine when ``s`` holds a known label key's ID and an Ed25519 signature over
``hyt-label/v1\\n<origin>\\n(01)<GTIN>(10)<lot>(21)<serial>\\n``, the key's organisation may sign
GTINs of that company prefix, and the key is not revoked. (Whether the serial was issued, to the
lot's holder, is for the ledger to say: the verification page shows it.)
Exit status 0 and ``OK: …``; 1 and ``FAILED (<verdict>): …``; 2 for unusable arguments.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import re
import sys
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

sys.path.insert(0, str(Path(__file__).resolve().parent))
from verify_bundle import (
    BundleError,
    Key,
    TrustedKey,
    open_note,
    parse_trust,
    unverified_text,
)

LABEL_CONTEXT = "hyt-label/v1\n"
SIGNATURE_CHARACTERS = 91  # base64url without padding of key ID (4) + signature (64)
CHARACTER_SET_82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}")


class LabelFailure(Exception):
    def __init__(self, verdict: str, reason: str) -> None:
        super().__init__(reason)
        self.verdict = verdict


def gs1_check_digit_ok(digits: str) -> bool:
    """GS1 mod-10: weights 3 and 1 alternate from the rightmost digit before the check digit."""
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def parse_label(url: str) -> tuple[str, str, str, str]:
    """GTIN-14, lot, serial (percent-decoded) and ``s`` of a label URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LabelFailure("malformed", "not an http(s) URL")
    segments = parts.path.split("/")
    if len(segments) < 7 or segments[-6] != "01" or segments[-4] != "10" or segments[-2] != "21":
        raise LabelFailure("malformed", "the path must end in /01/<GTIN>/10/<lot>/21/<serial>")
    gtin, serial = segments[-5], segments[-1]
    if not re.fullmatch(r"(?:[^%]|%[0-9A-Fa-f]{2})*", segments[-3]):
        raise LabelFailure("malformed", "the lot has a malformed percent escape")
    try:
        lot = unquote(segments[-3], errors="strict")
    except UnicodeDecodeError:
        raise LabelFailure("malformed", "the lot is not percent-encoded UTF-8") from None
    if not re.fullmatch(r"[0-9]{14}", gtin) or not gs1_check_digit_ok(gtin):
        raise LabelFailure("malformed", f"{gtin!r} is not a GTIN-14 with a valid check digit")
    if not CHARACTER_SET_82.fullmatch(lot):
        raise LabelFailure("malformed", f"lot {lot!r} is not 1-20 characters of GS1 set 82")
    if not re.fullmatch(r"0|[1-9][0-9]{0,19}", serial):
        raise LabelFailure("malformed", f"serial {serial!r} is not a decimal of at most 20 digits")
    signatures = [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k == "s"]
    if len(signatures) != 1:
        raise LabelFailure("malformed", "the label needs exactly one signature parameter s")
    return gtin, lot, serial, signatures[0]


def decode_signature(encoded: str) -> tuple[int, bytes]:
    if len(encoded) != SIGNATURE_CHARACTERS or not re.fullmatch(r"[A-Za-z0-9_-]+", encoded):
        raise LabelFailure("malformed", f"s must be {SIGNATURE_CHARACTERS} base64url characters")
    try:
        raw = base64.urlsafe_b64decode(encoded + "=")
    except (binascii.Error, ValueError):
        raise LabelFailure("malformed", "s is not base64url") from None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != encoded:
        raise LabelFailure("malformed", "s is not in canonical base64url")
    return int.from_bytes(raw[:4], "big"), raw[4:]


def trust_list(note: bytes, pinned: Key | None) -> tuple[str, list[TrustedKey], Key]:
    """The origin and keys of a trust list signed by the pinned log key (or one it names)."""
    origin, listed = parse_trust(unverified_text(note))
    if pinned is not None:
        candidates = [pinned]
    else:
        candidates = [k.key for k in listed if k.role == "log" and k.status == "active"]
    _, verified = open_note(note, candidates, "trust")
    return origin, listed, next(iter(verified))


def verify_label(url: str, origin: str, keys: list[TrustedKey]) -> TrustedKey:
    gtin, lot, serial, encoded = parse_label(url)
    key_id, signature = decode_signature(encoded)
    candidates = [
        k
        for k in keys
        if k.role == "label"
        and k.organisation
        and k.key.key_id == key_id
        and k.key.name == f"{origin}/label/{k.organisation}"
    ]
    if not candidates:
        raise LabelFailure("unknown_key", f"no label key with ID {key_id:08x} in the trust list")
    message = f"{LABEL_CONTEXT}{origin}\n(01){gtin}(10){lot}(21){serial}\n".encode()
    for key in candidates:
        try:
            Ed25519PublicKey.from_public_bytes(key.key.public).verify(signature, message)
        except InvalidSignature:
            continue
        break
    else:
        raise LabelFailure("bad_signature", "the signature does not match GTIN, lot and serial")
    if not any(gtin[1:].startswith(prefix) for prefix in key.prefixes):
        raise LabelFailure(
            "out_of_scope",
            f"{key.organisation} may sign company prefixes {','.join(key.prefixes) or '-'}, "
            f"not GTIN {gtin}",
        )
    if key.status == "revoked":
        raise LabelFailure("key_revoked", f"the key {key.key.label()} was revoked")
    return key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--trust", type=Path, required=True, help="the trust list (signed note)")
    parser.add_argument("--log-key", help="the log key the province publishes (vkey)")
    args = parser.parse_args(argv)
    try:
        note = args.trust.read_bytes()
    except OSError as error:
        print(f"FAILED (trust): cannot read {args.trust}: {error.strerror}")
        return 2
    try:
        pinned = Key.parse(args.log_key) if args.log_key else None
        origin, keys, signed_by = trust_list(note, pinned)
    except BundleError as error:
        print(f"FAILED (trust): {error}")
        return 1
    try:
        key = verify_label(args.url, origin, keys)
    except LabelFailure as failure:
        print(f"FAILED ({failure.verdict}): {failure}")
        return 1
    print(
        f"OK: label signed by {key.organisation} with key {key.key.label()} ({key.status}), "
        f"trust list of {origin} signed by {signed_by.label()}"
    )
    if pinned is None:
        fingerprint = hashlib.sha256(signed_by.public).hexdigest()
        print(f"Compare the log key's fingerprint with what the province publishes: {fingerprint}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
