"""C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 signatures.

A note is a text ending in a newline, a blank line, and one or more lines
``— <key name> base64(key ID || signature)``. Signatures by unknown keys are ignored, a failing
signature by a known key rejects the whole note, and a note with no verified signature by a known
key is rejected: :func:`open_note` raises in both cases.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.common.messages import N_, Message
from ledger.tlog.errors import InvalidSignatureError, MalformedNoteError, UnverifiedNoteError

ED25519 = 0x01
SIGNATURE_PREFIX = "— "
#: Verifiers must accept at least 16 signatures; beyond this many the note is refused.
MAX_SIGNATURES = 100
_NAME_FORBIDDEN = re.compile(r"[\s+]")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


def key_id(name: str, public_key: bytes, signature_type: int = ED25519) -> int:
    """Key ID: the first four bytes of SHA-256(name || 0x0A || type || public key), big-endian."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def check_key_name(name: str) -> None:
    if not name or _NAME_FORBIDDEN.search(name):
        raise MalformedNoteError(
            detail=Message(N_("key name {name!r} is empty or contains a space or '+'"), name=name)
        )


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise MalformedNoteError(
            detail=Message(N_("{what} is not valid base64"), what=what)
        ) from None


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    """A trusted public key: the (name, key ID) pair selects which signature lines it checks."""

    name: str
    key_id: int
    public_key: bytes

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes) -> Verifier:
        check_key_name(name)
        if len(public_key) != 32:
            raise MalformedNoteError(detail=Message(N_("an Ed25519 public key is 32 bytes")))
        return cls(name, key_id(name, public_key), public_key)

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        """Parse ``<name>+<hex key ID>+<base64(0x01 || public key)>``.

        Only the first two ``+`` separate fields: base64 may itself contain ``+``.
        """
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
            raise MalformedNoteError(
                detail=Message(N_("verifier key {vkey!r} is not name+keyid+key"), vkey=vkey)
            )
        name, hex_id, encoded = parts
        raw = _b64decode(encoded, "the verifier key")
        if len(raw) != 33 or raw[0] != ED25519:
            raise MalformedNoteError(
                detail=Message(N_("verifier key {vkey!r} is not an Ed25519 key"), vkey=vkey)
            )
        verifier = cls.from_public_key(name, raw[1:])
        if verifier.key_id != int(hex_id, 16):
            raise MalformedNoteError(
                detail=Message(N_("verifier key {vkey!r} has a wrong key ID"), vkey=vkey)
            )
        return verifier

    @property
    def vkey(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id:08x}+{encoded}"

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the raw public key, for comparing with what the operator publishes."""
        return hashlib.sha256(self.public_key).hexdigest()

    def verify(self, message: bytes, signature: bytes) -> None:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            raise InvalidSignatureError(name=self.name, key_id=f"{self.key_id:08x}") from None


@dataclass(frozen=True)
class Signer:
    name: str
    key_id: int
    private_key: Ed25519PrivateKey

    @classmethod
    def from_private_key(cls, name: str, private_key: Ed25519PrivateKey) -> Signer:
        check_key_name(name)
        return cls(name, key_id(name, _raw_public(private_key.public_key())), private_key)

    @classmethod
    def parse(cls, skey: str) -> Signer:
        """Parse a Go-style ``PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>``."""
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise MalformedNoteError(detail=Message(N_("not a PRIVATE+KEY signer key")))
        _, _, name, hex_id, encoded = parts
        raw = _b64decode(encoded, "the signer key")
        if len(raw) != 33 or raw[0] != ED25519:
            raise MalformedNoteError(detail=Message(N_("the signer key is not an Ed25519 key")))
        signer = cls.from_private_key(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if f"{signer.key_id:08x}" != hex_id:
            raise MalformedNoteError(detail=Message(N_("the signer key has a wrong key ID")))
        return signer

    def verifier(self) -> Verifier:
        return Verifier(self.name, self.key_id, _raw_public(self.private_key.public_key()))

    def signature_line(self, text: str) -> str:
        signature = self.private_key.sign(text.encode())
        payload = self.key_id.to_bytes(4, "big") + signature
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(payload).decode()}\n"


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: int
    signature: bytes

    @property
    def line(self) -> str:
        payload = base64.b64encode(self.key_id.to_bytes(4, "big") + self.signature).decode()
        return f"{SIGNATURE_PREFIX}{self.name} {payload}\n"


@dataclass(frozen=True)
class Note:
    text: str
    verified: tuple[Signature, ...]
    unverified: tuple[Signature, ...]


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise MalformedNoteError(detail=Message(N_("the text does not end with a newline")))
    if _CONTROL.search(text):
        raise MalformedNoteError(detail=Message(N_("the text contains a control character")))


def sign_note(text: str, signers: Iterable[Signer]) -> bytes:
    """Sign ``text`` with every signer; the result is the note's exact bytes."""
    _check_text(text)
    lines = [signer.signature_line(text) for signer in signers]
    if not lines:
        raise ValueError("a note needs at least one signer")
    return (text + "\n" + "".join(lines)).encode()


def parse_note(note: bytes) -> tuple[str, list[Signature]]:
    """Split a note into its text and signatures without verifying anything."""
    try:
        decoded = note.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedNoteError(detail=Message(N_("the note is not valid UTF-8"))) from None
    if _CONTROL.search(decoded):
        raise MalformedNoteError(detail=Message(N_("the note contains a control character")))
    split = decoded.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError(detail=Message(N_("the note has no signature block")))
    text, block = decoded[: split + 1], decoded[split + 2 :]
    if not block.endswith("\n"):
        raise MalformedNoteError(
            detail=Message(N_("the signature block does not end in a newline"))
        )
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(
            detail=Message(N_("more than {limit} signatures"), limit=MAX_SIGNATURES)
        )
    signatures = []
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise MalformedNoteError(
                detail=Message(N_("a signature line does not start with '— '"))
            )
        name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if not space or " " in encoded:
            raise MalformedNoteError(
                detail=Message(N_("a signature line is not '— name signature'"))
            )
        check_key_name(name)
        raw = _b64decode(encoded, "a signature")
        if len(raw) < 5:
            raise MalformedNoteError(detail=Message(N_("a signature is too short")))
        signatures.append(Signature(name, int.from_bytes(raw[:4], "big"), raw[4:]))
    return text, signatures


def open_note(note: bytes, verifiers: Iterable[Verifier]) -> Note:
    """Verify a note against trusted keys; return its text and which signatures verified."""
    text, signatures = parse_note(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    verified: list[Signature] = []
    unverified: list[Signature] = []
    message = text.encode()
    for signature in signatures:
        verifier = known.get((signature.name, signature.key_id))
        if verifier is None:
            unverified.append(signature)
            continue
        verifier.verify(message, signature.signature)
        verified.append(signature)
    if not verified:
        names = ", ".join(f"{s.name}+{s.key_id:08x}" for s in signatures)
        raise UnverifiedNoteError(detail=Message(N_("signed only by {names}"), names=names))
    return Note(text, tuple(verified), tuple(unverified))
