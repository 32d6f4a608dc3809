"""Recalls and holds: what they reach and how they are lifted."""

from __future__ import annotations

import pytest

from ledger.supplychain.errors import (
    ForbiddenError,
    LotBlockedError,
    RuleViolationError,
)
from tests.ledger.supplychain.recording.helpers import lot_row
from tests.support.world import (
    AUDITOR,
    COLLECTOR,
    FARMER_A,
    PACKED_LONGAN,
    PACKER,
    PACKHOUSE,
    RETAILER,
    SHOP,
    World,
    lot,
)


def test_a_recall_reaches_every_descendant_and_is_lifted_by_the_authorities(world: World) -> None:
    harvested = world.harvest(quantity="100")
    world.ship(FARMER_A, harvested, "100", PACKHOUSE)
    world.receive(PACKER, harvested, "100")
    box = lot(PACKED_LONGAN, world.code("P"))
    world.record(PACKER, "pack", {"input": harvested, "outputs": [{"lot": box, "quantity": "90"}]})
    world.ship(PACKER, box, "90", RETAILER)
    world.record(SHOP, "retail_receive", {"lot": box, "quantity": "90"})
    recall = world.record(
        FARMER_A,
        "recall",
        {
            "lots": [harvested],
            "reason": "Dư lượng thuốc vượt ngưỡng",
            "consumer_action": "Không sử dụng, mang trả lại cửa hàng",
        },
    )
    assert lot_row(world, box).recall_entry == recall.index
    with pytest.raises(LotBlockedError, match="recalled"):
        world.record(SHOP, "sell", {"lot": box, "quantity": "1"})
    with pytest.raises(ForbiddenError):
        world.record(FARMER_A, "recall_lift", {"recall": recall.index, "reason": "x"})
    world.record(AUDITOR, "recall_lift", {"recall": recall.index, "reason": "Xét nghiệm lại đạt"})
    assert lot_row(world, box).recall_entry is None
    world.record(
        SHOP, "sell", {"lot": box, "quantity": "1", "price": {"amount": "85000", "currency": "VND"}}
    )
    with pytest.raises(RuleViolationError, match="already lifted"):
        world.record(AUDITOR, "recall_lift", {"recall": recall.index, "reason": "x"})


def test_two_recalls_and_two_holds_are_lifted_one_at_a_time(world: World) -> None:
    harvested = world.harvest(quantity="30")
    first = world.record(
        FARMER_A,
        "recall",
        {"lots": [harvested], "reason": "Nghi nhiễm", "consumer_action": "Không dùng"},
    )
    second = world.record(
        AUDITOR,
        "recall",
        {"lots": [harvested], "reason": "Kiểm tra lại", "consumer_action": "Không dùng"},
    )
    lifted = world.record(AUDITOR, "recall_lift", {"recall": first.index, "reason": "Đạt"})
    assert lot_row(world, harvested).recall_entry == second.index
    assert lifted.warnings
    with pytest.raises(LotBlockedError, match="recalled"):
        world.ship(FARMER_A, harvested, "30", COLLECTOR)
    world.record(AUDITOR, "recall_lift", {"lot": harvested, "reason": "Đạt"})
    assert lot_row(world, harvested).recall_entry is None
    fails = [
        world.record(
            FARMER_A,
            "inspect",
            {
                "lot": harvested,
                "analyte": analyte,
                "value": "1",
                "unit": "mg/kg",
                "lab": "Lab",
                "result": "fail",
            },
        )
        for analyte in ("Fipronil", "Chlorpyrifos")
    ]
    world.record(AUDITOR, "hold_release", {"lot": harvested, "reason": "Đạt"})
    assert lot_row(world, harvested).hold_entry == fails[0].index
    world.record(AUDITOR, "hold_release", {"lot": harvested, "reason": "Đạt"})
    assert lot_row(world, harvested).hold_entry is None
    world.ship(FARMER_A, harvested, "30", COLLECTOR)
