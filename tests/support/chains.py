"""A supply chain the recall tests share: two harvests merged, shipped on and split."""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.world import (
    COLLECTOR,
    COLLECTOR_USER,
    FARMER_A,
    FARMER_B,
    PACKED_LONGAN,
    PACKER,
    PACKHOUSE,
    PLOT_B,
    RETAILER,
    SHOP,
    World,
    lot,
)

#: What every recall in these tests says and advises.
RECALL = {"reason": "Dư lượng vượt mức", "consumer_action": "Không ăn; trả lại cửa hàng."}


@dataclass
class Chain:
    """Two farms' harvests merged by the packhouse into one lot, all of which went to the
    collector, which sent part of it on to the retailer: like the demo's HP lots."""

    harvest_a: str
    harvest_b: str
    merged: str
    part: str


def chain(world: World) -> Chain:
    harvest_a = world.harvest(FARMER_A, quantity="300")
    harvest_b = world.harvest(FARMER_B, plot=PLOT_B, quantity="200")
    for who, lot_id, quantity in ((FARMER_A, harvest_a, "300"), (FARMER_B, harvest_b, "200")):
        world.ship(who, lot_id, quantity, PACKHOUSE)
        world.receive(PACKER, lot_id, quantity)
    merged = lot(PACKED_LONGAN, world.code("HP"))
    world.record(
        PACKER,
        "merge",
        {
            "inputs": [
                {"lot": harvest_a, "quantity": "300"},
                {"lot": harvest_b, "quantity": "200"},
            ],
            "output": merged,
        },
    )
    world.ship(PACKER, merged, "500", COLLECTOR)
    world.receive(COLLECTOR_USER, merged, "500")
    shipped = world.ship(COLLECTOR_USER, merged, "120", RETAILER)
    [part] = _shipped_lots(world, shipped.index)
    world.receive(SHOP, part, "120")
    return Chain(harvest_a, harvest_b, merged, part)


def _shipped_lots(world: World, index: int) -> list[str]:
    from ledger.tlog.canonical import envelope_of

    payload = envelope_of(world.log.entry(index).data)["payload"]
    return [payload["shipped_lot"]]
