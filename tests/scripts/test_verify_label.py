"""The stand-alone label verifier gives the committed vectors' verdicts, in a fresh interpreter
with nothing of the project importable, and refuses a trust list the pinned key did not sign."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.labels.vectors import generate

SCRIPT = Path(__file__).parents[2] / "scripts" / "verify_label.py"
VECTORS = json.loads(generate.PATH.read_text(encoding="utf-8"))


def run(*args: str | Path) -> tuple[int, str]:
    # -I: isolated mode, no user site and no project on sys.path, like an auditor's machine.
    done = subprocess.run(
        [sys.executable, "-I", str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
        check=False,
    )
    assert not done.stderr, done.stderr
    return done.returncode, done.stdout


@pytest.fixture(scope="module")
def trust_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trust") / "trust.note"
    path.write_text(VECTORS["trust_note"], encoding="utf-8")
    return path


def test_every_vector_gets_its_verdict(trust_file: Path) -> None:
    for case in VECTORS["cases"]:
        status, output = run(
            case["url"], "--trust", trust_file, "--log-key", VECTORS["log_key"]["vkey"]
        )
        if case["expect"] == "valid":
            assert (status, output[:3]) == (0, "OK:"), (case["name"], output)
        else:
            assert status == 1, (case["name"], output)
            assert output.startswith(f"FAILED ({case['expect']}):"), (case["name"], output)


def test_without_a_pinned_key_the_fingerprint_is_printed(trust_file: Path) -> None:
    status, output = run(VECTORS["cases"][0]["url"], "--trust", trust_file)
    assert status == 0
    assert "fingerprint" in output


def test_a_trust_list_with_a_flipped_bit_is_refused(trust_file: Path, tmp_path: Path) -> None:
    note = bytearray(trust_file.read_bytes())
    note[note.index(b"prefixes=8938888") + 15] ^= 0x01  # 8938888 -> 8938889
    tampered = tmp_path / "tampered.note"
    tampered.write_bytes(bytes(note))
    status, output = run(
        VECTORS["cases"][0]["url"], "--trust", tampered, "--log-key", VECTORS["log_key"]["vkey"]
    )
    assert status == 1
    assert output.startswith("FAILED (trust):")


def test_a_trust_list_signed_by_another_log_key_is_refused(trust_file: Path) -> None:
    other = VECTORS["label_keys"][0]["vkey"]  # a real key, but not the log's
    status, output = run(VECTORS["cases"][0]["url"], "--trust", trust_file, "--log-key", other)
    assert status == 1
    assert output.startswith("FAILED (trust):")


def test_a_missing_trust_file_is_a_usage_error(tmp_path: Path) -> None:
    status, output = run(VECTORS["cases"][0]["url"], "--trust", tmp_path / "none")
    assert status == 2
    assert "cannot read" in output
