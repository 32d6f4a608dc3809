"""The stand-alone bundle verifier fails cleanly on malformed bundles: `FAILED:`, never a trace."""

from __future__ import annotations

import gzip
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from ledger.tlog.export import export_bundle
from ledger.tlog.log import Log
from tests.support.factories import event
from tests.support.paths import ROOT
from tests.support.tampering import VERIFY_BUNDLE, run_verify_bundle

SCRIPT = ROOT / "scripts" / "verify_bundle.py"
TWO_GIB = 2**31
#: Far above the few tens of MB the script needs, far below the 2 GiB a crafted member claims:
#: a verifier that reads such a member whole dies of MemoryError under this limit.
MEMORY_LIMIT = 256 * 2**20


@pytest.fixture(scope="module")
def backend() -> str:
    return "sqlite"  # a bundle is files: one database backend is enough


@pytest.fixture
def bundle(fresh_log: Callable[..., Log], tmp_path: Path) -> tuple[Path, str]:
    log = fresh_log()
    for number in range(6):
        log.append(
            event(
                subjects=[{"id": f"flock:b-{number % 2}", "role": "observed"}],
                private={"price": str(number)},
            )
        )
    path = tmp_path / "bundle"
    export_bundle(log, path)
    return path, log.active_log_key().verifier.vkey


def check(path: Path, vkey: str, *extra: str) -> tuple[int, str]:
    return run_verify_bundle(path, "--log-key", vkey, *extra)


def test_a_good_bundle(bundle: tuple[Path, str]) -> None:
    status, output = check(*bundle)
    assert status == 0, output
    assert output.startswith("OK: 6 entries")


@pytest.mark.parametrize("height", [b"0\n", b"9\n", b"-1\n", b"two\n", b"1\n"])
def test_the_unsigned_tile_height_is_checked(bundle: tuple[Path, str], height: bytes) -> None:
    path, vkey = bundle
    (path / "tile-height").write_bytes(height)
    status, output = check(path, vkey)
    assert status == 1
    assert output.startswith("FAILED: ")


def test_a_tile_of_the_wrong_length(bundle: tuple[Path, str]) -> None:
    path, vkey = bundle
    tile = path / "tile" / "1" / "000.p/1"
    tile.write_bytes(tile.read_bytes() + b"\x00" * 32)
    status, output = check(path, vkey)
    assert status == 1
    assert "64 bytes, but the tile has 1 hashes" in output


def test_a_missing_file(bundle: tuple[Path, str]) -> None:
    path, vkey = bundle
    (path / "tile" / "entries" / "000").unlink()
    status, output = check(path, vkey)
    assert status == 1
    assert "the bundle has no tile/entries/000" in output


@pytest.mark.parametrize(
    "disclosure",
    [
        "not json",
        json.dumps({"index": "3", "field": "price", "value": "3", "salt": "00"}),
        json.dumps({"index": 3, "field": "price", "value": "3", "salt": "zz"}),
        json.dumps({"index": 3, "field": "price", "value": "3"}),
        json.dumps({"index": 99, "field": "price", "value": "3", "salt": "00" * 32}),
        json.dumps([1, 2]),
    ],
)
def test_malformed_disclosures(bundle: tuple[Path, str], tmp_path: Path, disclosure: str) -> None:
    path, vkey = bundle
    file = tmp_path / "disclosures.jsonl"
    file.write_text(disclosure + "\n")
    status, output = check(path, vkey, "--disclosure", str(file))
    assert status == 1
    assert output.startswith("FAILED: ")


def test_a_bad_pinned_key(bundle: tuple[Path, str]) -> None:
    status, output = check(bundle[0], "not-a-key")
    assert status == 1
    assert "is not a verifier key" in output


def test_not_a_bundle(tmp_path: Path, bundle: tuple[Path, str]) -> None:
    status, output = check(tmp_path / "nothing-here", bundle[1])
    assert status == 1
    assert "neither a directory nor a tar archive" in output


# --- sizes: a member's declared size is checked before it is read -------------------------------


def run_in_bounded_memory(*args: object) -> subprocess.CompletedProcess[str]:
    """The script in its own process, its address space limited to ``MEMORY_LIMIT``."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        preexec_fn=limit,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_refused_unread(result: subprocess.CompletedProcess[str], name: str) -> None:
    """Refused as every failure is, naming the member and the 2 GiB it declares."""
    assert result.stderr == "", result.stderr
    assert result.returncode == 1, result.stdout
    assert result.stdout.startswith(f"FAILED: {name}"), result.stdout
    assert f"declares {TWO_GIB} bytes" in result.stdout
    assert "at most " in result.stdout


def tar_header(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o644
    return info.tobuf(format=tarfile.USTAR_FORMAT)


def padded(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % tarfile.BLOCKSIZE)


def sparse_tar(directory: Path, destination: Path, huge: bytes) -> Path:
    """The bundle as an uncompressed tar whose last header, ``huge``, is followed by 2 GiB of
    data that is a hole in the file: no disk and no time to write, but tarfile sees it all."""
    with destination.open("wb") as out:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            name = str(path.relative_to(directory))
            out.write(tar_header(name, path.stat().st_size) + padded(path.read_bytes()))
        out.write(huge)
        out.seek(TWO_GIB, os.SEEK_CUR)
        out.write(b"\0" * 2 * tarfile.BLOCKSIZE)  # the end-of-archive marker
    return destination


@pytest.mark.parametrize(
    "name",
    ["tile/0/000", "tile/entries/000", "checkpoint", "checkpoints/003", "trust", "tile-height"],
)
def test_a_file_declaring_2_gib_is_refused_unread(bundle: tuple[Path, str], name: str) -> None:
    path, vkey = bundle
    os.truncate(path / name, TWO_GIB)  # sparse: the file system stores no data for it
    assert_refused_unread(run_in_bounded_memory(path, "--log-key", vkey), name)


@pytest.mark.parametrize("name", ["tile/0/000", "tile/entries/001.p/2", "trust"])
def test_a_tar_member_declaring_2_gib_is_refused_unread(
    bundle: tuple[Path, str], tmp_path: Path, name: str
) -> None:
    path, vkey = bundle
    (path / name).unlink()
    archive = sparse_tar(path, tmp_path / "bundle.tar", tar_header(name, TWO_GIB))
    assert_refused_unread(run_in_bounded_memory(archive, "--log-key", vkey), name)


def test_a_gzipped_tar_header_claiming_2_gib_is_refused_at_once(
    bundle: tuple[Path, str], tmp_path: Path
) -> None:
    """Nine bytes of header are enough to claim 2 GiB: the refusal reads none of them."""
    path, vkey = bundle
    archive = tmp_path / "bundle.tar.gz"
    with gzip.open(archive, "wb") as out:
        for name in ("trust", "checkpoint"):
            data = (path / name).read_bytes()
            out.write(tar_header(name, len(data)) + padded(data))
        out.write(tar_header("tile/0/000", TWO_GIB))  # and the stream ends: no data follows
    result = run_in_bounded_memory(archive, "--log-key", vkey)
    assert_refused_unread(result, "tile/0/000")


def test_a_tar_extended_header_claiming_2_gib_is_refused_unread(
    bundle: tuple[Path, str], tmp_path: Path
) -> None:
    """tarfile reads a PAX header whole before it returns the member the header describes."""
    path, vkey = bundle
    pax = tarfile.TarInfo("././@PaxHeader")
    pax.type = tarfile.XHDTYPE
    pax.size = TWO_GIB
    archive = sparse_tar(path, tmp_path / "bundle.tar", pax.tobuf(format=tarfile.USTAR_FORMAT))
    result = run_in_bounded_memory(archive, "--log-key", vkey)
    assert result.stderr == "", result.stderr
    assert result.returncode == 1
    assert result.stdout.startswith("FAILED: "), result.stdout
    assert "tar header" in result.stdout


def test_a_known_checkpoint_declaring_2_gib_is_refused_unread(
    bundle: tuple[Path, str], tmp_path: Path
) -> None:
    path, vkey = bundle
    known = tmp_path / "known"
    known.touch()
    os.truncate(known, TWO_GIB)
    result = run_in_bounded_memory(path, "--log-key", vkey, "--known-checkpoint", known)
    assert_refused_unread(result, str(known))


def test_the_bundle_stops_reading_past_its_byte_limit(bundle: tuple[Path, str]) -> None:
    path, _ = bundle
    reader = VERIFY_BUNDLE.Bundle(path)
    reader.byte_limit = 400
    assert reader.require("checkpoint", 1000, "a test") == (path / "checkpoint").read_bytes()
    with pytest.raises(VERIFY_BUNDLE.BundleError, match="past the 400 bytes"):
        reader.require("trust", 1000, "a test")


def test_the_byte_limit_follows_from_the_checkpoint_size() -> None:
    """Per member what it holds: six entries at height 2 are 6 + 1 hashes in tiles, 6 entries
    of at most 65,535 bytes with their 2-byte lengths, and at most 8 checkpoints."""
    limit = VERIFY_BUNDLE.bundle_byte_limit(6, 2)
    assert limit == (
        VERIFY_BUNDLE.MAX_TRUST_BYTES
        + VERIFY_BUNDLE.TILE_HEIGHT_BYTES
        + 8 * VERIFY_BUNDLE.MAX_CHECKPOINT_BYTES
        + 7 * 32
        + 6 * (2 + 65_535)
    )
    assert VERIFY_BUNDLE.bundle_byte_limit(0, 8) < VERIFY_BUNDLE.bundle_byte_limit(1, 8)


# --- member names ---------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("tar") is None, reason="no tar command")
def test_a_bundle_tarred_from_inside_its_directory(
    bundle: tuple[Path, str], tmp_path: Path
) -> None:
    """``tar -C bundle -cf b.tar .`` names the members ``./checkpoint``, ``./tile/…``."""
    path, vkey = bundle
    archive = tmp_path / "b.tar"
    subprocess.run(["tar", "-C", str(path), "-cf", str(archive), "."], check=True)
    with tarfile.open(archive) as tar:
        assert "./checkpoint" in tar.getnames()
    status, output = check(archive, vkey)
    assert status == 0, output
    assert output.startswith("OK: 6 entries")


@pytest.mark.parametrize(
    ("member", "message"),
    [
        ("/trust", "points outside the bundle"),
        ("../trust", "points outside the bundle"),
        ("tile/../../trust", "points outside the bundle"),
        ("./checkpoint", "holds checkpoint twice"),
        ("tile//0/000", "holds tile/0/000 twice"),
    ],
)
def test_tar_member_names_that_escape_or_repeat(
    bundle: tuple[Path, str], tmp_path: Path, member: str, message: str
) -> None:
    """Each archive is the good bundle, plainly named, plus one member: the verifier would never
    read it, but an archive that holds it is refused whole."""
    path, vkey = bundle
    archive = tmp_path / "bundle.tar"
    with tarfile.open(archive, "w") as tar:
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            tar.add(file, arcname=str(file.relative_to(path)))
        data = (path / "trust").read_bytes()
        info = tarfile.TarInfo(member)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    status, output = check(archive, vkey)
    assert status == 1
    assert output.startswith("FAILED: "), output
    assert message in output, output


# --- signature lines ------------------------------------------------------------------------------


def with_signature_lines(note: bytes, copies: int, extra: bytes = b"") -> bytes:
    """The note with its one signature line repeated ``copies`` times, then ``extra`` lines."""
    text, _, line = note.rstrip(b"\n").rpartition(b"\n")
    return text + b"\n" + (line + b"\n") * copies + extra


def test_a_checkpoint_with_100_signatures_verifies(bundle: tuple[Path, str]) -> None:
    path, vkey = bundle
    checkpoint = path / "checkpoint"
    checkpoint.write_bytes(with_signature_lines(checkpoint.read_bytes(), 100))
    status, output = check(path, vkey)
    assert status == 0, output


def test_a_checkpoint_with_101_signatures_is_refused(bundle: tuple[Path, str]) -> None:
    path, vkey = bundle
    checkpoint = path / "checkpoint"
    checkpoint.write_bytes(with_signature_lines(checkpoint.read_bytes(), 101))
    status, output = check(path, vkey)
    assert status == 1
    assert "checkpoint: more than 100 signatures" in output, output


@pytest.fixture
def signature_checks(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The signatures the verifier checks, in order (its Ed25519 key type, counting)."""
    checks: list[bytes] = []

    class Counting:
        def __init__(self, key: ed25519.Ed25519PublicKey) -> None:
            self.key = key

        @classmethod
        def from_public_bytes(cls, raw: bytes) -> Counting:
            return cls(ed25519.Ed25519PublicKey.from_public_bytes(raw))

        def verify(self, signature: bytes, message: bytes) -> None:
            checks.append(signature)
            self.key.verify(signature, message)

    monkeypatch.setattr(VERIFY_BUNDLE, "Ed25519PublicKey", Counting)
    return checks


def test_200000_copies_of_a_signature_are_refused_before_any_is_verified(
    bundle: tuple[Path, str], signature_checks: list[bytes]
) -> None:
    path, vkey = bundle
    note = with_signature_lines((path / "checkpoint").read_bytes(), 200_000)
    with pytest.raises(VERIFY_BUNDLE.BundleError, match="more than 100 signatures"):
        VERIFY_BUNDLE.open_note(note, [VERIFY_BUNDLE.Key.parse(vkey)], "checkpoint")
    assert signature_checks == []


def test_a_repeated_signature_line_is_verified_once(
    bundle: tuple[Path, str], signature_checks: list[bytes]
) -> None:
    """Identical lines verify identically, so the second and later copies are not checked again:
    what the note proves is the same as when every line is checked (ledger/note.py)."""
    path, vkey = bundle
    note = with_signature_lines((path / "checkpoint").read_bytes(), 100)
    VERIFY_BUNDLE.open_note(note, [VERIFY_BUNDLE.Key.parse(vkey)], "checkpoint")
    assert len(signature_checks) == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (b"junk\n", "does not start with '\u2014 '"),
        ("\u2014 name AAAAAAAAAAA= more\n".encode(), "is not '\u2014 name signature'"),
        ("\u2014 na+me AAAAAAAAAAA=\n".encode(), "key name"),
        ("\u2014  AAAAAAAAAAA=\n".encode(), "key name"),
        ("\u2014 name AAAA\n".encode(), "too short"),
        ("\u2014 name !!!!\n".encode(), "base64"),
    ],
)
def test_every_signature_line_must_be_well_formed(
    bundle: tuple[Path, str], extra: bytes, message: str
) -> None:
    """As in ledger/note.py: a bad line after a good signature still rejects the note."""
    path, vkey = bundle
    note = with_signature_lines((path / "checkpoint").read_bytes(), 1, extra)
    with pytest.raises(VERIFY_BUNDLE.BundleError, match=message):
        VERIFY_BUNDLE.open_note(note, [VERIFY_BUNDLE.Key.parse(vkey)], "checkpoint")
