"""The benchmarks run end to end on a few hundred entries (smoke runs, not timings)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scripts.bench_field import SLOW_4G, static_twin
from tests.support.browser import CHROMIUM, playwright_api, unavailable

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


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_the_field_benchmark_prints_one_json_object() -> None:
    """One page and the scan, once: the demo season, gunicorn, Chromium with its fake camera."""
    playwright_api()
    if not Path(CHROMIUM).exists():
        unavailable(f"no Chromium at {CHROMIUM} (Debian package chromium)")
    if shutil.which("pdftoppm") is None:
        unavailable("pdftoppm is not installed (Debian package poppler-utils)")
    figures = run_bench("field", "--runs", "1", "--pages", "farmer-home")
    assert (figures["benchmark"], figures["runs"], figures["cpu_slowdown"]) == ("field", 1, 4)
    assert figures["network"]["latency"] == 562.5
    page = figures["pages"]["farmer-home"]
    assert set(figures["pages"]) == {"farmer-home"}
    assert (page["as"], page["path"]) == ("nhan-001", "/field/")
    assert page["requests"] == 1, "the page holds its own styles and scripts: one request"
    assert page["bytes"] > page["gzip_bytes"] > 0
    assert page["wasm_requests"] == 0
    assert page["interactive_ms"] > 0
    assert page["static_twin_ms"] > SLOW_4G["latency"], "the twin is throttled too"
    assert page["over_static"] == pytest.approx(
        page["interactive_ms"] / page["static_twin_ms"], abs=0.01
    )
    assert (figures["max_gzip_page"], figures["max_gzip_bytes"]) == (
        "farmer-home",
        page["gzip_bytes"],
    )
    wasm = next((ROOT / "web" / "static" / "vendor").glob("zxing-wasm-*/zxing_reader.wasm"))
    assert figures["wasm_bytes"] == wasm.stat().st_size
    scan = figures["scan"]
    assert scan["lot"].startswith("lot:")
    assert scan["scan_to_card_ms"] > 0
    assert scan["decode_only_ms"] > 0
    assert scan["over_decode"] == pytest.approx(
        scan["scan_to_card_ms"] / scan["decode_only_ms"], abs=0.01
    )
    assert set(figures["targets"]) == {
        "first load <= 100 KB gzip, every page",
        "interactive <= 1.5 x static twin, every page",
        "scan to card <= 1.5 s",
        "scan to card <= 2 x decode only",
    }
    assert all(isinstance(met, bool) for met in figures["targets"].values())


@pytest.mark.parametrize("size", [0, 1_000, 1_001, 1_002, 1_003, 123_457])
def test_a_static_twin_has_the_size_of_its_page_exactly(tmp_path: Path, size: int) -> None:
    """In bytes, whatever character the size cuts (the filler is Vietnamese: 1 to 3 bytes each),
    and never less than the page with its form."""
    smallest = len((tmp_path / static_twin(tmp_path, "empty", 0)).read_bytes())
    text = (tmp_path / static_twin(tmp_path, "page", size)).read_bytes()
    assert len(text) == max(size, smallest)
    assert text.decode("utf-8").startswith("<!doctype html>")
    assert b"<form>" in text
    assert text.endswith(b"</html>")
