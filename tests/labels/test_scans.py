"""Scans of label pages: who counts, how they are kept, and when they look like a copied label."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from labels.scans import (
    DailySalt,
    ScanLog,
    ScanSettings,
    agent_family,
    area_of,
    lot_scans_for,
)
from ledger.supplychain.errors import ForbiddenError
from ledger.supplychain.tables import LABEL_SCAN, LABEL_SCAN_DAY
from tests.support.world import COLLECTOR, PACKHOUSE, World

PHONES = {
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "safari",
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36": "chrome",
    "Mozilla/5.0 (Linux; Android 13; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/25.0 Chrome/121.0 Mobile Safari/537.36": "samsung",
    "Mozilla/5.0 (Linux; Android 12; M2101K6G) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
    "Chrome/120.0 Mobile Safari/537.36 Zalo android/12100 ZaloTheme/light": "zalo",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/470.0]": "facebook",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "coc_coc_browser/128.0 Chrome/122.0 Safari/537.36": "coccoc",
}
BOTS = (
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Zalo-LinkPreview/1.0",
    "ZaloPC-win32-24v1.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "TelegramBot (like TwitterBot)",
    "WhatsApp/2.23.20.0",
    "curl/8.5.0",
    "",
)
PHONE = next(iter(PHONES))
GTIN, SERIAL, LOT = "08930000000026", "7", "lot:08930000000026/P1"


@pytest.mark.parametrize(("agent", "family"), PHONES.items())
def test_phones_count_by_browser_family(agent: str, family: str) -> None:
    assert agent_family(agent) == family


@pytest.mark.parametrize("agent", BOTS)
def test_link_previews_and_crawlers_do_not_count(agent: str) -> None:
    assert agent_family(agent) is None


def test_shared_locations_are_rounded_to_about_a_district() -> None:
    assert area_of("20.8123", "106.0561") == "20.8,106.1"
    for bad in (("91", "0"), ("x", "1"), ("0", "181")):
        with pytest.raises(ValueError, match=r"number|globe"):
            area_of(*bad)


def test_the_days_salt_is_shared_by_workers_in_memory_and_forgotten_the_next_day(
    tmp_path: Path,
) -> None:
    first, second = DailySalt(tmp_path), DailySalt(tmp_path)
    monday = first.for_day("2026-11-30")
    assert second.for_day("2026-11-30") == monday
    tuesday = second.for_day("2026-12-01")
    assert tuesday != monday
    private = tmp_path / f"hyt-trace-{os.getuid()}"
    assert [p.name for p in private.iterdir()] == ["hyt-scan-salt-2026-12-01"]
    assert private.stat().st_mode & 0o777 == 0o700
    # A directory others may write to is not trusted: each process keeps its own salt.
    private.chmod(0o777)
    assert DailySalt(tmp_path).for_day("2026-12-02") != DailySalt(tmp_path).for_day("2026-12-02")


def _record(scans: ScanLog, day: str, address: str, area: str | None = None) -> bool:
    return scans.record(
        gtin=GTIN,
        serial=SERIAL,
        lot=LOT,
        day=day,
        scanned_at=f"{day}T03:00:00.000Z",
        address=address,
        user_agent=PHONE,
        area=area,
    )


def _count(world: World) -> int:
    with world.log.engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(LABEL_SCAN)).scalar())


def test_scans_are_written_in_batches_and_recording_is_rate_limited(world: World) -> None:
    scans = ScanLog(world.log.engine, ScanSettings(record_per_minute=3, salt_directory=None))
    before = _count(world)
    assert [_record(scans, "2026-11-30", "203.0.113.9") for _ in range(4)] == [
        True,
        True,
        True,
        False,
    ]
    assert not scans.record(
        gtin=GTIN,
        serial=SERIAL,
        lot=LOT,
        day="2026-11-30",
        scanned_at="2026-11-30T03:00:00.000Z",
        address="203.0.113.10",
        user_agent=BOTS[0],
    )
    assert _count(world) == before, "nothing is written per request"
    assert scans.flush() == 3
    assert _count(world) == before + 3
    with world.log.engine.connect() as connection:
        clients = connection.execute(sa.select(LABEL_SCAN.c.client).distinct()).scalars().all()
    assert "203.0.113.9" not in clients


def test_many_clients_in_a_day_many_areas_or_a_long_time_look_like_a_copy(world: World) -> None:
    settings = ScanSettings(warn_clients_per_day=5, warn_areas=3, warn_days=20, salt_directory=None)
    scans = ScanLog(world.log.engine, settings)
    with world.log.engine.begin() as connection:
        connection.execute(sa.delete(LABEL_SCAN))
    _record(scans, "2026-11-01", "198.51.100.1")
    scans.flush()
    assert scans.warning(scans.serial_stats(GTIN, SERIAL)) is None
    for n in range(5):
        _record(scans, "2026-11-02", f"198.51.100.{n + 10}")
    scans.flush()
    stats = scans.serial_stats(GTIN, SERIAL)
    assert (stats.devices, stats.span_days, stats.most_clients_in_a_day) == (6, 2, 5)
    assert str(scans.warning(stats)) == (
        "This code has been scanned by 6 devices over 2 days. The label may have been copied."
    )
    for n, area in enumerate(("20.8,106.1", "21.0,105.8", "10.8,106.7")):
        _record(scans, "2026-11-03", f"192.0.2.{n}", area=area)
    scans.flush()
    assert "in 3 different areas" in str(scans.warning(scans.serial_stats(GTIN, SERIAL)))
    long_ago = ScanLog(world.log.engine, settings)
    with world.log.engine.begin() as connection:
        connection.execute(sa.delete(LABEL_SCAN))
    _record(long_ago, "2026-10-01", "192.0.2.50")
    _record(long_ago, "2026-10-25", "192.0.2.51")
    long_ago.flush()
    assert "over 25 days" in str(long_ago.warning(long_ago.serial_stats(GTIN, SERIAL)))


def test_old_scans_are_summed_up_without_changing_what_they_say(world: World) -> None:
    scans = ScanLog(world.log.engine, ScanSettings(salt_directory=None))
    with world.log.engine.begin() as connection:
        connection.execute(sa.delete(LABEL_SCAN))
    today = date(2026, 11, 30)
    old = (today - timedelta(days=120)).isoformat()
    for n in range(3):
        _record(scans, old, f"192.0.2.{n}")
    _record(scans, old, "192.0.2.9", area="20.8,106.1")
    _record(scans, today.isoformat(), "192.0.2.1")
    scans.flush()
    before = scans.serial_stats(GTIN, SERIAL)
    assert scans.sum_up_old_scans(today) == 4
    after = scans.serial_stats(GTIN, SERIAL)
    assert (after.scans, after.devices, after.areas, after.span_days) == (
        before.scans,
        before.devices,
        before.areas,
        before.span_days,
    )
    assert _count(world) == 1
    with world.log.engine.connect() as connection:
        [summed] = connection.execute(sa.select(LABEL_SCAN_DAY)).all()
    assert (summed.day, summed.scans, summed.clients, summed.areas) == (old, 3, 3, "20.8,106.1")
    assert scans.sum_up_old_scans(today) == 0


def test_a_lots_scans_are_for_its_holder_issuer_and_auditors(world: World) -> None:
    lot_id = world.packed_lot(units=3)
    scans = ScanLog(world.log.engine, ScanSettings(salt_directory=None))
    holder = lot_scans_for(world.log, scans, PACKHOUSE, "processor", lot_id)
    assert holder["lot"] == lot_id
    assert lot_scans_for(world.log, scans, None, "auditor", lot_id)["scans"] == 0
    with pytest.raises(ForbiddenError):
        lot_scans_for(world.log, scans, COLLECTOR, "distributor", lot_id)


def test_one_client_counts_for_one_area_a_day(world: World) -> None:
    scans = ScanLog(world.log.engine, ScanSettings(salt_directory=None))
    with world.log.engine.begin() as connection:
        connection.execute(sa.delete(LABEL_SCAN))
    for area in ("20.8,106.1", "21.0,105.8", "10.8,106.7"):
        _record(scans, "2026-11-04", "192.0.2.77", area=area)
    scans.flush()
    stats = scans.serial_stats(GTIN, SERIAL)
    assert stats.areas == {"20.8,106.1"}
    assert scans.warning(stats) is None


def test_raw_scans_are_kept_ninety_days_today_included(world: World) -> None:
    scans = ScanLog(world.log.engine, ScanSettings(salt_directory=None))
    with world.log.engine.begin() as connection:
        connection.execute(sa.delete(LABEL_SCAN))
        connection.execute(sa.delete(LABEL_SCAN_DAY))
    today = date(2026, 11, 30)
    for days_ago in (89, 90):
        _record(scans, (today - timedelta(days=days_ago)).isoformat(), f"192.0.2.{days_ago}")
    scans.flush()
    assert scans.sum_up_old_scans(today) == 1
    with world.log.engine.connect() as connection:
        kept = connection.execute(sa.select(LABEL_SCAN.c.day)).scalars().all()
    assert kept == [(today - timedelta(days=89)).isoformat()]
