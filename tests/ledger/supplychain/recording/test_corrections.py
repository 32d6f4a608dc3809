"""Corrections: the entry they name, and the balances they move."""

from __future__ import annotations

import pytest

from ledger.supplychain.commands import Command
from ledger.supplychain.errors import (
    ForbiddenError,
    LotBlockedError,
    RuleViolationError,
)
from ledger.tlog.errors import BatchError
from tests.ledger.supplychain.recording.helpers import (
    entry,
    lot_row,
)
from tests.support.world import (
    COLLECTOR,
    COLLECTOR_USER,
    FARMER_A,
    FARMER_B,
    FRESH_LONGAN,
    OTHER_FARMER,
    PLOT_A,
    PLOT_B,
    World,
    lot,
)


def test_a_correction_adjusts_the_balance_and_is_refused_when_it_cannot(world: World) -> None:
    harvested = world.harvest(quantity="100")
    original = lot_row(world, harvested).created_entry
    world.ship(FARMER_A, harvested, "80", COLLECTOR)
    correction = {
        "corrects": original,
        "corrected_type": "harvest",
        "reason": "Cân sai",
        "changes": {"quantity": "70"},
    }
    with pytest.raises(RuleViolationError) as caught:
        world.record(FARMER_A, "correction", correction)
    assert harvested in str(caught.value)
    corrected = world.record(
        FARMER_A, "correction", {**correction, "changes": {"quantity": "95.0"}}
    )
    assert lot_row(world, harvested).quantity == "15"
    assert lot_row(world, harvested).created_quantity == "95"
    stored = entry(world.log, corrected.index)["payload"]
    assert stored["changes"] == {"quantity": "95"}
    assert stored["original_leaf_hash"] == world.log.entry(original).leaf_hash.hex()
    again = world.record(FARMER_A, "correction", {**correction, "changes": {"quantity": "96"}})
    assert lot_row(world, harvested).quantity == "16"
    assert again.index > corrected.index
    with pytest.raises(RuleViolationError, match="cannot be corrected"):
        world.record(FARMER_A, "correction", {**correction, "changes": {"plot": PLOT_B}})
    with pytest.raises(ForbiddenError):
        world.record(FARMER_B, "correction", correction)


def test_a_correction_names_its_entry_by_key_of_an_earlier_batch_not_of_its_own(
    world: World,
) -> None:
    def harvest_command(key: str, quantity: str) -> Command:
        data = {
            "plot": PLOT_A,
            "lot": lot(FRESH_LONGAN, world.code("K")),
            "quantity": quantity,
            "data_source": "measured",
        }
        return world.command("harvest", data, idempotency_key=key)

    def correct(key: str, quantity: str) -> Command:
        data = {
            "corrects_key": key,
            "corrected_type": "harvest",
            "reason": "Cân sai",
            "changes": {"quantity": quantity},
        }
        return world.command("correction", data)

    earlier_key, same_batch_key = world.code("earlier-"), world.code("same-")
    earlier = world.recorder.record(FARMER_A, harvest_command(earlier_key, "50"))
    batch = [
        correct(earlier_key, "51"),
        harvest_command(same_batch_key, "30"),
        correct(same_batch_key, "31"),
    ]
    size = world.log.size()
    with pytest.raises(BatchError) as caught:
        world.recorder.record_batch(FARMER_A, batch)
    assert caught.value.line == 3
    assert "same batch" in str(caught.value.cause)
    assert world.log.size() == size
    first, second = world.recorder.record_batch(FARMER_A, batch[:2])
    fix_second = world.recorder.record(FARMER_A, batch[2])
    assert entry(world.log, first.index)["payload"]["corrects"] == earlier.index
    assert entry(world.log, fix_second.index)["payload"]["corrects"] == second.index
    assert lot_row(world, earlier.lots[0]).quantity == "51"
    assert lot_row(world, second.lots[0]).quantity == "31"
    with pytest.raises(RuleViolationError, match="no event with the idempotency key"):
        world.recorder.record(FARMER_A, correct(world.code("never-"), "1"))
    # Another organisation's key names nothing of this one.
    with pytest.raises(RuleViolationError, match="no event with the idempotency key"):
        world.recorder.record(OTHER_FARMER, correct(earlier_key, "52"))


def test_quantity_corrections_respect_custody(world: World) -> None:
    harvested = world.harvest(quantity="100")
    sale = world.record(FARMER_A, "sell", {"lot": harvested, "quantity": "10"})
    world.ship(FARMER_A, harvested, "90", COLLECTOR)
    correction = {
        "corrects": sale.index,
        "corrected_type": "sell",
        "reason": "Ghi nhầm",
        "changes": {"quantity": "1"},
    }
    with pytest.raises(LotBlockedError, match="in transit"):
        world.record(FARMER_A, "correction", correction)
    world.receive(COLLECTOR_USER, harvested, "90")
    with pytest.raises(ForbiddenError, match="only its holder"):
        world.record(FARMER_A, "correction", correction)
    assert lot_row(world, harvested).quantity == "90"
