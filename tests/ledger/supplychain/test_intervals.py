"""Running intervals as pages read them: the same answer, to the millisecond, as the recorder's."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from ledger.supplychain.custody import VIETNAM
from ledger.supplychain.errors import FoodSafetyIntervalError
from ledger.supplychain.intervals import Intervals, interval_message, running
from ledger.tlog.canonical import parse_time
from tests.ledger.supplychain.recording.helpers import entry, place_flock, spray, treatment_data
from tests.support.world import (
    BUTCHER,
    CARCASS,
    CHICKEN_FARM,
    CHICKEN_FARMER,
    COOPERATIVE,
    FARM_A,
    FARM_B,
    FARMER_A,
    FARMER_B,
    PLOT_A,
    PLOT_B,
    SLAUGHTERHOUSE,
    World,
    lot,
)


@pytest.fixture(scope="module")
def intervals(world: World) -> Intervals:
    return Intervals(world.log.engine, world.log.clock)


def test_a_spray_runs_on_its_plot_until_its_interval_ends(
    world: World, intervals: Intervals
) -> None:
    assert intervals.running_intervals(plot=PLOT_B) == []
    sprayed = spray(world, plot=PLOT_B, who=FARMER_B, days=7)
    [found] = intervals.running_intervals(plot=PLOT_B)
    applied = parse_time(entry(world.log, sprayed.index)["event_time"])
    assert (found.entry_idx, found.about, found.subject) == (
        sprayed.index,
        f"plot:{PLOT_B}",
        f"plot:{PLOT_B}",
    )
    assert (found.event_type, found.kind, found.product, found.days) == (
        "farm_input.pesticide",
        "pre_harvest_interval",
        "Regent 800WG",
        7,
    )
    assert found.active_ingredients == ("Fipronil",)
    assert found.applied_at == applied
    assert found.ends_at == applied + timedelta(days=7)
    assert found.ends_at.utcoffset() == timedelta(hours=7)
    assert found.allowed_from == found.ends_at.astimezone(VIETNAM).date()
    assert isinstance(found.applied_on, date)
    assert found.days_left == 7
    assert found.plot == PLOT_B
    assert found.flock is None
    assert intervals.allowed_from(plot=PLOT_B) == found.ends_at
    # The recorder refuses with the same sentence the page shows.
    with pytest.raises(FoodSafetyIntervalError) as caught:
        world.harvest(who=FARMER_B, plot=PLOT_B)
    assert caught.value.params["interval"] == interval_message(found)
    assert caught.value.params["index"] == sprayed.index
    later = found.ends_at - timedelta(milliseconds=1)
    assert intervals.running_intervals(plot=PLOT_B, at=later)[0].days_left == 1
    assert intervals.running_intervals(plot=PLOT_B, at=found.ends_at) == []
    assert intervals.allowed_from(plot=PLOT_B, at=found.ends_at) is None
    world.advance(days=7)
    world.harvest(who=FARMER_B, plot=PLOT_B)


def test_the_page_and_the_recorder_agree_at_the_last_millisecond(
    world: World, intervals: Intervals
) -> None:
    spray(world, plot=PLOT_A, who=FARMER_A, days=3)
    [found] = intervals.running_intervals(plot=PLOT_A)
    last = found.ends_at - timedelta(milliseconds=1)
    world.advance(days=3, hours=1)
    # Recorded afterwards, dated in the interval's last millisecond and at its end.
    assert intervals.running_intervals(plot=PLOT_A, at=last) == [replace(found, days_left=1)]
    assert intervals.running_intervals(plot=PLOT_A) == []
    with pytest.raises(FoodSafetyIntervalError):
        world.harvest(event_time=last.isoformat(timespec="milliseconds"), quantity="10")
    world.harvest(event_time=found.ends_at.isoformat(timespec="milliseconds"), quantity="10")


def test_a_flock_made_from_a_treated_flock_keeps_its_withdrawal_period(
    world: World, intervals: Intervals
) -> None:
    flock = place_flock(world)
    treated = world.record(CHICKEN_FARMER, "flock.treatment", treatment_data(flock, 5))
    [split] = world.ship(CHICKEN_FARMER, flock, "40", SLAUGHTERHOUSE).lots
    world.receive(BUTCHER, split, "40")
    [found] = intervals.running_intervals(flock=split)
    assert (found.entry_idx, found.about, found.subject, found.flock) == (
        treated.index,
        split,
        flock,
        split,
    )
    assert found.event_type == "flock.treatment"
    assert str(interval_message(found)).startswith("The treatment with Tylosin on ")
    with pytest.raises(FoodSafetyIntervalError) as caught:
        world.record(
            BUTCHER,
            "slaughter",
            {
                "flock": split,
                "head_count": 40,
                "lot": lot(CARCASS, world.code("C")),
                "carcass_kg": "60",
            },
        )
    assert caught.value.params["interval"] == interval_message(found)
    assert set(caught.value.errors) == {"flock"}
    # The farm still holds the rest of the flock: its home page lists it.
    listed = intervals.running_intervals_of_organisation(CHICKEN_FARM)
    assert [(i.about, i.entry_idx) for i in listed] == [(flock, treated.index)]
    assert intervals.running_intervals_of_organisation(FARM_B) == []
    world.advance(days=5)
    assert intervals.running_intervals_of_organisation(CHICKEN_FARM) == []


def test_a_farms_list_holds_every_plot_and_the_earliest_end_first(
    world: World, intervals: Intervals
) -> None:
    spray(world, plot=PLOT_A, who=FARMER_A, days=10)
    spray(world, plot=PLOT_A, who=FARMER_A, days=4)
    listed = intervals.running_intervals_of_organisation(FARM_A)
    assert [i.days for i in listed] == [4, 10]
    # The cooperative records for its members: it sees their plots too.
    assert intervals.running_intervals_of_organisation(COOPERATIVE) == listed
    # For the plot itself the one ending last comes first: it says when harvest is allowed.
    assert [i.days for i in intervals.running_intervals(plot=PLOT_A)] == [10, 4]
    world.advance(days=10)


def test_a_plot_or_a_flock_must_be_named_not_both(intervals: Intervals) -> None:
    with pytest.raises(ValueError, match="either"):
        intervals.running_intervals()
    with pytest.raises(ValueError, match="either"):
        intervals.running_intervals(plot=PLOT_A, flock="lot:x/y")


def test_the_sentence_says_one_day_and_names_the_event(world: World) -> None:
    moment = world.log.clock.now()
    row = {
        "entry_idx": 7,
        "subject": f"plot:{PLOT_A}",
        "kind": "withdrawal_period",
        "what": "Vắc xin Newcastle Lasota",
        "days": 2,
        "applied_at_utc": "2026-07-14T01:00:00.000Z",
        "safe_from_utc": "2026-07-16T01:00:00.000Z",
        "event_type": "flock.vaccination",
    }
    [one] = running([row], "lot:x/y", parse_time("2026-07-15T02:00:00.000Z"))
    assert one.days_left == 1
    message = interval_message(one)
    assert message.template.startswith("The vaccination with {product} on {applied_on}")
    assert "one more day" in message
    # A row kept before intervals recorded their event type reads as what its kind implies.
    older = {key: value for key, value in row.items() if key != "event_type"}
    [read] = running([older], "lot:x/y", parse_time("2026-07-14T02:00:00.000Z"))
    assert (read.event_type, read.days_left) == ("flock.treatment", 2)
    assert running([row], "lot:x/y", moment + timedelta(days=3650)) == []


def test_days_left_count_the_local_days_the_allowed_date_names() -> None:
    """At 07:00 on 18/07, an interval ending at 08:00 on 19/07 has one day left, not two."""
    row = {
        "entry_idx": 3,
        "subject": f"plot:{PLOT_A}",
        "kind": "pre_harvest_interval",
        "what": "Reasgant 3.6EC",
        "days": 7,
        "applied_at_utc": "2026-07-12T01:00:00.000Z",
        "safe_from_utc": "2026-07-19T01:00:00.000Z",
        "event_type": "farm_input.pesticide",
    }
    [one] = running([row], f"plot:{PLOT_A}", parse_time("2026-07-18T00:00:00.000Z"))
    assert (one.days_left, one.allowed_from) == (1, date(2026, 7, 19))
    [late] = running([row], f"plot:{PLOT_A}", parse_time("2026-07-18T16:59:00.000Z"))
    assert late.days_left == 1  # 23:59 on 18/07
    [same_day] = running([row], f"plot:{PLOT_A}", parse_time("2026-07-18T17:00:00.000Z"))
    assert same_day.days_left == 1  # 00:00 on 19/07: it still runs until 08:00
    assert running([row], f"plot:{PLOT_A}", parse_time("2026-07-19T01:00:00.000Z")) == []
