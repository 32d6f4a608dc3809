#!/usr/bin/env python3
"""Verify an exported Hưng Yên Trace ledger bundle offline.

Needs only the Python standard library and ``cryptography``; it imports nothing from the project
and touches no database, so an auditor can read every line of what they run.

    python scripts/verify_bundle.py BUNDLE --log-key VKEY [--known-checkpoint FILE]...
                                    [--disclosure FILE]

BUNDLE is a directory or a tar archive written by ``flask ledger export``. The log key is the one
the auditor pinned (published by the operator), never one taken from the bundle: the bundle's
trust list must be signed by it, and only keys that list vouches for may sign checkpoints, each
within its range of ledger positions. A known checkpoint (one the auditor saw earlier) must be
consistent with the bundle, which detects a forked or rolled-back history.

Checks: every entry's leaf hash against the tiles, every tile, the root of every checkpoint, every
signature, every subject's hash chain (``prev`` links), and, given disclosures (JSON Lines of
``{"index", "field", "value", "salt"}``), every disclosed private value against its commitment.
Exit status 0 and ``OK: …`` on success; 1 and ``FAILED: …`` naming the first problem.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
import tarfile
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ENTRY_PREFIX = b"hyt-ledger/event/v1\n"
ROTATION_TYPE = "ledger.log_key_rotated"
LABEL_KEY_REGISTERED = "ledger.label_key_registered"
LABEL_KEY_ENDED = "ledger.label_key_ended"
LABEL_ISSUE = "label.issue"
COMMITMENT_PREFIX = b"hyt-ledger/private/v1\n"
TRUST_HEADER = "hyt-ledger/trust/v1"
EMPTY_ROOT = hashlib.sha256(b"").digest()


class BundleError(Exception):
    """The bundle failed a check; the message says which and why."""


# --- reading the bundle ---------------------------------------------------------------------------


class Bundle:
    def __init__(self, path: Path) -> None:
        self._directory: Path | None = None
        self._tar: tarfile.TarFile | None = None
        self._members: dict[str, tarfile.TarInfo] = {}
        if path.is_dir():
            self._directory = path
        elif path.is_file():
            self._tar = tarfile.open(path)  # noqa: SIM115 - lives as long as the bundle
            self._members = {m.name: m for m in self._tar.getmembers() if m.isfile()}
        else:
            raise BundleError(f"{path} is neither a directory nor a tar archive")

    def read(self, name: str) -> bytes | None:
        if self._directory is not None:
            path = self._directory / name
            return path.read_bytes() if path.is_file() else None
        member = self._members.get(name)
        if member is None or self._tar is None:
            return None
        handle = self._tar.extractfile(member)
        return handle.read() if handle else None

    def names(self, prefix: str) -> list[str]:
        if self._directory is not None:
            base = self._directory / prefix
            if not base.is_dir():
                return []
            return sorted(
                str(p.relative_to(self._directory)) for p in base.rglob("*") if p.is_file()
            )
        return sorted(name for name in self._members if name.startswith(prefix + "/"))

    def require(self, name: str) -> bytes:
        data = self.read(name)
        if data is None:
            raise BundleError(f"the bundle has no {name}")
        return data


def encode_index(index: int) -> str:
    digits = str(index)
    digits = digits.zfill(-(-len(digits) // 3) * 3)
    parts = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + p for p in parts[:-1]), parts[-1]])


def tile_name(level: int | str, index: int, width: int | None = None) -> str:
    return f"tile/{level}/{encode_index(index)}" + (f".p/{width}" if width else "")


# --- signed notes ---------------------------------------------------------------------------------


class Key:
    def __init__(self, name: str, key_id: int, public: bytes, vkey: str) -> None:
        self.name, self.key_id, self.public, self.vkey = name, key_id, public, vkey

    @classmethod
    def parse(cls, vkey: str) -> Key:
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
            raise BundleError(f"{vkey!r} is not a verifier key name+keyid+key")
        try:
            raw = base64.b64decode(parts[2], validate=True)
        except (binascii.Error, ValueError):
            raise BundleError(f"{vkey!r} is not a verifier key (bad base64)") from None
        if len(raw) != 33 or raw[0] != 1:
            raise BundleError(f"{vkey!r} is not an Ed25519 verifier key")
        key = cls(parts[0], int(parts[1], 16), raw[1:], vkey.strip())
        computed = hashlib.sha256(parts[0].encode() + b"\n\x01" + raw[1:]).digest()[:4]
        if int.from_bytes(computed, "big") != key.key_id:
            raise BundleError(f"{vkey!r} has a key ID that does not match its key")
        return key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Key) and (self.name, self.key_id, self.public) == (
            other.name,
            other.key_id,
            other.public,
        )

    def __hash__(self) -> int:
        return hash((self.name, self.key_id, self.public))

    def label(self) -> str:
        return f"{self.name}+{self.key_id:08x}"


def open_note(note: bytes, keys: list[Key], what: str) -> tuple[str, set[Key]]:
    """The note's text and the keys whose signatures verified; unknown keys are ignored, a
    failing signature by a known key rejects the note, and so does having none by a known key."""
    try:
        text_all = note.decode("utf-8")
    except UnicodeDecodeError:
        raise BundleError(f"{what}: not UTF-8") from None
    split = text_all.rfind("\n\n")
    if split < 0 or not text_all.endswith("\n"):
        raise BundleError(f"{what}: not a signed note")
    text, lines = text_all[: split + 1], text_all[split + 2 : -1].split("\n")
    known = {(k.name, k.key_id): k for k in keys}
    verified: set[Key] = set()
    seen = []
    for line in lines:
        if not line.startswith("— ") or line.count(" ") != 2:
            raise BundleError(f"{what}: malformed signature line")
        name, encoded = line[2:].split(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise BundleError(f"{what}: malformed signature") from None
        if len(raw) < 5:
            raise BundleError(f"{what}: malformed signature")
        key_id = int.from_bytes(raw[:4], "big")
        seen.append(f"{name}+{key_id:08x}")
        key = known.get((name, key_id))
        if key is None:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(key.public).verify(raw[4:], text.encode())
        except InvalidSignature:
            raise BundleError(f"{what}: the signature by {key.label()} does not verify") from None
        verified.add(key)
    if not verified:
        raise BundleError(
            f"{what}: no valid signature by a trusted key (signed by {', '.join(seen) or 'nobody'})"
        )
    return text, verified


def parse_checkpoint(text: str, what: str) -> tuple[str, int, bytes]:
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not re.fullmatch(r"0|[1-9][0-9]{0,18}", lines[1]):
        raise BundleError(f"{what}: not a checkpoint")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except (binascii.Error, ValueError):
        raise BundleError(f"{what}: the root is not base64") from None
    if len(root) != 32:
        raise BundleError(f"{what}: the root is not 32 bytes")
    return lines[0], int(lines[1]), root


class TrustedKey:
    def __init__(
        self,
        key: Key,
        role: str,
        valid_from: int,
        valid_until: int | None,
        status: str,
        organisation: str | None = None,
        prefixes: tuple[str, ...] = (),
        retired_until: int | None = None,
    ) -> None:
        self.key, self.role, self.valid_from, self.valid_until = key, role, valid_from, valid_until
        self.status, self.organisation, self.prefixes = status, organisation, prefixes
        #: A label key revoked after its retirement: where the retirement ended it.
        self.retired_until = retired_until

    def first_end(self) -> tuple[int | None, bool]:
        """Where the key's first end put it, and whether that end was a revocation."""
        if self.retired_until is not None:
            return self.retired_until, False
        return self.valid_until, self.status == "revoked"

    def valid_at(self, size: int) -> bool:
        return self.valid_from <= size and (self.valid_until is None or size < self.valid_until)


def parse_trust(text: str) -> tuple[str, list[TrustedKey]]:
    lines = text[:-1].split("\n")
    if len(lines) < 2 or lines[0] != TRUST_HEADER or not lines[1].startswith("origin "):
        raise BundleError("trust: not a trust list")
    keys = []
    for line in lines[2:]:
        if not line.startswith("key "):
            continue
        tokens = dict(re.findall(r"([a-z_]+)=(\S+)", line))
        try:
            keys.append(
                TrustedKey(
                    Key.parse(tokens["vkey"]),
                    tokens["role"],
                    int(tokens["from"]),
                    int(tokens["until"]) if "until" in tokens else None,
                    tokens.get("status", "active"),
                    tokens.get("org"),
                    tuple(filter(None, tokens.get("prefixes", "").split(","))),
                    int(tokens["retired"]) if "retired" in tokens else None,
                )
            )
        except (KeyError, ValueError):
            raise BundleError(f"trust: bad line {line!r}") from None
    return lines[1][len("origin ") :], keys


def jcs(value: Any) -> bytes:
    """RFC 8785 canonical JSON for the ledger's values (text, integers, booleans, null, arrays,
    objects; the ledger never stores floats). Keys sort by UTF-16 code units, as RFC 8785 says."""
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda item: item[0].encode("utf-16-be"))
        return b"{" + b",".join(jcs(k) + b":" + jcs(v) for k, v in items) + b"}"
    if isinstance(value, list):
        return b"[" + b",".join(jcs(v) for v in value) + b"]"
    if isinstance(value, float):
        raise BundleError("a disclosed value contains a float; the ledger never stores floats")
    return json.dumps(value, ensure_ascii=False).encode()


def unverified_text(note: bytes) -> str:
    """The text of a note before its signatures are checked: only to pick the candidate keys."""
    decoded = note.decode("utf-8", "replace")
    return decoded[: decoded.rfind("\n\n") + 1]


# --- the Merkle tree ------------------------------------------------------------------------------


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class Tree:
    """Right edge of the tree (O(log n)), reporting complete subtrees to compare with tiles."""

    def __init__(self, on_subtree: Any) -> None:
        self.stack: list[bytes] = []
        self.size = 0
        self.on_subtree = on_subtree

    def append(self, leaf: bytes) -> None:
        n, level, value = self.size, 0, leaf
        while n & 1:
            value = node(self.stack.pop(), value)
            n, level = n >> 1, level + 1
            self.on_subtree(level, self.size >> level, value)
        self.stack.append(value)
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        value = self.stack[-1]
        for left in reversed(self.stack[:-1]):
            value = node(left, value)
        return value


# --- the checks -----------------------------------------------------------------------------------


class LogKeys:
    """The log keys of the trust list, and how trust passes from the pinned key to its successors.

    The trust list is read before it is authenticated, to know which key may sign which size;
    it is accepted only at the end, when a key trusted through the pin has signed it.
    """

    def __init__(self, trust_note: bytes, pinned: list[Key]) -> None:
        self.note = trust_note
        self.origin, listed = parse_trust(unverified_text(trust_note))
        self.keys = sorted((k for k in listed if k.role == "log"), key=lambda k: k.valid_from)
        if not self.keys or self.keys[0].valid_from != 0:
            raise BundleError("trust: the log's first key does not start at position 0")
        self.anchors = {k.key for k in self.keys if k.key in pinned}
        if not self.anchors:
            # Neither listed nor signing: report it as the trust list failing the pinned key.
            open_note(trust_note, pinned, "trust list (against the pinned log key)")
            raise BundleError("trust: the pinned log key is not in the bundle's trust list")
        pairs = list(zip(self.keys, self.keys[1:], strict=False))
        self.handovers = {new.valid_from: (old, new) for old, new in pairs}
        self.successor_from = {old.key: new.valid_from for old, new in pairs}
        self.signed_at: dict[int, set[Key]] = {}
        self.rotations: dict[int, tuple[str, str]] = {}
        self.warnings: list[str] = []

    def valid_at(self, size: int) -> list[Key]:
        return [k.key for k in self.keys if k.valid_at(size)]

    def revoked_window(self, size: int) -> list[Key]:
        return [
            k.key
            for k in self.keys
            if k.status == "revoked"
            and k.valid_until is not None
            and k.valid_until <= size < self.successor_from.get(k.key, -1)
        ]

    def open_checkpoint(self, note: bytes, what: str) -> tuple[int, bytes, set[Key]]:
        _, size, _ = parse_checkpoint(unverified_text(note), what)
        try:
            text, signers = open_note(note, self.valid_at(size), what)
        except BundleError:
            revoked = self.revoked_window(size)
            if not revoked:
                raise
            text, signers = open_note(note, revoked, what)
            self.warnings.append(
                f"{what} is signed only by a key revoked for size {size}; later checkpoints "
                "cover it"
            )
        origin, size, root = parse_checkpoint(text, what)
        if origin != self.origin:
            raise BundleError(f"{what}: origin {origin!r} is not the log's {self.origin!r}")
        self.signed_at.setdefault(size, set()).update(signers)
        return size, root, signers

    def trusted(self) -> set[Key]:
        trusted = set(self.anchors)
        for start, (old, new) in sorted(self.handovers.items()):
            rotation = self.rotations.get(start - 1)
            handed_over = {old.key, new.key} <= self.signed_at.get(start, set())
            if (
                old.key in trusted
                and old.status != "revoked"
                and rotation == (old.key.vkey, new.key.vkey)
                and handed_over
            ):
                trusted.add(new.key)
        return trusted

    def check_rotation(self, index: int, envelope: dict[str, Any]) -> None:
        """A rotation entry must state exactly what the trust list says about the two keys."""
        payload = envelope.get("payload")
        listed = self.handovers.get(index + 1)
        if envelope.get("type") != ROTATION_TYPE or not isinstance(payload, dict) or not listed:
            raise BundleError(f"entry {index}: a key rotation the trust list does not show")
        old, new = listed
        revoked_from = payload.get("old_key_revoked_from")
        expected_until = revoked_from if revoked_from is not None else index + 2
        if (
            payload.get("old_key") != old.key.vkey
            or payload.get("new_key") != new.key.vkey
            or payload.get("new_key_valid_from") != new.valid_from
            or old.valid_until != expected_until
            or (old.status == "revoked") != (revoked_from is not None)
        ):
            raise BundleError(f"entry {index}: the key rotation disagrees with the trust list")
        self.rotations[index] = (old.key.vkey, new.key.vkey)


class LabelKeys:
    """The label keys of the trust list, each checked against the entry that registered it and
    the entries that ended it: a retirement, and for a retired key a later revocation."""

    def __init__(self, listed: list[TrustedKey]) -> None:
        self.keys = {k.key.vkey: k for k in listed if k.role == "label"}
        self.seen: set[str] = set()
        self.ended: set[str] = set()
        self.revoked_later: set[str] = set()
        self.last_serial: dict[str, int] = {}
        #: Who holds each lot, replayed from the entries (see ``observe``).
        self.holders: dict[str, str] = {}

    def check(self, index: int, envelope: dict[str, Any]) -> None:
        payload = envelope.get("payload")
        if not isinstance(payload, dict) or payload.get("key") not in self.keys:
            raise BundleError(f"entry {index}: a label key the trust list does not show")
        key = self.keys[payload["key"]]
        if payload.get("organisation") != key.organisation:
            raise BundleError(f"entry {index}: the label key's organisation disagrees")
        if envelope.get("type") == LABEL_KEY_REGISTERED:
            if (
                payload.get("valid_from") != index + 1
                or key.valid_from != index + 1
                or tuple(payload.get("company_prefixes") or ()) != key.prefixes
            ):
                raise BundleError(f"entry {index}: the label key disagrees with the trust list")
            self.seen.add(key.key.vkey)
            replaced = payload.get("replaces")
            if replaced is not None:
                old = self.keys.get(replaced)
                if (
                    old is None
                    or old.organisation != key.organisation
                    or old.first_end() != (index + 1, False)
                ):
                    raise BundleError(f"entry {index}: the replaced label key disagrees")
                self.ended.add(replaced)
            return
        if "retired_until" in payload:
            # A retired key revoked later, from a position inside the range it was left.
            if (
                key.status != "revoked"
                or payload.get("revoked") is not True
                or payload.get("retired_until") != key.retired_until
                or payload.get("valid_until") != key.valid_until
                or key.valid_until is None
                or key.retired_until is None
                or not key.valid_from <= key.valid_until <= key.retired_until
                or key.key.vkey not in self.ended
            ):
                raise BundleError(
                    f"entry {index}: the revocation of a label key disagrees with the trust list"
                )
            self.revoked_later.add(key.key.vkey)
            return
        valid_until, revoked = key.first_end()
        if (
            payload.get("valid_until") != valid_until
            or payload.get("revoked") != revoked
            or valid_until is None
            # Retired from the next position; revoked from a position inside its range.
            or (not revoked and valid_until != index + 1)
            or (revoked and not key.valid_from <= valid_until <= index)
        ):
            raise BundleError(
                f"entry {index}: the end of a label key disagrees with the trust list"
            )
        self.ended.add(key.key.vkey)

    def check_issue(self, index: int, envelope: dict[str, Any]) -> None:
        """A label-issuing entry: the next serials of its GTIN, signed by a key of the issuing
        organisation that was registered and not yet ended when the entry was appended."""
        payload = envelope.get("payload")
        if not isinstance(payload, dict):
            raise BundleError(f"entry {index}: not a label issue")
        try:
            gtin, _, code = str(payload["lot"]).removeprefix("lot:").partition("/")
            first, last = int(payload["first_serial"]), int(payload["last_serial"])
            count = int(payload["count"])
        except (KeyError, TypeError, ValueError):
            raise BundleError(f"entry {index}: not a label issue") from None
        key = self.keys.get(str(payload.get("label_key")))
        if self.holders.get(str(payload["lot"])) != envelope.get("actor"):
            raise BundleError(f"entry {index}: the issuer did not hold the lot")
        if (
            not str(payload["lot"]).startswith("lot:")
            or not code
            or count != last - first + 1
            or first != self.last_serial.get(gtin, 0) + 1
        ):
            raise BundleError(f"entry {index}: the serials do not follow the GTIN's last ones")
        if (
            key is None
            or envelope.get("actor") != f"org:{key.organisation}"
            or key.key.vkey not in self.seen
            or key.key.vkey in self.ended
            or not any(gtin[1:].startswith(prefix) for prefix in key.prefixes)
        ):
            raise BundleError(
                f"entry {index}: the labels are not signed by the issuer's active label key"
            )
        self.last_serial[gtin] = last

    def observe(self, envelope: dict[str, Any]) -> None:
        """Custody as the entries hand it on: the entry that makes a lot (its ``output``), and
        an accepted receipt, make their recorder the lot's holder."""
        actor = envelope.get("actor")
        if not isinstance(actor, str):
            return
        payload = envelope.get("payload")
        received = (
            envelope.get("type") in ("receive", "retail_receive")
            and isinstance(payload, dict)
            and not payload.get("refused")
        )
        for subject in envelope.get("subjects") or ():
            lot = subject.get("id", "")
            if not lot.startswith("lot:"):
                continue
            if subject.get("role") == "output" or (received and subject.get("role") == "input"):
                self.holders[lot] = actor

    def check_all_seen(self, size: int) -> None:
        for vkey, key in self.keys.items():
            if key.valid_from <= size and vkey not in self.seen:
                raise BundleError(f"trust: label key {key.key.label()} has no registering entry")
            # A retirement's entry lies just before its end; a revocation's may lie later.
            retired_at, revoked = key.first_end()
            if (
                not revoked
                and retired_at is not None
                and retired_at <= size
                and vkey not in self.ended
            ):
                raise BundleError(f"trust: label key {key.key.label()} ends without an entry")


def verify(
    bundle: Bundle,
    pinned: list[Key],
    known: list[bytes],
    disclosures: list[dict[str, Any]],
) -> str:
    keys = LogKeys(bundle.require("trust"), pinned)
    label_keys = LabelKeys(parse_trust(unverified_text(keys.note))[1])
    size, root, latest_signers = keys.open_checkpoint(bundle.require("checkpoint"), "checkpoint")
    height_text = bundle.read("tile-height")
    height = 8
    if height_text is not None:
        if not re.fullmatch(rb"[1-8]\n?", height_text):
            raise BundleError("tile-height: must be a number from 1 to 8")
        height = int(height_text)
    capacity = 1 << height

    expected: dict[int, list[tuple[str, bytes]]] = {size: [("checkpoint", root)]}
    stored_checkpoints = 0
    for name in bundle.names("checkpoints"):
        cp_size, cp_root, _ = keys.open_checkpoint(bundle.require(name), name)
        if f"checkpoints/{encode_index(cp_size)}" != name:
            raise BundleError(f"{name}: the file name does not match its size {cp_size}")
        expected.setdefault(cp_size, []).append((name, cp_root))
        stored_checkpoints += 1
    for position, note in enumerate(known, 1):
        what = f"known checkpoint #{position}"
        text_size = parse_checkpoint(unverified_text(note), what)[1]
        text, _ = open_note(note, keys.valid_at(text_size) + pinned, what)
        found_origin, known_size, known_root = parse_checkpoint(text, what)
        if found_origin != keys.origin:
            raise BundleError(f"{what}: it is for log {found_origin!r}, not {keys.origin!r}")
        if known_size > size:
            raise BundleError(
                f"{what}: it has size {known_size} but the bundle ends at {size}: "
                "the log was rolled back or forked"
            )
        expected.setdefault(known_size, []).append((what + " (fork check)", known_root))

    def check_roots(tree_size: int, tree_root: bytes) -> None:
        for what, claimed in expected.pop(tree_size, []):
            if claimed != tree_root:
                fork = " — a forked history" if "fork" in what else ""
                raise BundleError(
                    f"{what}: size {tree_size} has root {claimed.hex()} but the bundle's "
                    f"entries give {tree_root.hex()}{fork}"
                )

    tiles: dict[int, tuple[int, bytes]] = {}

    def stored_hash(level: int, index: int) -> bytes:
        tile_level, (tile_index, position) = level // height, divmod(index, capacity)
        cached = tiles.get(tile_level)
        if cached is None or cached[0] != tile_index:
            count = size >> (tile_level * height)
            width = min(capacity, count - tile_index * capacity)
            name = tile_name(tile_level, tile_index, None if width == capacity else width)
            data = bundle.require(name)
            if len(data) != width * 32:
                raise BundleError(f"{name}: {len(data)} bytes, but the tile has {width} hashes")
            tiles[tile_level] = (tile_index, data)
            cached = tiles[tile_level]
        return cached[1][position * 32 : position * 32 + 32]

    def on_subtree(level: int, index: int, value: bytes) -> None:
        if level % height == 0 and stored_hash(level, index) != value:
            raise BundleError(
                f"tile {level // height}/{index >> height} does not match the entries"
            )

    tree = Tree(on_subtree)
    check_roots(0, tree.root())
    wanted: dict[int, list[dict[str, Any]]] = {}
    for disclosure in disclosures:
        wanted.setdefault(disclosure["index"], []).append(disclosure)
    chains: dict[str, str] = {}
    for bundle_index in range(-(-size // capacity)):
        width = min(capacity, size - bundle_index * capacity)
        name = tile_name("entries", bundle_index, None if width == capacity else width)
        data = bundle.require(name)
        offset = 0
        for _ in range(width):
            index = tree.size
            if offset + 2 > len(data):
                raise BundleError(f"{name}: truncated before entry {index}")
            length = int.from_bytes(data[offset : offset + 2], "big")
            entry = data[offset + 2 : offset + 2 + length]
            offset += 2 + length
            if len(entry) != length or not entry.startswith(ENTRY_PREFIX):
                raise BundleError(f"entry {index}: not a version 1 entry")
            leaf = hashlib.sha256(b"\x00" + entry).digest()
            if stored_hash(0, index) != leaf:
                raise BundleError(
                    f"entry {index}: its bytes hash to {leaf.hex()}, which is not the leaf "
                    "hash in the tiles"
                )
            envelope = parse_envelope(entry, index)
            for subject in envelope["subjects"]:
                previous = chains.get(subject["id"])
                if subject["prev"] != previous:
                    raise BundleError(
                        f"entry {index}: subject {subject['id']} names previous entry "
                        f"{subject['prev']} but its chain ends at {previous}"
                    )
                chains[subject["id"]] = leaf.hex()
            if envelope.get("actor") == "ledger":
                if envelope.get("type") in (LABEL_KEY_REGISTERED, LABEL_KEY_ENDED):
                    label_keys.check(index, envelope)
                else:
                    keys.check_rotation(index, envelope)
            elif envelope.get("type") == LABEL_ISSUE:
                label_keys.check_issue(index, envelope)
            label_keys.observe(envelope)
            if not isinstance(envelope.get("private") or {}, dict):
                raise BundleError(f"entry {index}: not an envelope")
            for disclosure in wanted.pop(index, []):
                check_disclosure(index, envelope, disclosure)
            tree.append(leaf)
            check_roots(tree.size, tree.root())
        if offset != len(data):
            raise BundleError(f"{name}: has bytes after its last entry")
    if wanted:
        raise BundleError(f"a disclosure names entry {min(wanted)}, which is not in the bundle")
    label_keys.check_all_seen(size)
    if expected:
        raise BundleError(f"checkpoint sizes {sorted(expected)} are not covered by the entries")
    missing = [
        start - 1 for start in keys.handovers if start <= size and start - 1 not in keys.rotations
    ]
    if missing:
        raise BundleError(f"entry {missing[0]}: the trust list shows a key rotation there")
    trusted = keys.trusted()
    # The trust list speaks for the present: a key trusted through the pin and valid at the
    # bundle's size must have signed it (an old key cannot rewrite what came after it).
    current = [k for k in keys.valid_at(size) if k in trusted]
    open_note(keys.note, current, "trust list (against the pinned log key)")
    if not latest_signers & trusted:
        raise BundleError(
            "checkpoint: the latest checkpoint is not signed by the pinned log key or by a key "
            "it handed over to"
        )
    summary = (
        f"OK: {size} entries, {stored_checkpoints} checkpoints and {len(chains)} subject chains "
        f"verified against the pinned log key; root {root.hex()}"
    )
    return "\n".join([*(f"warning: {w}" for w in keys.warnings), summary])


def parse_envelope(entry: bytes, index: int) -> dict[str, Any]:
    try:
        envelope = json.loads(entry[len(ENTRY_PREFIX) :])
        subjects = envelope["subjects"]
        if not isinstance(subjects, list) or not all(
            isinstance(s, dict) and isinstance(s.get("id"), str) and "prev" in s for s in subjects
        ):
            raise TypeError("subjects")
    except (ValueError, KeyError, TypeError):
        raise BundleError(f"entry {index}: not an envelope") from None
    if not isinstance(envelope, dict):
        raise BundleError(f"entry {index}: not an envelope")
    return envelope


def check_disclosure(index: int, envelope: dict[str, Any], disclosure: dict[str, Any]) -> None:
    field = disclosure.get("field")
    try:
        salt = bytes.fromhex(disclosure["salt"])
        value = jcs({"field": field, "value": disclosure["value"]})
    except (KeyError, TypeError, ValueError):
        raise BundleError(f"entry {index}: the disclosure of {field!r} is malformed") from None
    committed = (envelope.get("private") or {}).get(field)
    actual = hashlib.sha256(COMMITMENT_PREFIX + salt + value).hexdigest()
    if committed != actual:
        raise BundleError(
            f"entry {index}: the disclosed private value {field!r} does not match its commitment"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "bundle", type=Path, help="directory or tar archive from `flask ledger export`"
    )
    parser.add_argument(
        "--log-key",
        action="append",
        required=True,
        help="the pinned verifier key of the log (name+keyid+key); repeatable",
    )
    parser.add_argument(
        "--known-checkpoint",
        action="append",
        default=[],
        type=Path,
        help="a signed checkpoint seen earlier, to detect forks; repeatable",
    )
    parser.add_argument(
        "--disclosure", type=Path, help="JSON Lines of disclosed private values to check"
    )
    args = parser.parse_args(argv)
    try:
        pinned = [Key.parse(v) for v in args.log_key]
        known = [path.read_bytes() for path in args.known_checkpoint]
        disclosures = []
        if args.disclosure:
            for number, line in enumerate(args.disclosure.read_text().splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    disclosure = json.loads(line)
                    if not isinstance(disclosure, dict) or not isinstance(
                        disclosure.get("index"), int
                    ):
                        raise ValueError("not a disclosure")
                except ValueError:
                    raise BundleError(f"{args.disclosure}:{number}: not a disclosure") from None
                disclosures.append(disclosure)
        print(verify(Bundle(args.bundle), pinned, known, disclosures))
    except (BundleError, OSError, tarfile.TarError, UnicodeError) as error:
        print(f"FAILED: {error}")
        return 1
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError) as error:
        # Malformed input in a place no specific check covers: still a failure, never a crash.
        print(f"FAILED: the bundle is malformed ({type(error).__name__}: {error})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
