"""Where the repository is, for tests that run its scripts or read its files."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def typed_number_vectors() -> list[dict[str, str]]:
    """Numbers as people type them on a form and how each is read: what the server's reader
    and the form's script are both tested against."""
    vectors: list[dict[str, str]] = json.loads(
        (ROOT / "tests" / "support" / "typed_number_vectors.json").read_text(encoding="utf-8")
    )
    return vectors
