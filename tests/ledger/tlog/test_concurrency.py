"""Many processes appending at once never fork the log or leave gaps; a killed writer loses
nothing it acknowledged and leaves no half-written transaction."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ledger.common.settings import LedgerSettings
from ledger.tlog.audit import audit
from ledger.tlog.log import Log
from tests.support.factories import simple_event

ROOT = Path(__file__).resolve().parents[3]
WORKERS = 8
APPENDS = 250


def _settings_json(settings: LedgerSettings) -> str:
    raw = dataclasses.asdict(settings)
    raw["key_file"] = str(raw["key_file"])
    return json.dumps(raw)


def _start(
    settings: LedgerSettings, worker: int, count: int, batch: int = 1
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.ledger.tlog.appender",
            _settings_json(settings),
            str(worker),
            str(count),
            str(batch),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_eight_processes_append_without_forks_or_gaps(fresh_log: Callable[..., Log]) -> None:
    log = fresh_log()
    processes = [_start(log.settings, worker, APPENDS) for worker in range(WORKERS)]
    acknowledged: list[int] = []
    for process in processes:
        out, err = process.communicate(timeout=540)
        assert process.returncode == 0, err[-2000:]
        acknowledged += [
            int(line.split()[1]) for line in out.splitlines() if line.startswith("ack")
        ]
    total = WORKERS * APPENDS
    assert sorted(acknowledged) == list(range(total))
    assert log.size() == total
    shared = log.subject_chain("flock:shared", limit=1000)
    assert shared.length == total // 2
    for worker in range(WORKERS):
        assert log.subject_chain(f"flock:worker-{worker}").length == APPENDS // 2
    report = audit(log)
    assert report.entries == total
    assert report.subjects == WORKERS + 1
    assert report.checkpoints >= 2


def _kill_after(process: subprocess.Popen[str], acks: int) -> list[int]:
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    seen = []
    while len(seen) < acks:
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else "no output"
        seen.append(int(line.split()[1]))
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return seen


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("batch", [1, 25])
def test_a_killed_writer_loses_nothing_it_acknowledged(
    fresh_log: Callable[..., Log], batch: int
) -> None:
    log = fresh_log()
    acknowledged = _kill_after(_start(log.settings, 0, 100_000, batch), 120)
    size = log.size()
    assert size >= len(acknowledged)
    assert acknowledged == list(range(len(acknowledged)))
    assert size % batch == 0  # a batch is all or nothing
    for index in acknowledged[-5:]:
        assert log.entry(index).envelope["payload"]["number"] == index
    report = audit(log)
    assert report.entries == size
    assert log.append(simple_event("flock:shared")).index == size  # the log carries on
    audit(log)
