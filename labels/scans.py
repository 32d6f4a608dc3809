"""Scans of label pages, kept off the ledger, to notice labels that may have been copied.

A copied label carries a valid signature, so only its use gives it away: the same serial scanned
by many phones in one day, in several areas, or over an unusually long time. Each page view of an
issued serial is recorded with

* the time and the serial;
* a keyed hash of the client's address under a salt that lives one day, in memory only (a file
  in ``/dev/shm`` shared by the web server's workers, never on disk): one day's scans can be
  told apart by client, and nobody can link them to an address or to another day's;
* the browser family, and an area only when the shopper chose to share a location, rounded to
  0.1° (about 11 km, the size of a district here, where no district map is at hand).

Link-preview bots (Zalo, Facebook, …), HEAD requests and views of labels whose signature fails
are not counted, recording is rate-limited per client (viewing never is), and a client counts
for one area a day at most: nobody can make someone else's genuine label look copied by
sending areas or forged URLs. Scans are written in batches by a background thread,
never one transaction and fsync per page view. Raw scans are kept 90 days, then summed up per
serial and day.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import hmac
import os
import re
import secrets
import stat
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledger.common.db import insert_rows, write_transaction
from ledger.common.messages import N_, Message
from ledger.supplychain import lots
from ledger.supplychain.errors import ForbiddenError
from ledger.supplychain.label_issues import lot_label_issues
from ledger.supplychain.tables import LABEL_SCAN, LABEL_SCAN_DAY
from ledger.tlog.log import Log

#: Link previews and crawlers: they fetch the page, nobody scanned anything.
_BOTS = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|preview|facebookexternalhit|facebot|whatsapp|telegram|"
    r"skypeuripreview|embedly|vkshare|pinterest|bitlybot|linkedin|discord|slack|curl/|wget/|"
    r"python-requests|go-http-client",
    re.IGNORECASE,
)
_FAMILIES = (
    ("zalo", re.compile(r"zalo", re.IGNORECASE)),
    ("facebook", re.compile(r"FBAN|FBAV|FB_IAB")),
    ("coccoc", re.compile(r"coc_coc", re.IGNORECASE)),
    ("samsung", re.compile(r"SamsungBrowser")),
    ("edge", re.compile(r"Edg(e|A|iOS)?/")),
    ("firefox", re.compile(r"Firefox/|FxiOS/")),
    ("chrome", re.compile(r"Chrome/|CriOS/")),
    ("safari", re.compile(r"Safari/")),
)


def agent_family(user_agent: str) -> str | None:
    """The browser family of a page view, or None for a bot or link preview (not counted).

    Zalo's and Facebook's in-app browsers count (a person tapped a link); their link-preview
    fetchers do not, and they do not present themselves as a browser ("Mozilla/…")."""
    if not user_agent or _BOTS.search(user_agent):
        return None
    if "mozilla/" not in user_agent.lower():
        return None
    for family, pattern in _FAMILIES:
        if pattern.search(user_agent):
            return family
    return "other"


def area_of(latitude: str, longitude: str) -> str:
    """A shared location rounded to 0.1°, as ``"20.8,106.1"``; ValueError if it is no location."""
    try:
        lat, lon = Decimal(latitude), Decimal(longitude)
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("outside the globe")
    return f"{lat.quantize(Decimal('0.1'))},{lon.quantize(Decimal('0.1'))}"


#: Linux's memory-backed file system: files there never reach a disk. The salt goes into a
#: private directory inside it, owned by this user and closed to others (checked before use).
SHARED_MEMORY = Path("/dev/shm")  # noqa: S108 - a private 0700 subdirectory, see DailySalt


@dataclass(frozen=True)
class ScanSettings:
    """When a serial's scans look like a copied label, and how scans are kept; configurable."""

    warn_clients_per_day: int = 10
    warn_areas: int = 3
    warn_days: int = 30
    retention_days: int = 90
    #: Scans recorded per client and minute in one process; more are viewed but not recorded.
    record_per_minute: int = 30
    flush_every: int = 200
    flush_seconds: float = 2.0
    #: Where the day's salt lives, shared by the workers; None keeps it in this process only.
    salt_directory: Path | None = SHARED_MEMORY if SHARED_MEMORY.is_dir() else None


class DailySalt:
    """A random salt per day, in memory: ``/dev/shm`` (RAM, shared by the workers) or this
    process. Yesterday's salt is deleted as soon as today's exists."""

    PREFIX = "hyt-scan-salt-"

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._cached: tuple[str, bytes] | None = None
        self._lock = threading.Lock()

    def for_day(self, day: str) -> bytes:
        with self._lock:
            if self._cached is not None and self._cached[0] == day:
                return self._cached[1]
            salt = self._shared(day) if self.directory is not None else secrets.token_bytes(32)
            self._cached = (day, salt)
            return salt

    def _private_directory(self) -> Path | None:
        """``<directory>/hyt-trace-<uid>``, mode 0700, ours; None if it cannot be trusted."""
        assert self.directory is not None
        private = self.directory / f"hyt-trace-{os.getuid()}"
        try:
            private.mkdir(mode=0o700, exist_ok=True)
            status = private.lstat()
        except OSError:
            return None
        if (
            not stat.S_ISDIR(status.st_mode)
            or status.st_uid != os.getuid()
            or status.st_mode & 0o077
        ):
            return None
        return private

    def _shared(self, day: str) -> bytes:
        directory = self._private_directory()
        if directory is None:
            return secrets.token_bytes(32)
        path = directory / f"{self.PREFIX}{day}"
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            for _ in range(20):
                salt = path.read_bytes()
                if len(salt) == 32:
                    return salt
                time.sleep(0.01)  # another worker is writing it
            # A writer died half-way: this process keeps a salt of its own rather than a short one.
            return secrets.token_bytes(32)
        salt = secrets.token_bytes(32)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(salt)
        for old in directory.glob(f"{self.PREFIX}*"):
            if old != path:
                with contextlib.suppress(OSError):
                    old.unlink()
        return salt


def client_hash(salt: bytes, address: str) -> str:
    return hmac.new(salt, address.encode(), hashlib.sha256).hexdigest()[:16]


@dataclass
class ScanStats:
    scans: int = 0
    #: Distinct clients summed over days (a client is known only within a day).
    devices: int = 0
    days: int = 0
    first_day: str | None = None
    last_day: str | None = None
    most_clients_in_a_day: int = 0
    areas: set[str] = field(default_factory=set)

    @property
    def span_days(self) -> int:
        if self.first_day is None or self.last_day is None:
            return 0
        return (date.fromisoformat(self.last_day) - date.fromisoformat(self.first_day)).days + 1


class ScanLog:
    """Records page views of labels (batched) and reads a serial's or a lot's scans."""

    def __init__(
        self,
        engine: Engine,
        settings: ScanSettings | None = None,
        today: Callable[[], date] | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings or ScanSettings()
        #: The day in Vietnam; once a day the writer thread sums up scans past retention.
        self.today = today
        self._summed_up_on: date | None = None
        self.salt = DailySalt(self.settings.salt_directory)
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._recent: dict[str, deque[float]] = defaultdict(deque)

    # --- recording -------------------------------------------------------------------------

    def _allowed(self, client: str, now: float) -> bool:
        """At most ``record_per_minute`` recordings per client and minute (in this process)."""
        window = self._recent[client]
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= self.settings.record_per_minute:
            return False
        window.append(now)
        if len(self._recent) > 50_000:  # forget idle clients
            for key in [k for k, v in self._recent.items() if not v or v[-1] <= now - 60]:
                del self._recent[key]
        return True

    def record(
        self,
        *,
        gtin: str,
        serial: str,
        lot: str,
        day: str,
        scanned_at: str,
        address: str,
        user_agent: str,
        area: str | None = None,
    ) -> bool:
        """Queue one scan; False when it is not counted (a bot, or over the rate limit)."""
        agent = agent_family(user_agent)
        if agent is None:
            return False
        client = client_hash(self.salt.for_day(day), address)
        with self._lock:
            if not self._allowed(client, time.monotonic()):
                return False
            self._pending.append(
                {
                    "gtin": gtin,
                    "serial": serial,
                    "lot": lot,
                    "day": day,
                    "scanned_at": scanned_at,
                    "client": client,
                    "agent": agent,
                    "area": area,
                }
            )
            full = len(self._pending) >= self.settings.flush_every
        self._ensure_thread()
        if full:
            self._wake.set()
        return True

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._run, name="hyt-scans", daemon=True)
            self._thread.start()
            atexit.register(self.flush)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.settings.flush_seconds)
            self._wake.clear()
            with contextlib.suppress(Exception):  # telemetry never takes the page down
                self.flush()
                today = self.today() if self.today is not None else None
                if today is not None and today != self._summed_up_on:
                    self.sum_up_old_scans(today)
                    self._summed_up_on = today

    def flush(self) -> int:
        """Write the queued scans in one transaction."""
        with self._lock:
            rows, self._pending = self._pending, []
        if rows:
            with self.engine.begin() as connection:
                insert_rows(connection, LABEL_SCAN, rows)
        return len(rows)

    # --- reading -----------------------------------------------------------------------------

    def serial_stats(self, gtin: str, serial: str) -> ScanStats:
        with self.engine.connect() as connection:
            raw = connection.execute(
                sa.select(LABEL_SCAN.c.day, LABEL_SCAN.c.client, LABEL_SCAN.c.area).where(
                    LABEL_SCAN.c.gtin == gtin, LABEL_SCAN.c.serial == serial
                )
            ).all()
            summed = connection.execute(
                sa.select(
                    LABEL_SCAN_DAY.c.day,
                    LABEL_SCAN_DAY.c.scans,
                    LABEL_SCAN_DAY.c.clients,
                    LABEL_SCAN_DAY.c.areas,
                ).where(LABEL_SCAN_DAY.c.gtin == gtin, LABEL_SCAN_DAY.c.serial == serial)
            ).all()
        return _stats(raw, summed)

    def warning(self, stats: ScanStats) -> Message | None:
        """Plain words when the scans look like a copied label, else None."""
        settings = self.settings
        if not (
            stats.most_clients_in_a_day >= settings.warn_clients_per_day
            or len(stats.areas) >= settings.warn_areas
            or (stats.devices >= 2 and stats.span_days >= settings.warn_days)
        ):
            return None
        if len(stats.areas) >= 2:
            return Message(
                N_(
                    "This code has been scanned by {devices} devices over {days} days, in "
                    "{areas} different areas. The label may have been copied."
                ),
                devices=stats.devices,
                days=stats.span_days,
                areas=len(stats.areas),
            )
        return Message(
            N_(
                "This code has been scanned by {devices} devices over {days} days. The label may "
                "have been copied."
            ),
            devices=stats.devices,
            days=stats.span_days,
        )

    def lot_stats(self, lot_id: str) -> dict[str, Any]:
        """A lot's scans for its holder and auditors: totals, per day, and every serial whose
        scans look like a copied label."""
        with self.engine.connect() as connection:
            raw = connection.execute(
                sa.select(
                    LABEL_SCAN.c.serial, LABEL_SCAN.c.day, LABEL_SCAN.c.client, LABEL_SCAN.c.area
                ).where(LABEL_SCAN.c.lot == lot_id)
            ).all()
            summed = connection.execute(
                sa.select(
                    LABEL_SCAN_DAY.c.serial,
                    LABEL_SCAN_DAY.c.day,
                    LABEL_SCAN_DAY.c.scans,
                    LABEL_SCAN_DAY.c.clients,
                    LABEL_SCAN_DAY.c.areas,
                ).where(LABEL_SCAN_DAY.c.lot == lot_id)
            ).all()
        by_serial_raw: dict[str, list[Any]] = defaultdict(list)
        for raw_row in raw:
            by_serial_raw[raw_row.serial].append(tuple(raw_row)[1:])
        by_serial_summed: dict[str, list[Any]] = defaultdict(list)
        for summed_row in summed:
            by_serial_summed[summed_row.serial].append(tuple(summed_row)[1:])
        per_day: dict[str, int] = defaultdict(int)
        for raw_row in raw:
            if raw_row.area is None:
                per_day[raw_row.day] += 1
        for summed_row in summed:
            per_day[summed_row.day] += summed_row.scans
        serials = []
        for serial in sorted(set(by_serial_raw) | set(by_serial_summed), key=lambda s: int(s)):
            stats = _stats(by_serial_raw[serial], by_serial_summed[serial])
            warning = self.warning(stats)
            serials.append(
                {
                    "serial": serial,
                    "scans": stats.scans,
                    "devices": stats.devices,
                    "days": stats.span_days,
                    "areas": len(stats.areas),
                    "most_clients_in_a_day": stats.most_clients_in_a_day,
                    "first_day": stats.first_day,
                    "last_day": stats.last_day,
                    "may_be_copied": warning is not None,
                    "warning": warning,
                }
            )
        return {
            "lot": lot_id,
            "scans": sum(s["scans"] for s in serials),
            "serials_scanned": len(serials),
            "may_be_copied": [s for s in serials if s["may_be_copied"]],
            "per_day": [{"day": day, "scans": per_day[day]} for day in sorted(per_day)],
            "serials": serials,
        }

    # --- retention ---------------------------------------------------------------------------

    def sum_up_old_scans(self, today: date) -> int:
        """Replace raw scans past the retention period by per-serial, per-day sums; returns how
        many raw scans were summed up."""
        self.flush()
        try:
            return self._sum_up(today)
        except _SummedUpElsewhere:
            return 0

    def _sum_up(self, today: date) -> int:
        # Kept: the last ``retention_days`` days, today included.
        cutoff = (today - timedelta(days=self.settings.retention_days - 1)).isoformat()
        # BEGIN IMMEDIATE on SQLite (no lock upgrade to fail half-way); on PostgreSQL the rows
        # are deleted in id order, so two workers never wait on each other in a cycle.
        with write_transaction(self.engine) as connection:
            rows = connection.execute(
                sa.select(LABEL_SCAN).where(LABEL_SCAN.c.day < cutoff).order_by(LABEL_SCAN.c.id)
            ).all()
            if not rows:
                return 0
            # Delete first: if another worker is summing up the same scans, one of the two
            # deletes fewer rows than it read and gives way (its transaction rolls back).
            ids = [row.id for row in rows]
            deleted = 0
            for offset in range(0, len(ids), 500):
                deleted += connection.execute(
                    sa.delete(LABEL_SCAN).where(LABEL_SCAN.c.id.in_(ids[offset : offset + 500]))
                ).rowcount
            if deleted != len(ids):
                raise _SummedUpElsewhere()
            groups: dict[tuple[str, str, str], dict[str, Any]] = {}
            for row in rows:
                key = (row.gtin, row.serial, row.day)
                group = groups.setdefault(
                    key, {"lot": row.lot, "scans": 0, "clients": set(), "areas": {}}
                )
                if row.area is None:
                    group["scans"] += 1
                    group["clients"].add(row.client)
                else:
                    group["areas"].setdefault(row.client, row.area)  # one per client and day
            existing = {
                (r.gtin, r.serial, r.day): r
                for r in connection.execute(
                    sa.select(LABEL_SCAN_DAY).where(LABEL_SCAN_DAY.c.day < cutoff)
                )
            }
            for (gtin, serial, day), group in groups.items():
                before = existing.get((gtin, serial, day))
                areas = set(group["areas"].values()) | set((before.areas if before else "").split())
                values = {
                    "lot": group["lot"],
                    "scans": group["scans"] + (before.scans if before else 0),
                    "clients": len(group["clients"]) + (before.clients if before else 0),
                    "areas": " ".join(sorted(areas)),
                }
                if before is None:
                    names = {"gtin": gtin, "serial": serial, "day": day}
                    connection.execute(sa.insert(LABEL_SCAN_DAY).values(**names, **values))
                else:
                    connection.execute(
                        sa.update(LABEL_SCAN_DAY)
                        .where(
                            LABEL_SCAN_DAY.c.gtin == gtin,
                            LABEL_SCAN_DAY.c.serial == serial,
                            LABEL_SCAN_DAY.c.day == day,
                        )
                        .values(**values)
                    )
        return len(rows)


class _SummedUpElsewhere(Exception):
    """Another worker summed up the same scans first; this one's transaction rolls back."""


def _stats(raw: Iterable[Any], summed: Iterable[Any]) -> ScanStats:
    """Statistics from raw rows ``(day, client, area)`` and daily sums
    ``(day, scans, clients, areas)``."""
    stats = ScanStats()
    clients_by_day: dict[str, set[str]] = defaultdict(set)
    #: One area per client and day: a single client cannot make a label look widespread.
    area_of_client: dict[tuple[str, str], str] = {}
    for day, client, area in raw:
        if area is None:
            stats.scans += 1
            clients_by_day[day].add(client)
        else:
            area_of_client.setdefault((day, client), area)
    stats.areas.update(area_of_client.values())
    counts = {day: len(clients) for day, clients in clients_by_day.items()}
    for day, scans, clients, areas in summed:
        stats.scans += scans
        counts[day] = counts.get(day, 0) + clients
        stats.areas.update(areas.split())
    if counts:
        stats.devices = sum(counts.values())
        stats.days = len(counts)
        stats.first_day, stats.last_day = min(counts), max(counts)
        stats.most_clients_in_a_day = max(counts.values())
    return stats


def lot_scans_for(
    log: Log, scans: ScanLog, organisation: str | None, role: str, lot_id: str
) -> dict[str, Any]:
    """A lot's scan statistics, for auditors and for the organisations that held the lot or
    issued its labels; anyone else is refused."""
    lot = lots.lot(log.engine, lot_id)
    if role not in ("auditor", "admin"):
        with log.engine.connect() as connection:
            issuers = {issue.issuer for issue in lot_label_issues(connection, lot_id)}
        if organisation is None or organisation not in issuers | {lot["holder"]}:
            raise ForbiddenError(
                N_(
                    "The scans of lot {lot} are for its holder, the issuer of its labels and "
                    "auditors."
                ),
                lot=lot_id,
            )
    return scans.lot_stats(lot_id)
