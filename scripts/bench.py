#!/usr/bin/env python3
"""Benchmarks. Each prints one JSON object; every rate is the best of three runs and comes with a
peer or floor measured in the same run, so figures from different machines compare as ratios.

    python scripts/bench.py ledger [--entries N] [--database-url URL] [--runs 3]
    python scripts/bench.py api [--scale 100] [--runs 3]
    python scripts/bench.py verify [--requests 2000] [--runs 3] [--print-units 10000]
    python scripts/bench.py field [--runs 3] [--pages farmer-home,scan,...]

``ledger`` measures the core: batch and single appends against a peer that does the same
mandatory work (schema, NFC, JCS, leaf hash, a plain insert) without the tree, chains or
idempotency; the full audit against ``json.loads`` plus hashing of the same bytes; raw insert and
hashing floors; inclusion proof latency; and the audit's peak memory in a process of its own.
Without ``--database-url`` it uses temporary SQLite files; with a PostgreSQL URL it creates (and
drops) databases on that server.

``api`` measures the domain: the demo season's events recorded through the schema and the
recording service in batches of 1,000, against a peer that only loads and canonicalises the same
requests, with the core's batch append of the resulting envelopes for context; and the latency of
tracing back from 200 random retail lots and forward from 200 random farm lots. It uses SQLite.

``verify`` measures the public label page under gunicorn against a trivial view, and label PDFs
against bare QR codes (see :mod:`scripts.bench_verify`).

``field`` measures the farmers' and distributors' pages in Chromium: first-load bytes, the time
to an interactive form on a throttled phone against a static page of the same size, and
scan-to-card time with a fake camera against decoding alone (see :mod:`scripts.bench_field`).
Unlike the others, its times are medians of ``--runs``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from biip.checksums import gs1_standard_check_digit  # noqa: E402

from demo.loading import principals, record_steps, save_master_data  # noqa: E402
from demo.season import Season, build_season  # noqa: E402
from ledger.common.db import create_engine  # noqa: E402
from ledger.common.settings import LedgerSettings  # noqa: E402
from ledger.supplychain.audit_checks import supply_chain_checks  # noqa: E402
from ledger.supplychain.recording.recorder import Recorder  # noqa: E402
from ledger.supplychain.trace import trace_back, trace_forward  # noqa: E402
from ledger.tlog import merkle  # noqa: E402
from ledger.tlog.audit import audit  # noqa: E402
from ledger.tlog.bootstrap import initialise, open_log  # noqa: E402
from ledger.tlog.canonical import (  # noqa: E402
    ENTRY_PREFIX,
    canonical_json,
    entry_bytes,
    envelope_of,
    utc_timestamp,
)
from ledger.tlog.envelope import NewEvent, SubjectRef, stored_envelope  # noqa: E402
from ledger.tlog.log import Log  # noqa: E402
from ledger.tlog.private import commitment_of_bytes, new_salt, value_bytes  # noqa: E402
from schemas.envelope import load_envelope  # noqa: E402
from schemas.events import load_command  # noqa: E402

CHUNK = 1000
ORIGIN = "bench.hungyen.example/ledger"


# --- a realistic season ---------------------------------------------------------------------------


def _with_check_digit(payload: str) -> str:
    return payload + str(gs1_standard_check_digit(payload))


GTINS = [_with_check_digit(f"0893000000{n:03d}") for n in (1, 2, 3, 4, 5)]
ORGS = [f"org:{_with_check_digit(f'893100{n:06d}')}" for n in range(60)]
PLOTS = [f"plot:{_with_check_digit(f'893200{n:06d}')}" for n in range(400)]
VARIETIES = [
    "Nhãn lồng Hưng Yên",
    "Nhãn đường phèn",
    "Chuối tiêu hồng Khoái Châu",
    "Gà đồi Tiên Lữ",
]
NOTES = [
    "Thu hoạch sáng sớm, trời nắng nhẹ",
    "Đóng thùng carton 10 kg",
    "Xe lạnh 2–4 °C",
    "Kiểm tra dư lượng đạt",
    "Giao siêu thị Hà Nội",
]


def envelope_for(i: int, lots: int) -> dict[str, Any]:
    """Entry ``i`` of a season: each lot is touched about ten times, plots and organisations
    many more; a third of the events carry a private price."""
    rng = random.Random(i)
    number = rng.randrange(lots)
    lot = f"lot:{GTINS[number % len(GTINS)]}/L{number:07d}"  # ``lots`` distinct lot subjects
    org = ORGS[rng.randrange(len(ORGS))]
    kind = i % 5
    quantity = f"{rng.randrange(1, 500_000) / 100:.2f}"
    data: dict[str, Any] = {
        "biz_step": ["commissioning", "packing", "shipping", "storing", "retail_selling"][kind],
        "type": ["harvest", "pack", "ship", "store", "sell"][kind],
        "event_time": f"2026-07-{1 + i % 28:02d}T{6 + i % 12:02d}:{i % 60:02d}:00+07:00",
        "actor": org,
        "subjects": [
            {"id": lot, "role": "output" if kind == 0 else "input"},
            {"id": PLOTS[rng.randrange(len(PLOTS))] if kind == 0 else org, "role": "observed"},
        ],
        "payload": {
            "quantity": quantity,
            "unit": "kg",
            "variety": VARIETIES[i % len(VARIETIES)],
            "note": NOTES[rng.randrange(len(NOTES))],
        },
    }
    if kind == 2:
        data["payload"]["vehicle"] = "refrigerated_truck"
        data["payload"]["temperature"] = {"min": "2.1", "max": "4.3", "mean": "3.2", "count": 96}
    if i % 3 == 0:
        data["private"] = {
            "price": {"amount": str(rng.randrange(20_000, 90_000)), "currency": "VND"}
        }
    if i % 4 == 0:
        data["idempotency_key"] = f"bench-{i}"
    return data


def chunks(total: int, lots: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, total, CHUNK):
        yield [envelope_for(i, lots) for i in range(start, min(total, start + CHUNK))]


# --- databases ------------------------------------------------------------------------------------


class Databases:
    """Fresh databases per run: temporary SQLite files, or databases on a PostgreSQL server."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.directory = Path(tempfile.mkdtemp(prefix="hyt-bench-"))
        self.created: list[str] = []

    def fresh(self) -> str:
        if self.url is None:
            return f"sqlite:///{self.directory / (uuid.uuid4().hex + '.sqlite3')}"
        base = sa.engine.make_url(self.url)
        if base.get_backend_name() == "sqlite":
            return f"sqlite:///{self.directory / (uuid.uuid4().hex + '.sqlite3')}"
        name = f"hyt_bench_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.created.append(name)
        return base.set(database=name).render_as_string(hide_password=False)

    def settings(self, url: str) -> LedgerSettings:
        return LedgerSettings(
            database_url=url,
            origin=ORIGIN,
            key_file=self.directory / uuid.uuid4().hex / "log-key.pem",
            allow_unencrypted_key=True,
            checkpoint_interval=1.0,
        )

    def close(self) -> None:
        if self.created and self.url:
            admin = sa.create_engine(sa.engine.make_url(self.url), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                for name in self.created:
                    connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextmanager
def timer(totals: list[float]) -> Iterator[None]:
    start = time.perf_counter()
    yield
    totals.append(time.perf_counter() - start)


# --- the measurements -----------------------------------------------------------------------------


def append_batches(log: Log, total: int, lots: int) -> float:
    spent: list[float] = []
    for chunk in chunks(total, lots):
        with timer(spent):
            log.append_batch([load_envelope(e) for e in chunk])
    return total / sum(spent)


def plain_table(url: str, name: str) -> tuple[sa.Engine, sa.Table]:
    """A table of (index, leaf hash, bytes) with no other index, on an engine with the ledger's
    own settings (WAL and synchronous=FULL on SQLite, psycopg on PostgreSQL)."""
    engine = create_engine(url)
    table = sa.Table(
        name,
        sa.MetaData(),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("leaf_hash", sa.LargeBinary),
        sa.Column("data", sa.LargeBinary),
    )
    table.metadata.create_all(engine)
    return engine, table


def canon_hash_insert(url: str, total: int, lots: int) -> float:
    """The peer: the same envelopes through the schema, NFC, JCS, commitments and the leaf hash,
    then a plain insert; no tree, no chains, no idempotency, no checkpoint."""
    engine, table = plain_table(url, "bench_peer")
    spent: list[float] = []
    index = 0
    for chunk in chunks(total, lots):
        with timer(spent):
            rows = []
            recorded_at = utc_timestamp(datetime.now(UTC))
            for raw in chunk:
                event = load_envelope(raw)
                commitments = {
                    name: commitment_of_bytes(new_salt(), value_bytes(name, value))
                    for name, value in event.private.items()
                }
                prevs: list[bytes | None] = [None] * len(event.subjects)
                data = entry_bytes(stored_envelope(event, recorded_at, prevs, commitments))
                rows.append({"idx": index, "leaf_hash": merkle.leaf_hash(data), "data": data})
                index += 1
            with engine.begin() as connection:
                connection.execute(sa.insert(table), rows)
    engine.dispose()
    return total / sum(spent)


def append_singles(log: Log, count: int, lots: int) -> float:
    envelopes = [envelope_for(i, lots) for i in range(count)]
    start = time.perf_counter()
    for raw in envelopes:
        log.append(load_envelope(raw))
    return count / (time.perf_counter() - start)


def stored_bytes(log: Log) -> Iterator[list[bytes]]:
    table = sa.table("entry", sa.column("idx"), sa.column("data"))
    with log.engine.connect() as connection:
        rows = connection.execution_options(yield_per=CHUNK).execute(
            sa.select(table.c.data).order_by(table.c.idx)
        )
        for partition in rows.partitions():
            yield [bytes(row[0]) for row in partition]


def parse_hash(log: Log) -> float:
    spent: list[float] = []
    total = 0
    sha256, prefix = hashlib.sha256, len(ENTRY_PREFIX)
    for batch in stored_bytes(log):
        with timer(spent):
            for data in batch:
                json.loads(data[prefix:])
                sha256(b"\x00" + data).digest()
        total += len(batch)
    return total / sum(spent)


def hash_only(log: Log) -> float:
    spent: list[float] = []
    total = 0
    sha256 = hashlib.sha256
    for batch in stored_bytes(log):
        with timer(spent):
            for data in batch:
                sha256(b"\x00" + data).digest()
        total += len(batch)
    return total / sum(spent)


def raw_insert(source: Log, url: str) -> float:
    engine, table = plain_table(url, "bench_raw")
    spent: list[float] = []
    index = 0
    for batch in stored_bytes(source):
        rows = []
        for data in batch:
            rows.append({"idx": index, "leaf_hash": b"\x00" * 32, "data": data})
            index += 1
        with timer(spent), engine.begin() as connection:
            connection.execute(sa.insert(table), rows)
    engine.dispose()
    return index / sum(spent)


def verify_rate(log: Log) -> float:
    start = time.perf_counter()
    report = audit(log, checks=supply_chain_checks())
    return report.entries / (time.perf_counter() - start)


def peak_rss_mb() -> float:
    """This process's peak resident memory. ``VmHWM`` belongs to the current address space, so
    unlike ``ru_maxrss`` it does not inherit the peak of the process that forked this one."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def verify_peak_rss_mb(settings: LedgerSettings) -> float:
    """The audit alone, in a process of its own, so its peak memory is its own."""
    raw = {**settings.__dict__, "key_file": str(settings.key_file)}
    output = subprocess.run(
        [sys.executable, __file__, "_audit", json.dumps(raw)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout
    return float(json.loads(output)["peak_rss_mb"])


def inclusion_latencies(log: Log, count: int = 1000) -> tuple[float, float]:
    size = log.latest_checkpoint().size
    rng = random.Random(7)
    timings = []
    for _ in range(count):
        index = rng.randrange(size)
        start = time.perf_counter()
        log.inclusion_proof(index)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return statistics.median(timings), timings[min(len(timings) - 1, int(0.99 * len(timings)))]


def bench_ledger(entries: int, database_url: str | None, runs: int) -> dict[str, Any]:
    databases = Databases(database_url)
    lots = max(1, entries // 10)
    try:
        best: dict[str, float] = {}

        def keep(name: str, value: float) -> None:
            best[name] = max(best.get(name, 0.0), value)

        log: Log | None = None
        for _ in range(runs):
            url = databases.fresh()
            if log is not None:
                log.engine.dispose()
            log = initialise(databases.settings(url)).log
            keep("append_batch_per_s", append_batches(log, entries, lots))
            keep("canon_hash_insert_per_s", canon_hash_insert(databases.fresh(), entries, lots))
            single = initialise(databases.settings(databases.fresh())).log
            keep("append_single_per_s", append_singles(single, min(entries, 2000), lots))
            single.engine.dispose()
        assert log is not None
        log.checkpoint(force=True)
        for _ in range(runs):
            keep("verify_leaves_per_s", verify_rate(log))
            keep("parse_hash_per_s", parse_hash(log))
            keep("raw_insert_per_s", raw_insert(log, databases.fresh()))
            keep("hash_only_per_s", hash_only(log))
        p50, p99 = inclusion_latencies(log)
        verify_rss = verify_peak_rss_mb(log.settings)
        log.engine.dispose()
    finally:
        databases.close()
    result: dict[str, Any] = {
        "benchmark": "ledger",
        "entries": entries,
        "database": "sqlite"
        if database_url is None
        else sa.engine.make_url(database_url).get_backend_name(),
    }
    result.update({name: round(value, 1) for name, value in best.items()})
    result["inclusion_p50_ms"] = round(p50, 3)
    result["inclusion_p99_ms"] = round(p99, 3)
    # The audit's peak, measured alone in its own process; the benchmark's own for context.
    result["peak_rss_mb"] = round(verify_rss, 1)
    result["bench_peak_rss_mb"] = round(peak_rss_mb(), 1)
    result["targets"] = {
        "append_batch >= 0.5 x canon_hash_insert": best["append_batch_per_s"]
        >= 0.5 * best["canon_hash_insert_per_s"],
        "append_batch >= 3000/s": best["append_batch_per_s"] >= 3000,
        "append_single >= 300/s": best["append_single_per_s"] >= 300,
        "verify >= 0.5 x parse_hash": best["verify_leaves_per_s"] >= 0.5 * best["parse_hash_per_s"],
        "inclusion_p99 <= 5 ms": p99 <= 5,
        "verify peak RSS <= 150 MB": verify_rss <= 150,
    }
    return result


# --- the domain -----------------------------------------------------------------------------------


def validate_only(season: Season) -> float:
    """The peer: schema load and canonical bytes of every request, no database."""
    gc.collect()
    start = time.perf_counter()
    for step in season.steps:
        command = load_command(step.request)
        canonical_json(
            {
                "type": command.type,
                "event_time": command.event_time,
                "data": dict(command.data),
                "private": dict(command.private),
            }
        )
    return len(season.steps) / (time.perf_counter() - start)


def envelopes_as_events(log: Log) -> list[NewEvent]:
    """What the service appended, as new events again (private values left out)."""
    events = []
    for data in log.entry_data(0, log.size()):
        envelope = envelope_of(data)
        events.append(
            NewEvent(
                type=envelope["type"],
                biz_step=envelope["biz_step"],
                event_time=envelope["event_time"],
                actor=envelope["actor"],
                subjects=tuple(SubjectRef(s["id"], s["role"]) for s in envelope["subjects"]),
                payload=envelope["payload"],
                idempotency_key=envelope.get("idempotency_key"),
            )
        )
    return events


def ledger_batch(log: Log, events: list[NewEvent]) -> float:
    start = time.perf_counter()
    for offset in range(0, len(events), CHUNK):
        log.append_batch(events[offset : offset + CHUNK])
    return len(events) / (time.perf_counter() - start)


def trace_latencies(log: Log, season: Season, count: int = 200) -> tuple[float, float]:
    rng = random.Random(11)
    timings = []
    for lot in rng.sample(season.retail_lots, min(count, len(season.retail_lots))):
        start = time.perf_counter()
        trace_back(log.engine, lot)
        timings.append((time.perf_counter() - start) * 1000)
    for lot in rng.sample(season.farm_lots, min(count, len(season.farm_lots))):
        start = time.perf_counter()
        trace_forward(log.engine, lot)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return statistics.median(timings), timings[min(len(timings) - 1, int(0.99 * len(timings)))]


def bench_api(scale: int, runs: int) -> dict[str, Any]:
    season = build_season(scale, datetime.now(UTC))
    season.steps = [step for step in season.steps if not step.refused]
    # The season is this harness's input, hundreds of thousands of objects that live to the end:
    # keep them out of the collector's generations, or every full collection the service
    # triggers scans them too, a cost a server that does not hold the season never pays.
    gc.collect()
    gc.freeze()
    directory = Path(tempfile.mkdtemp(prefix="hyt-bench-api-"))
    try:
        # One template with the master data; each run records into a copy of it.
        template = directory / "template"
        template.mkdir()
        settings = LedgerSettings(
            database_url=f"sqlite:///{template / 'db.sqlite3'}",
            origin=ORIGIN,
            key_file=template / "log-key.pem",
            allow_unencrypted_key=True,
            checkpoint_interval=1.0,
        )
        log = initialise(settings).log
        save_master_data(log, season)
        log.engine.dispose()
        best: dict[str, float] = {}

        def keep(name: str, value: float) -> None:
            best[name] = max(best.get(name, 0.0), value)

        recorded: Log | None = None
        for run in range(runs):
            keep("validate_only_per_s", validate_only(season))
            copy = directory / f"run-{run}"
            shutil.copytree(template, copy)
            if recorded is not None:
                recorded.engine.dispose()
            recorded = open_log(
                LedgerSettings(
                    database_url=f"sqlite:///{copy / 'db.sqlite3'}",
                    origin=ORIGIN,
                    key_file=copy / "log-key.pem",
                    allow_unencrypted_key=True,
                    checkpoint_interval=1.0,
                )
            )
            people = principals(recorded, season, create_accounts=False)
            recorder = Recorder(recorded)
            gc.collect()  # the set-up's garbage belongs to neither figure
            start = time.perf_counter()
            record_steps(recorder, season, people)
            keep("service_events_per_s", len(season.steps) / (time.perf_counter() - start))
            plain = initialise(
                LedgerSettings(
                    database_url=f"sqlite:///{copy / 'plain.sqlite3'}",
                    origin=ORIGIN,
                    key_file=copy / "plain" / "log-key.pem",
                    allow_unencrypted_key=True,
                    checkpoint_interval=1.0,
                )
            ).log
            keep("ledger_batch_per_s", ledger_batch(plain, envelopes_as_events(recorded)))
            plain.engine.dispose()
        assert recorded is not None
        p50, p99 = trace_latencies(recorded, season)
        recorded.engine.dispose()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    result: dict[str, Any] = {"benchmark": "api", "scale": scale, "events": len(season.steps)}
    result.update({name: round(value, 1) for name, value in best.items()})
    result["trace_p50_ms"] = round(p50, 3)
    result["trace_p99_ms"] = round(p99, 3)
    result["targets"] = {
        "service >= 0.5 x validate_only": best["service_events_per_s"]
        >= 0.5 * best["validate_only_per_s"],
        "service >= 1000/s": best["service_events_per_s"] >= 1000,
        "trace_p99 <= 50 ms": p99 <= 50,
    }
    return result


def _audit_only(raw_settings: str) -> None:
    raw = json.loads(raw_settings)
    raw["key_file"] = Path(raw["key_file"])
    log = open_log(LedgerSettings(**raw))
    audit(log, checks=supply_chain_checks())
    print(json.dumps({"peak_rss_mb": peak_rss_mb()}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    ledger = commands.add_parser("ledger", help="the ledger core")
    ledger.add_argument("--entries", type=int, default=20_000)
    ledger.add_argument("--database-url", default=None)
    ledger.add_argument("--runs", type=int, default=3)
    api = commands.add_parser("api", help="the domain services")
    api.add_argument("--scale", type=int, default=100)
    api.add_argument("--runs", type=int, default=3)
    verify = commands.add_parser("verify", help="the public verification page and label PDFs")
    verify.add_argument("--requests", type=int, default=2000)
    verify.add_argument("--runs", type=int, default=3)
    verify.add_argument("--print-units", type=int, default=10_000)
    field = commands.add_parser("field", help="the field pages in a throttled browser")
    field.add_argument("--runs", type=int, default=3)
    field.add_argument("--pages", default=None, help="only these pages, by name, comma-separated")
    hidden = commands.add_parser("_audit")
    hidden.add_argument("settings")
    printing = commands.add_parser("_print")
    printing.add_argument("directory")
    printing.add_argument("units", type=int)
    args = parser.parse_args(argv)
    if args.command == "_print":
        from scripts.bench_verify import print_whole_lot

        print(json.dumps(print_whole_lot(Path(args.directory), args.units)))
        return 0
    if args.command == "_audit":
        _audit_only(args.settings)
        return 0
    if args.command == "verify":
        from scripts.bench_verify import bench_verify

        print(json.dumps(bench_verify(args.requests, args.runs, args.print_units)))
        return 0
    if args.command == "field":
        from scripts.bench_field import bench_field

        only = set(args.pages.split(",")) if args.pages else None
        print(json.dumps(bench_field(args.runs, only)))
        return 0
    if args.command == "api":
        print(json.dumps(bench_api(args.scale, args.runs)))
        return 0
    print(json.dumps(bench_ledger(args.entries, args.database_url, args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
