"""Food safety: pre-harvest intervals and withdrawal periods, on time and late."""

from __future__ import annotations

import json

import pytest

from ledger.supplychain.commands import Command
from ledger.supplychain.errors import (
    FoodSafetyIntervalError,
    ForbiddenError,
    LotBlockedError,
    RuleViolationError,
)
from tests.ledger.supplychain.recording.helpers import (
    lot_row,
    place_flock,
    spray,
    spray_data,
    treatment_data,
)
from tests.support.world import (
    AUDITOR,
    BUTCHER,
    CARCASS,
    CHICKEN_FARMER,
    FARMER_A,
    FARMER_B,
    FRESH_LONGAN,
    HOUSE,
    LIVE_CHICKEN,
    PACKED_LONGAN,
    PACKER,
    PACKHOUSE,
    PLOT_A,
    PLOT_B,
    RETAILER,
    SLAUGHTERHOUSE,
    World,
    lot,
)


def test_harvest_is_refused_within_a_pre_harvest_interval_naming_the_spray(world: World) -> None:
    sprayed = spray(world, plot=PLOT_B, who=FARMER_B, days=7)
    with pytest.raises(FoodSafetyIntervalError) as caught:
        world.harvest(who=FARMER_B, plot=PLOT_B)
    assert "Regent 800WG" in str(caught.value)
    assert f"entry {sprayed.index}" in str(caught.value)
    world.advance(days=7)
    world.harvest(who=FARMER_B, plot=PLOT_B)


def test_a_late_spray_covering_a_harvest_puts_its_lots_on_hold(world: World) -> None:
    harvested = world.harvest(quantity="500")
    packed = lot(PACKED_LONGAN, world.code("P"))
    world.ship(FARMER_A, harvested, "500", PACKHOUSE)
    world.receive(PACKER, harvested, "500")
    world.record(
        PACKER, "pack", {"input": harvested, "outputs": [{"lot": packed, "quantity": "400"}]}
    )
    late = spray(world, days=14, event_time=world.time(hours_ago=30))
    assert any(harvested in str(w) for w in late.warnings)
    assert lot_row(world, harvested).hold_entry == late.index
    assert lot_row(world, packed).hold_entry == late.index
    with pytest.raises(LotBlockedError, match="on hold"):
        world.ship(PACKER, packed, "10", RETAILER)
    with pytest.raises(ForbiddenError):
        world.record(PACKER, "hold_release", {"lot": harvested, "reason": "Đã xét nghiệm"})
    world.record(AUDITOR, "hold_release", {"lot": harvested, "reason": "Kết quả xét nghiệm đạt"})
    assert lot_row(world, packed).hold_entry is None
    world.ship(PACKER, packed, "10", RETAILER)
    world.advance(days=15)


def test_late_sprays_in_one_batch_hold_harvests_of_this_batch_and_of_earlier_ones(
    world: World,
) -> None:
    # The batch reads the plot's stored harvests ahead from its earliest spray on; a harvest made
    # in the same batch and one made before it must both be found.
    earlier = world.harvest(quantity="300", event_time=world.time(hours_ago=20))
    harvested_now = lot(FRESH_LONGAN, world.code("NH"))

    def late_spray(hours_ago: float) -> Command:
        data = spray_data()
        return world.command(
            "farm_input.pesticide", data, event_time=world.time(hours_ago=hours_ago)
        )

    harvest = world.command(
        "harvest",
        {"plot": PLOT_A, "lot": harvested_now, "quantity": "200", "data_source": "measured"},
        event_time=world.time(hours_ago=2),
    )
    recorded = world.recorder.record_batch(FARMER_A, [harvest, late_spray(5), late_spray(30)])
    assert lot_row(world, harvested_now).hold_entry == recorded[2].index
    assert lot_row(world, earlier).hold_entry == recorded[2].index
    assert any(earlier in str(w) for w in recorded[2].warnings)
    assert any(harvested_now in str(w) for w in recorded[1].warnings)
    world.advance(days=8)  # the module's later tests harvest this plot


def test_slaughter_waits_for_the_withdrawal_period_and_checks_the_yield(world: World) -> None:
    flock = lot(LIVE_CHICKEN, world.code("F"))
    world.record(
        CHICKEN_FARMER,
        "flock.placement",
        {"house": HOUSE, "lot": flock, "breed": "Gà Mía lai", "head_count": 500},
        event_time=world.time(days_ago=20),
    )
    world.record(
        CHICKEN_FARMER,
        "flock.loss",
        {"flock": flock, "count": 3, "cause": "mortality"},
    )
    treated = world.record(
        CHICKEN_FARMER,
        "flock.treatment",
        {
            "flock": flock,
            "product": "Enrofloxacin 10%",
            "active_substance": "Enrofloxacin",
            "dose": "1",
            "dose_unit": "ml/l nước",
            "withdrawal_days": 5,
            "vet": "vet-017",
        },
    )
    world.ship(CHICKEN_FARMER, flock, "497", SLAUGHTERHOUSE)
    world.receive(BUTCHER, flock, "497")
    carcass = lot(CARCASS, world.code("C"))
    slaughter = {"flock": flock, "head_count": 497, "lot": carcass, "carcass_kg": "720"}
    with pytest.raises(FoodSafetyIntervalError, match=f"entry {treated.index}"):
        world.record(BUTCHER, "slaughter", slaughter)
    world.advance(days=5)
    with pytest.raises(RuleViolationError, match="supervisor"):
        world.record(BUTCHER, "slaughter", {**slaughter, "carcass_kg": "2000"})
    world.record(BUTCHER, "slaughter", slaughter)
    assert lot_row(world, carcass).quantity == "720"
    assert lot_row(world, flock).quantity == "0"
    origin = json.loads(lot_row(world, carcass).origin)
    assert origin[0]["house"] == HOUSE


def test_a_withdrawal_period_follows_the_flock_into_split_and_repacked_lots(world: World) -> None:
    flock = place_flock(world)
    treated = world.record(CHICKEN_FARMER, "flock.treatment", treatment_data(flock, 28))
    [split] = world.ship(CHICKEN_FARMER, flock, "60", SLAUGHTERHOUSE).lots
    world.receive(BUTCHER, split, "60")
    repacked = lot(LIVE_CHICKEN, world.code("FR"))
    world.record(
        BUTCHER, "pack", {"input": split, "outputs": [{"lot": repacked, "quantity": "50"}]}
    )
    for candidate, heads in ((split, 10), (repacked, 50)):
        with pytest.raises(FoodSafetyIntervalError, match=f"entry {treated.index}"):
            world.record(
                BUTCHER,
                "slaughter",
                {
                    "flock": candidate,
                    "head_count": heads,
                    "lot": lot(CARCASS, world.code("C")),
                    "carcass_kg": str(heads * 1.5),
                },
            )
    world.advance(days=29)


def test_a_late_treatment_holds_carcasses_from_split_flocks(world: World) -> None:
    flock = place_flock(world, 120)
    [split] = world.ship(CHICKEN_FARMER, flock, "100", SLAUGHTERHOUSE).lots
    world.receive(BUTCHER, split, "100")
    carcass = lot(CARCASS, world.code("C"))
    world.record(
        BUTCHER,
        "slaughter",
        {"flock": split, "head_count": 100, "lot": carcass, "carcass_kg": "150"},
    )
    # The farm no longer holds the flock, but it raised it: it records the treatment late.
    late = world.record(
        CHICKEN_FARMER,
        "flock.treatment",
        treatment_data(flock, 10),
        event_time=world.time(hours_ago=48),
    )
    assert lot_row(world, carcass).hold_entry == late.index
    assert any(carcass in str(w) for w in late.warnings)
