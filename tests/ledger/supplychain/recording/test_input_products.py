"""Events that name an input product: it exists, is active, is of the event's category, is
registered for the plot's crop, and the event carries its facts; each refusal names its field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ledger.supplychain.errors import FoodSafetyIntervalError
from ledger.supplychain.masterdata import MasterData
from tests.ledger.supplychain.recording.helpers import entry, place_flock, refusal
from tests.support.inputs import (
    ABAMECTIN,
    EMAMECTIN,
    ENROFLOXACIN,
    FEED,
    INPUTS,
    NEWCASTLE,
    NPK,
    setup_inputs,
    spray_of,
)
from tests.support.world import (
    ADMIN,
    CHICKEN_FARMER,
    FARMER_A,
    LOCATIONS,
    OTHER_FARMER,
    PLOT_A,
    PLOT_OTHER,
    World,
    gln,
)


@pytest.fixture(scope="module", autouse=True)
def inputs(world: World) -> None:
    setup_inputs(MasterData(world.log.engine, world.log.clock))


def treatment_of(code: str, flock: str, **changes: Any) -> dict[str, Any]:
    values = INPUTS[code]
    data = {
        "flock": flock,
        "input_product": code,
        "product": values["name"],
        "active_substance": ", ".join(
            f"{i['name']} {i['concentration']}" if i["concentration"] else i["name"]
            for i in values["active_ingredients"]
        ),
        "dose": "1",
        "dose_unit": values["dose_unit"],
        "withdrawal_days": values["withdrawal_days"],
        "vet": "vet-017",
    }
    data.update(changes)
    return data


def test_a_spray_with_its_products_facts_is_recorded_with_the_code_in_its_entry(
    world: World,
) -> None:
    recorded = world.record(FARMER_A, "farm_input.pesticide", spray_of(ABAMECTIN, PLOT_A))
    payload = entry(world.log, recorded.index)["payload"]
    assert payload["input_product"] == ABAMECTIN
    assert payload["active_ingredients"] == ["Abamectin 36 g/l"]
    with pytest.raises(FoodSafetyIntervalError, match=r"Reasgant 3\.6EC"):
        world.harvest(plot=PLOT_A)
    world.advance(days=7)


def test_case_and_spacing_of_the_copied_facts_do_not_matter_and_a_longer_interval_is_allowed(
    world: World,
) -> None:
    data = spray_of(
        ABAMECTIN,
        PLOT_A,
        product="REASGANT  3.6ec",
        active_ingredients=["abamectin 36 G/L"],
        phi_days=10,
    )
    world.record(FARMER_A, "farm_input.pesticide", data)
    world.advance(days=10)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"product": "Regent 800WG"}, "product"),
        ({"registration_no": "VN-9999/99"}, "registration_no"),
        ({"active_ingredients": ["Abamectin 18 g/l"]}, "active_ingredients"),
        ({"active_ingredients": ["Abamectin 36 g/l", "Fipronil"]}, "active_ingredients"),
        ({"phi_days": 3}, "phi_days"),
    ],
)
def test_a_spray_contradicting_its_product_is_refused_naming_the_field(
    world: World, changes: dict[str, Any], field: str
) -> None:
    error = refusal(world, FARMER_A, "farm_input.pesticide", spray_of(ABAMECTIN, PLOT_A, **changes))
    assert set(error.errors) == {field}
    assert ABAMECTIN in str(error.message)


def test_a_product_that_does_not_exist_or_is_inactive_is_refused(world: World) -> None:
    error = refusal(
        world, FARMER_A, "farm_input.pesticide", spray_of(ABAMECTIN, PLOT_A, input_product="nope")
    )
    assert set(error.errors) == {"input_product"}
    masterdata = MasterData(world.log.engine, world.log.clock)
    retired = "abamectin-old"
    masterdata.save(ADMIN, "input_product", retired, {**INPUTS[ABAMECTIN], "active": False}, "rút")
    error = refusal(
        world, FARMER_A, "farm_input.pesticide", spray_of(ABAMECTIN, PLOT_A, input_product=retired)
    )
    assert "no active input product abamectin-old" in str(error.message)


def test_a_pesticide_for_another_crop_is_refused(world: World) -> None:
    # Emamectin is registered for pink banana only; plot A grows longan.
    error = refusal(world, FARMER_A, "farm_input.pesticide", spray_of(EMAMECTIN, PLOT_A))
    assert set(error.errors) == {"input_product"}
    assert str(error.message) == "Tasieu 5WG (emamectin-5wg) is not registered for use on longan."
    world.record(OTHER_FARMER, "farm_input.pesticide", spray_of(EMAMECTIN, PLOT_OTHER))


def test_a_pesticide_on_a_plot_without_a_crop_is_refused_until_the_crop_is_recorded(
    world: World,
) -> None:
    plot = gln(140)
    masterdata = MasterData(world.log.engine, world.log.clock)
    values = {**LOCATIONS[PLOT_A], "name": "Vườn mới"}
    masterdata.save(ADMIN, "location", plot, values, "mới")
    error = refusal(world, FARMER_A, "farm_input.pesticide", spray_of(ABAMECTIN, plot))
    assert "has no crop" in str(error.message)
    masterdata.save(ADMIN, "location", plot, {**values, "crop": "fresh_longan"}, "trồng nhãn")
    world.record(FARMER_A, "farm_input.pesticide", spray_of(ABAMECTIN, plot))


def test_an_input_of_another_category_is_refused(world: World) -> None:
    error = refusal(
        world, FARMER_A, "farm_input.pesticide", spray_of(ABAMECTIN, PLOT_A, input_product=NPK)
    )
    assert (
        str(error.message)
        == "NPK 16-16-8 (npk-16-16-8) is a fertiliser; this event takes a pesticide."
    )
    flock = place_flock(world)
    error = refusal(
        world,
        CHICKEN_FARMER,
        "flock.treatment",
        treatment_of(ENROFLOXACIN, flock, input_product=NEWCASTLE),
    )
    assert set(error.errors) == {"input_product"}


def test_a_treatment_and_a_vaccination_check_their_substance_and_withdrawal_period(
    world: World,
) -> None:
    flock = place_flock(world)
    error = refusal(
        world,
        CHICKEN_FARMER,
        "flock.treatment",
        treatment_of(ENROFLOXACIN, flock, withdrawal_days=2),
    )
    assert set(error.errors) == {"withdrawal_days"}
    error = refusal(
        world,
        CHICKEN_FARMER,
        "flock.treatment",
        treatment_of(ENROFLOXACIN, flock, active_substance="Tylosin"),
    )
    assert set(error.errors) == {"active_substance"}
    treated = world.record(CHICKEN_FARMER, "flock.treatment", treatment_of(ENROFLOXACIN, flock))
    vaccinated = world.record(
        CHICKEN_FARMER, "flock.vaccination", treatment_of(NEWCASTLE, flock, withdrawal_days=0)
    )
    assert entry(world.log, vaccinated.index)["payload"]["input_product"] == NEWCASTLE
    assert entry(world.log, treated.index)["payload"]["active_substance"] == "Enrofloxacin 10%"


def test_fertiliser_and_feed_check_their_names_and_nutrients(world: World) -> None:
    base = {
        "plot": PLOT_A,
        "input_product": NPK,
        "product": "NPK 16-16-8",
        "quantity_kg": "40",
        "data_source": "measured",
    }
    world.record(FARMER_A, "farm_input.fertiliser", {**base, "n_pct": "16.0", "k_pct": "8"})
    error = refusal(world, FARMER_A, "farm_input.fertiliser", {**base, "k_pct": "16"})
    assert set(error.errors) == {"k_pct"}
    flock = place_flock(world)
    feed = {"flock": flock, "input_product": FEED, "quantity_kg": "100", "data_source": "measured"}
    world.record(CHICKEN_FARMER, "flock.feed", {**feed, "feed_type": "Cám gà thịt giai đoạn 2"})
    error = refusal(world, CHICKEN_FARMER, "flock.feed", {**feed, "feed_type": "Cám ngô"})
    assert set(error.errors) == {"feed_type"}


def test_the_interval_keeps_what_started_it(world: World) -> None:
    recorded = world.record(FARMER_A, "farm_input.pesticide", spray_of(ABAMECTIN, PLOT_A))
    with world.log.engine.connect() as connection:
        row = connection.exec_driver_sql(
            "SELECT event_type, input_product, active_ingredients FROM safety_interval"
            f" WHERE entry_idx = {recorded.index}"
        ).one()
    assert (row[0], row[1], json.loads(row[2])) == (
        "farm_input.pesticide",
        ABAMECTIN,
        ["Abamectin 36 g/l"],
    )
    world.advance(days=7)


def test_a_correction_may_not_contradict_the_product_the_spray_names(world: World) -> None:
    sprayed = world.record(FARMER_A, "farm_input.pesticide", spray_of(ABAMECTIN, PLOT_A))
    fix = {
        "corrects": sprayed.index,
        "corrected_type": "farm_input.pesticide",
        "reason": "Ghi nhầm",
    }
    error = refusal(world, FARMER_A, "correction", {**fix, "changes": {"registration_no": "VN-1"}})
    assert set(error.errors) == {"changes.registration_no"}
    world.record(FARMER_A, "correction", {**fix, "changes": {"dose": "20"}})
    world.advance(days=7)


def test_a_spray_typed_without_its_product_is_held_to_its_registrations_interval(
    world: World,
) -> None:
    """The API may send a spray's facts without choosing the product: if its registration
    number is on the list, its pre-harvest interval may not be shorter than registered."""
    typed = {k: v for k, v in spray_of(ABAMECTIN, PLOT_A).items() if k != "input_product"}
    shortened = refusal(world, FARMER_A, "farm_input.pesticide", {**typed, "phi_days": 0})
    assert list(shortened.errors) == ["phi_days"]
    assert "Reasgant 3.6EC" in str(shortened.errors["phi_days"][0])
    # Its own name for the product is no contradiction; the registered interval (or longer) is.
    world.record(FARMER_A, "farm_input.pesticide", {**typed, "product": "Reasgant (chai 240 ml)"})
    unlisted = {**typed, "registration_no": "VN-9999/26", "phi_days": 0}
    world.record(FARMER_A, "farm_input.pesticide", unlisted)  # not on the list: its own facts
