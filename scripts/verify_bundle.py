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

A tar archive may name its members ``./checkpoint`` (``tar -C bundle -cf bundle.tar .``), not an
absolute path or one with ``..``. Every member's declared size is checked against what it can hold
(a tile ``width × 32`` bytes, an entry bundle ``width × (2 + 65,535)``, a checkpoint 64 KiB, the
trust list 16 MiB) before it is read, and all that is read against what the checkpoint's size
implies, so a small archive claiming a huge member is refused without reading it.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import bz2
import gzip
import hashlib
import io
import json
import lzma
import re
import sys
import tarfile
import zlib
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

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

# What each member can hold, so that its declared size is checked before it is read.
HASH_SIZE = 32
#: tlog-tiles entry bundles: each entry after its length as a big-endian uint16.
ENTRY_LENGTH_BYTES = 2
MAX_ENTRY_BYTES = 0xFFFF
#: The widest tile, at the largest tile height this verifier accepts (8).
MAX_TILE_WIDTH = 1 << 8
MAX_ENTRY_BUNDLE_BYTES = MAX_TILE_WIDTH * (ENTRY_LENGTH_BYTES + MAX_ENTRY_BYTES)
#: A checkpoint is an origin, a size, a root and perhaps a few extension lines, then at most
#: ``MAX_SIGNATURES`` signature lines of about 100 bytes: 64 KiB leaves room for long key names.
MAX_CHECKPOINT_BYTES = 64 * 1024
#: The trust list has a line of about 200 bytes per key (log keys and every organisation's label
#: keys): 16 MiB is some 80,000 keys. It is read before the checkpoint, so no size can bound it.
MAX_TRUST_BYTES = 16 * 1024 * 1024
#: ``tile-height``: one digit and a newline.
TILE_HEIGHT_BYTES = 2
#: No member of a bundle is larger than this: what a tar member may declare, whatever its name.
MAX_MEMBER_BYTES = max(MAX_ENTRY_BUNDLE_BYTES, MAX_TRUST_BYTES, MAX_CHECKPOINT_BYTES)

CHECKPOINT_LIMIT = "a checkpoint is a few lines and at most 100 signatures"
TRUST_LIMIT = "a trust list is a line per key"
MEMBER_LIMIT = "no member of a bundle is larger than a full entry bundle"


#: What a damaged compressed archive raises as it is read (a truncated gzip stream: EOFError).
DECOMPRESSION_ERRORS = (EOFError, zlib.error, lzma.LZMAError)


class BundleError(Exception):
    """The bundle failed a check; the message says which and why."""


class TooLargeError(BundleError):
    """A member declares more bytes than what it stands for can hold: refused unread."""

    def __init__(self, name: str, size: int, allowed: int, reason: str) -> None:
        super().__init__(
            f"{name} declares {size} bytes, but {reason}; at most {allowed} bytes are allowed"
        )


# --- reading the bundle ---------------------------------------------------------------------------


def check_size(name: str, size: int, allowed: int, reason: str) -> None:
    """Refuse a member by the size it declares, so that what it claims is never read to judge."""
    if size > allowed:
        raise TooLargeError(name, size, allowed, reason)


def read_file(path: Path, name: str, allowed: int, reason: str) -> bytes:
    """A file's bytes, its size checked before it is read: a sparse file can claim 2 GiB on no
    disk at all. It must then hold what it declared (at most one byte more is read to know)."""
    with path.open("rb") as handle:
        declared = path.stat().st_size
        check_size(name, declared, allowed, reason)
        data = handle.read(declared + 1)
    if len(data) != declared:
        raise BundleError(f"{name}: declared {declared} bytes but holds {len(data)}")
    return data


def member_path(name: str) -> str:
    """The bundle path a tar member stands for: ``./tile/0/000``, as ``tar -C bundle -cf b.tar
    .`` names it, is ``tile/0/000``. A member that is absolute or has a ``..`` part names a place
    outside the bundle; no exporter writes one, so the archive is refused rather than trusted to
    mean something by it."""
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if name.startswith("/") or ".." in parts:
        raise BundleError(f"{name!r}: a member name that points outside the bundle")
    return "/".join(parts)


#: A tar stream: the file itself, or what a decompressor reads from it.
Stream = io.BufferedIOBase | BinaryIO


class BoundedReads:
    """The tar stream as tarfile reads it, refusing any one read larger than a member can be.

    tarfile reads a PAX or GNU long-name header whole, by the size the header declares, before it
    returns the member it describes; without this a header claiming 2 GiB is 2 GiB of memory. Member
    data is read through :meth:`Bundle.read`, which asks for no more than the member may hold.
    """

    def __init__(self, stream: Stream) -> None:
        self.stream = stream

    def read(self, size: int) -> bytes:
        limit = MAX_MEMBER_BYTES + tarfile.BLOCKSIZE  # headers are read padded to whole blocks
        if size < 0 or size > limit:
            raise TooLargeError("a tar header", size, limit, MEMBER_LIMIT)
        return self.stream.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.stream.seek(offset, whence)

    def tell(self) -> int:
        return self.stream.tell()


def decompressed(raw: BinaryIO) -> Stream:
    """The tar stream inside a gzip, bzip2 or xz file (what tarfile itself reads), else the file."""
    magic = raw.read(6)
    raw.seek(0)
    if magic.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=raw)
    if magic.startswith(b"BZh"):
        return bz2.BZ2File(raw)
    if magic.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(raw)
    return raw


def open_tar(path: Path) -> tarfile.TarFile:
    """The archive, plain or compressed, with every read of its tar stream bounded."""
    stream = decompressed(path.open("rb"))  # open as long as the bundle is read
    return tarfile.open(fileobj=cast(IO[bytes], BoundedReads(stream)), mode="r:")


def index_tar(tar: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    """The archive's files by bundle path. Each member's declared size is checked as its header
    is read, before tarfile moves past its data: in a compressed archive that alone would mean
    inflating all of it, 2 GiB for a 2 MB ``.tar.gz``."""
    members: dict[str, tarfile.TarInfo] = {}
    for member in tar:  # one header at a time
        path = member_path(member.name)
        check_size(member.name, member.size, MAX_MEMBER_BYTES, MEMBER_LIMIT)
        if not member.isfile():
            continue
        if path in members:
            raise BundleError(f"{member.name!r}: the bundle holds {path} twice")
        members[path] = member
    return members


class Bundle:
    """The bundle's members, each no larger than what it stands for, and all that is read of them
    no more than :attr:`byte_limit` (what the checkpoint's size implies, once it is known)."""

    def __init__(self, path: Path) -> None:
        self._directory: Path | None = None
        self._tar: tarfile.TarFile | None = None
        self._members: dict[str, tarfile.TarInfo] = {}
        #: Until the checkpoint gives the size, only the trust list, the checkpoint and the tile
        #: height are read.
        self.byte_limit = MAX_TRUST_BYTES + MAX_CHECKPOINT_BYTES + TILE_HEIGHT_BYTES
        self.bytes_read = 0
        if path.is_dir():
            self._directory = path
        elif path.is_file():
            self._tar = open_tar(path)
            self._members = index_tar(self._tar)
        else:
            raise BundleError(f"{path} is neither a directory nor a tar archive")

    def read(self, name: str, allowed: int, reason: str) -> bytes | None:
        """The member's bytes, or None if there is none. Its declared size (the tar header's or
        the file system's) is checked against ``allowed`` and against what is left of the
        bundle's byte limit before a byte of it is read."""
        if self._directory is not None:
            path = self._directory / name
            if not path.is_file():
                return None
            declared = path.stat().st_size
            check_size(name, declared, allowed, reason)
            self._charge(name, declared)
            return read_file(path, name, allowed, reason)
        member = self._members.get(name)
        if member is None or self._tar is None:
            return None
        check_size(name, member.size, allowed, reason)
        self._charge(name, member.size)
        handle = self._tar.extractfile(member)
        return handle.read(member.size) if handle else None

    def _charge(self, name: str, size: int) -> None:
        if self.bytes_read + size > self.byte_limit:
            raise BundleError(
                f"{name}: its {size} bytes would take the bundle past the {self.byte_limit} "
                f"bytes it may hold ({self.bytes_read} read so far)"
            )
        self.bytes_read += size

    def names(self, prefix: str) -> list[str]:
        if self._directory is not None:
            base = self._directory / prefix
            if not base.is_dir():
                return []
            return sorted(
                str(p.relative_to(self._directory)) for p in base.rglob("*") if p.is_file()
            )
        return sorted(name for name in self._members if name.startswith(prefix + "/"))

    def require(self, name: str, allowed: int, reason: str) -> bytes:
        data = self.read(name, allowed, reason)
        if data is None:
            raise BundleError(f"the bundle has no {name}")
        return data


def bundle_byte_limit(size: int, height: int) -> int:
    """The most a bundle of ``size`` entries can hold, member by member: the trust list, the tile
    height, the latest checkpoint and at most one stored checkpoint per size from 0 to ``size``,
    the hash tiles (``size >> (level * height)`` hashes at each tile level) and the entry bundles
    (``size`` entries of at most 65,535 bytes, each after its 2-byte length)."""
    hashes, count = 0, size
    while count:
        hashes += count
        count >>= height
    return (
        MAX_TRUST_BYTES
        + TILE_HEIGHT_BYTES
        + (size + 2) * MAX_CHECKPOINT_BYTES
        + hashes * HASH_SIZE
        + size * (ENTRY_LENGTH_BYTES + MAX_ENTRY_BYTES)
    )


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


#: As ledger/tlog/note.py (and Go's note.Open): a note with more signature lines is malformed, and
#: is refused before any line is parsed or verified.
MAX_SIGNATURES = 100
SIGNATURE_PREFIX = "— "
CONTROL_CHARACTER = re.compile(r"[\x00-\x09\x0b-\x1f]")
NAME_FORBIDDEN = re.compile(r"[\s+]")


def split_note(note: bytes, what: str) -> tuple[str, list[str]]:
    """The note's text and its signature lines, by the rules of ledger/tlog/note.py's
    ``parse_note``: UTF-8 without control characters, the text then a blank line, at most
    ``MAX_SIGNATURES`` lines, the last ending in a newline. Counting comes first, so 200,000 copies
    of one valid line cost a split, not 200,000 verifications."""
    try:
        decoded = note.decode("utf-8")
    except UnicodeDecodeError:
        raise BundleError(f"{what}: not UTF-8") from None
    if CONTROL_CHARACTER.search(decoded):
        raise BundleError(f"{what}: the note contains a control character")
    split = decoded.rfind("\n\n")
    if split < 0:
        raise BundleError(f"{what}: not a signed note")
    block = decoded[split + 2 :]
    if not block.endswith("\n"):
        raise BundleError(f"{what}: the signature block does not end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise BundleError(f"{what}: more than {MAX_SIGNATURES} signatures")
    return decoded[: split + 1], lines


def parse_signature_line(line: str, what: str) -> tuple[str, int, bytes]:
    """Key name, key ID and signature of ``— <name> base64(key ID || signature)``. Every line
    must be one, whether or not its key is known: junk after a good signature rejects the note."""
    if not line.startswith(SIGNATURE_PREFIX):
        raise BundleError(f"{what}: a signature line does not start with '{SIGNATURE_PREFIX}'")
    name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not space or " " in encoded:
        raise BundleError(f"{what}: a signature line is not '{SIGNATURE_PREFIX}name signature'")
    if not name or NAME_FORBIDDEN.search(name):
        raise BundleError(f"{what}: key name {name!r} is empty or contains a space or '+'")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise BundleError(f"{what}: a signature is not valid base64") from None
    if len(raw) < 5:
        raise BundleError(f"{what}: a signature is too short")
    return name, int.from_bytes(raw[:4], "big"), raw[4:]


def open_note(note: bytes, keys: list[Key], what: str) -> tuple[str, set[Key]]:
    """The note's text and the keys whose signatures verified; unknown keys are ignored, a
    failing signature by a known key rejects the note, and so does having none by a known key.

    Identical lines are checked once: they verify alike, so the note proves what checking each
    would. A different signature by the same key is checked too and rejects the note if it fails,
    as in ledger/tlog/note.py (Go's note.Open skips any later signature by a key it has verified).
    """
    text, lines = split_note(note, what)
    signatures = [parse_signature_line(line, what) for line in dict.fromkeys(lines)]
    known = {(k.name, k.key_id): k for k in keys}
    message = text.encode()
    verified: set[Key] = set()
    for name, key_id, signature in signatures:
        key = known.get((name, key_id))
        if key is None:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(key.public).verify(signature, message)
        except InvalidSignature:
            raise BundleError(f"{what}: the signature by {key.label()} does not verify") from None
        verified.add(key)
    if not verified:
        seen = ", ".join(f"{name}+{key_id:08x}" for name, key_id, _ in signatures)
        raise BundleError(
            f"{what}: no valid signature by a trusted key (signed by {seen or 'nobody'})"
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
    keys = LogKeys(bundle.require("trust", MAX_TRUST_BYTES, TRUST_LIMIT), pinned)
    label_keys = LabelKeys(parse_trust(unverified_text(keys.note))[1])
    checkpoint = bundle.require("checkpoint", MAX_CHECKPOINT_BYTES, CHECKPOINT_LIMIT)
    size, root, latest_signers = keys.open_checkpoint(checkpoint, "checkpoint")
    height_text = bundle.read("tile-height", TILE_HEIGHT_BYTES, "the height is one digit")
    height = 8
    if height_text is not None:
        if not re.fullmatch(rb"[1-8]\n?", height_text):
            raise BundleError("tile-height: must be a number from 1 to 8")
        height = int(height_text)
    capacity = 1 << height
    bundle.byte_limit = bundle_byte_limit(size, height)

    expected: dict[int, list[tuple[str, bytes]]] = {size: [("checkpoint", root)]}
    stored_checkpoints = 0
    for name in bundle.names("checkpoints"):
        stored = bundle.require(name, MAX_CHECKPOINT_BYTES, CHECKPOINT_LIMIT)
        cp_size, cp_root, _ = keys.open_checkpoint(stored, name)
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
            data = bundle.require(name, width * HASH_SIZE, f"the tile has {width} hashes")
            if len(data) != width * HASH_SIZE:
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
        most = ENTRY_LENGTH_BYTES + MAX_ENTRY_BYTES
        data = bundle.require(name, width * most, f"{width} entries take at most {most} bytes each")
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
        known = [
            read_file(path, str(path), MAX_CHECKPOINT_BYTES, CHECKPOINT_LIMIT)
            for path in args.known_checkpoint
        ]
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
    except (BundleError, OSError, tarfile.TarError, UnicodeError, *DECOMPRESSION_ERRORS) as error:
        print(f"FAILED: {error}")
        return 1
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError) as error:
        # Malformed input in a place no specific check covers: still a failure, never a crash.
        print(f"FAILED: the bundle is malformed ({type(error).__name__}: {error})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
