"""Signed notes and checkpoints against the C2SP and Go vectors, with negatives."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.tlog import errors
from ledger.tlog.checkpoint import Checkpoint, parse_checkpoint
from ledger.tlog.errors import MalformedCheckpointError, MalformedNoteError, UnverifiedNoteError
from ledger.tlog.merkle import EMPTY_ROOT
from ledger.tlog.note import Signer, Verifier, open_note, parse_note, sign_note

VECTORS = json.loads((Path(__file__).parent / "vectors" / "note.json").read_text())


@pytest.mark.parametrize("case", VECTORS["verify"], ids=lambda c: c["name"])
def test_verify_vectors(case: dict) -> None:
    verifier = Verifier.parse(case["vkey"])
    if case["valid"]:
        note = open_note(case["note"].encode(), [verifier])
        assert note.text == "This is an example message.\n"
        assert [s.name for s in note.verified] == ["example.com/foo"]
    else:
        with pytest.raises(getattr(errors, case["error"])):
            open_note(case["note"].encode(), [verifier])


@pytest.mark.parametrize("case", VECTORS["sign"], ids=lambda c: c["name"])
def test_sign_vectors(case: dict) -> None:
    signer = Signer.parse(case["skey"])
    assert signer.signature_line(case["text"]) == case["signature_line"]
    note = sign_note(case["text"], [signer])
    assert open_note(note, [signer.verifier()]).text == case["text"]


@pytest.mark.parametrize("case", VECTORS["bad_vkeys"], ids=lambda c: c["name"])
def test_bad_verifier_keys_are_refused(case: dict) -> None:
    with pytest.raises(MalformedNoteError):
        Verifier.parse(case["vkey"])


def test_verifier_key_round_trip_with_plus_in_base64() -> None:
    # The C2SP key's base64 has no '+', PeterNeumann's signer key does: split on the first only.
    signer = Signer.parse(VECTORS["sign"][0]["skey"])
    vkey = signer.verifier().vkey
    assert Verifier.parse(vkey) == signer.verifier()


def test_unknown_signatures_are_ignored_but_a_known_bad_one_rejects() -> None:
    ours = Signer.from_private_key("log.example/a", Ed25519PrivateKey.generate())
    theirs = Signer.from_private_key("witness.example/b", Ed25519PrivateKey.generate())
    note = sign_note("hello\n", [ours, theirs])
    opened = open_note(note, [ours.verifier()])
    assert [s.name for s in opened.verified] == ["log.example/a"]
    assert [s.name for s in opened.unverified] == ["witness.example/b"]
    with pytest.raises(UnverifiedNoteError):
        open_note(
            note,
            [Signer.from_private_key("log.example/a", Ed25519PrivateKey.generate()).verifier()],
        )
    # Same name and key ID as a known key but another key: the signature must fail, not be ignored.
    impostor = Signer(ours.name, ours.key_id, Ed25519PrivateKey.generate())
    with pytest.raises(errors.InvalidSignatureError):
        open_note(sign_note("hello\n", [impostor]), [ours.verifier()])


@pytest.mark.parametrize(
    "note",
    [
        b"no newline\n\n",
        b"text\n\n\xe2\x80\x94 name AAAA\n",  # signature too short
        b"text\n\n- name AAAAAAAAAAAA\n",  # hyphen instead of em dash
        b"text\n\n\xe2\x80\x94 na+me AAAAAAAAAAA=\n",  # '+' in the key name
        b"\xff\xfe\n\n",
        b"text\n\n\xe2\x80\x94 name AAAAAAAAAAA=",  # no final newline
    ],
)
def test_malformed_notes(note: bytes) -> None:
    with pytest.raises(MalformedNoteError):
        parse_note(note)


def test_checkpoint_body_round_trip() -> None:
    checkpoint = Checkpoint("trace.hungyen.example/ledger", 42, EMPTY_ROOT, ("extension",))
    body = checkpoint.body()
    assert body == (
        "trace.hungyen.example/ledger\n42\n"
        + base64.b64encode(EMPTY_ROOT).decode()
        + "\nextension\n"
    )
    assert parse_checkpoint(body) == checkpoint


@pytest.mark.parametrize(
    "body",
    [
        "origin\n42\n",
        "\n42\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "origin\n042\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "origin\n-1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "origin\n42\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hS\n",
        "origin\n42\n!!!\n",
        "origin\n42\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        "origin\n42\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n",
    ],
)
def test_malformed_checkpoints(body: str) -> None:
    with pytest.raises(MalformedCheckpointError):
        parse_checkpoint(body)
