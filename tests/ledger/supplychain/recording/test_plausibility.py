"""Plausibility bounds per product: beyond them a harvest, weighing or slaughter needs a reason."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ledger.supplychain.errors import ImplausibleQuantityError, RuleViolationError
from ledger.supplychain.masterdata import MasterData
from ledger.supplychain.recording.plausibility import harvest_limit, per_head_limit
from tests.ledger.supplychain.recording.helpers import entry, place_flock, refusal
from tests.support.inputs import setup_inputs
from tests.support.world import (
    ADMIN,
    BANANA,
    BUTCHER,
    CARCASS,
    CHICKEN_FARMER,
    FARMER_A,
    FRESH_LONGAN,
    LOCATIONS,
    OTHER_FARMER,
    PLOT_A,
    PLOT_OTHER,
    SLAUGHTERHOUSE,
    World,
    lot,
)


@pytest.fixture(scope="module", autouse=True)
def inputs(world: World) -> None:
    setup_inputs(MasterData(world.log.engine, world.log.clock))


def refused(world: World, who: Any, type_: str, data: dict[str, Any]) -> ImplausibleQuantityError:
    return refusal(world, who, type_, data, ImplausibleQuantityError)


def harvest_data(quantity: str, world: World, **extra: Any) -> dict[str, Any]:
    return {
        "plot": PLOT_A,
        "lot": lot(FRESH_LONGAN, world.code("NH")),
        "quantity": quantity,
        "data_source": "measured",
        **extra,
    }


def test_a_harvest_up_to_the_bound_times_the_area_is_recorded_and_beyond_it_refused(
    world: World,
) -> None:
    # Plot A: 0.8 ha; fresh longan at most 25,000 kg per ha, so 20,000 kg.
    world.record(FARMER_A, "harvest", harvest_data("20000", world))
    error = refused(world, FARMER_A, "harvest", harvest_data("20000.001", world))
    assert set(error.errors) == {"quantity"}
    assert error.message.params["bound"] == 25000
    assert "20000.001 kg" in str(error.message)
    assert "25000 kg per ha" in str(error.message)


def test_the_largest_quantity_the_schema_takes_is_still_refused_without_a_reason(
    world: World,
) -> None:
    """999,999,999,999 kg is past what any kg quantity may be (the schema refuses it, 400);
    the largest the schema takes, 100,000 tonnes, from a plot of 0.8 ha is refused here."""
    with pytest.raises(Exception, match="quantity") as caught:
        world.record(FARMER_A, "harvest", harvest_data("999999999999", world))
    assert not isinstance(caught.value, RuleViolationError)
    refused(world, FARMER_A, "harvest", harvest_data("100000000", world))


def test_a_reason_records_it_with_the_reason_and_the_bound_in_the_entry(world: World) -> None:
    reason = "Cân cả hai đợt thu trong ngày"
    recorded = world.record(
        FARMER_A, "harvest", harvest_data("30000", world, plausibility_reason=reason)
    )
    payload = entry(world.log, recorded.index)["payload"]
    assert payload["plausibility_reason"] == reason
    assert payload["plausibility_bound"] == {"field": "quantity", "bound": "25000"}
    ordinary = world.record(FARMER_A, "harvest", harvest_data("10", world))
    assert "plausibility_bound" not in entry(world.log, ordinary.index)["payload"]


def test_each_product_has_its_own_bound(world: World) -> None:
    # Pink banana at most 60,000 kg per ha; the plot has 0.5 ha.
    data = {
        "plot": PLOT_OTHER,
        "lot": lot(BANANA, world.code("CH")),
        "quantity": "30000",
        "data_source": "measured",
    }
    world.record(OTHER_FARMER, "harvest", data)
    refused(
        world,
        OTHER_FARMER,
        "harvest",
        {**data, "lot": lot(BANANA, world.code("CH")), "quantity": "30001"},
    )


def test_a_plot_without_an_area_or_a_product_without_a_bound_is_not_checked(
    world: World,
) -> None:
    masterdata = MasterData(world.log.engine, world.log.clock)
    values = {key: value for key, value in LOCATIONS[PLOT_A].items() if key != "area_ha"}
    masterdata.save(ADMIN, "location", PLOT_A, {**values, "crop": "fresh_longan"}, "đo lại")
    try:
        world.record(FARMER_A, "harvest", harvest_data("90000", world))
    finally:
        masterdata.save(
            ADMIN, "location", PLOT_A, {**LOCATIONS[PLOT_A], "crop": "fresh_longan"}, "đã đo"
        )


def weighing(flock: str, mean: str, **extra: Any) -> dict[str, Any]:
    return {"flock": flock, "mean_kg": mean, "sample_size": 30, "data_source": "measured", **extra}


def test_a_weighing_of_birds_heavier_than_the_bound_needs_a_reason(world: World) -> None:
    flock = place_flock(world)
    world.record(CHICKEN_FARMER, "flock.weighing", weighing(flock, "3.5"))
    error = refused(world, CHICKEN_FARMER, "flock.weighing", weighing(flock, "35"))
    assert set(error.errors) == {"mean_kg"}
    assert "3.5 kg per bird" in str(error.message)
    world.record(
        CHICKEN_FARMER,
        "flock.weighing",
        weighing(flock, "3.8", plausibility_reason="Gà trống thiến nuôi 6 tháng"),
    )


def test_a_slaughter_of_carcasses_heavier_than_the_bound_needs_a_reason(world: World) -> None:
    flock = place_flock(world, 100)
    world.ship(CHICKEN_FARMER, flock, "100", SLAUGHTERHOUSE)
    world.receive(BUTCHER, flock, "100")
    # 2.7 kg per bird: inside the configured yield range (up to 2.8) but above the product's 2.6.
    data = {
        "flock": flock,
        "head_count": 50,
        "lot": lot(CARCASS, world.code("C")),
        "carcass_kg": "135",
    }
    error = refused(world, BUTCHER, "slaughter", data)
    assert set(error.errors) == {"carcass_kg"}
    world.record(BUTCHER, "slaughter", {**data, "plausibility_reason": "Gà trống lớn"})
    world.record(
        BUTCHER,
        "slaughter",
        {
            "flock": flock,
            "head_count": 50,
            "lot": lot(CARCASS, world.code("C")),
            "carcass_kg": "130",
        },
    )


def correction(index: int, type_: str, **changes: Any) -> dict[str, Any]:
    return {"corrects": index, "corrected_type": type_, "reason": "Cân lại", "changes": changes}


def test_a_correction_is_held_to_the_same_bound(world: World) -> None:
    data = harvest_data("1000", world)
    original = world.record(FARMER_A, "harvest", data)
    error = refused(
        world, FARMER_A, "correction", correction(original.index, "harvest", quantity="20001")
    )
    assert set(error.errors) == {"changes.quantity"}
    world.record(
        FARMER_A,
        "correction",
        correction(
            original.index, "harvest", quantity="20001", plausibility_reason="Gộp hai lần cân"
        ),
    )
    # Its reason stays with the harvest: a later correction beyond the bound needs no other.
    world.record(FARMER_A, "correction", correction(original.index, "harvest", quantity="20002"))
    flock = place_flock(world)
    weighed = world.record(CHICKEN_FARMER, "flock.weighing", weighing(flock, "2.1"))
    error = refused(
        world,
        CHICKEN_FARMER,
        "correction",
        correction(weighed.index, "flock.weighing", mean_kg="21"),
    )
    assert set(error.errors) == {"changes.mean_kg"}


def test_a_form_reads_the_same_limits_from_the_records_it_shows() -> None:
    plot = {"gln": PLOT_A, "area_ha": "0.8"}
    longan = {"kind": "fresh_longan", "max_harvest_kg_per_ha": "25000"}
    assert harvest_limit(plot, longan) == Decimal("20000.0")
    assert harvest_limit({"area_ha": None}, longan) is None
    assert harvest_limit({"area_ha": "0"}, longan) is None
    assert harvest_limit(plot, {"max_harvest_kg_per_ha": None}) is None
    chicken = {"max_live_kg_per_head": "3.5", "max_carcass_kg_per_head": None}
    assert per_head_limit(chicken, "flock.weighing") == Decimal("3.5")
    assert per_head_limit(chicken, "slaughter") is None
