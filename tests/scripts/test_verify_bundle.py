"""The stand-alone bundle verifier fails cleanly on malformed bundles: `FAILED:`, never a trace."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ledger.export import export_bundle
from ledger.log import Log
from tests.factories import event
from tests.ledger.test_tampering import run_verify_bundle


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
