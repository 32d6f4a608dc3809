"""The benchmarks run end to end on a few hundred entries (smoke runs, not timings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_bench(*args: str) -> dict[str, Any]:
    """Run ``scripts/bench.py`` with ``args``; its one JSON object."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench.py"), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures: dict[str, Any] = json.loads(result.stdout)
    return figures


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_ledger_benchmark_prints_one_json_object() -> None:
    figures = run_bench("ledger", "--entries", "300", "--runs", "1")
    assert figures["entries"] == 300
    for name in (
        "append_batch_per_s",
        "canon_hash_insert_per_s",
        "append_single_per_s",
        "verify_leaves_per_s",
        "parse_hash_per_s",
        "raw_insert_per_s",
        "hash_only_per_s",
        "inclusion_p50_ms",
        "inclusion_p99_ms",
        "peak_rss_mb",
        "bench_peak_rss_mb",
    ):
        assert figures[name] > 0, name
    assert figures["inclusion_p50_ms"] <= figures["inclusion_p99_ms"]
    assert set(figures["targets"]) >= {"append_batch >= 3000/s", "inclusion_p99 <= 5 ms"}


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_api_benchmark_prints_one_json_object() -> None:
    figures = run_bench("api", "--scale", "1", "--runs", "1")
    assert figures["scale"] == 1
    assert figures["events"] > 200
    for name in ("service_events_per_s", "validate_only_per_s", "ledger_batch_per_s"):
        assert figures[name] > 0, name
    assert 0 < figures["trace_p50_ms"] <= figures["trace_p99_ms"]
    assert set(figures["targets"]) == {
        "service >= 0.5 x validate_only",
        "service >= 1000/s",
        "trace_p99 <= 50 ms",
    }


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_verify_benchmark_prints_one_json_object() -> None:
    figures = run_bench("verify", "--requests", "40", "--runs", "1", "--print-units", "30")
    for name in (
        "page_rps",
        "page_p50_ms",
        "page_p99_ms",
        "trivial_rps",
        "label_pdf_per_s",
        "bare_qr_per_s",
    ):
        assert figures[name] > 0, name
    assert figures["page_failures"] == 0
    assert figures["page_p50_ms"] <= figures["page_p99_ms"]
    assert "page_rps >= 0.15 x trivial_rps" in figures["targets_met"]
    assert (figures["print_labels"], figures["print_files"]) == (30, 1)
    assert figures["print_peak_rss_mb"] > 0
