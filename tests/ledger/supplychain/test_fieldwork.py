"""What the field pages list, on both databases: an organisation's own sites, the lots it
holds, what is on its way to it, what is on hold, and whom a farm may hand over to."""

from __future__ import annotations

import pytest

from ledger.supplychain.fieldwork import FieldWork
from tests.support.world import (
    BANANA,
    COLLECTOR,
    COLLECTOR_USER,
    COOPERATIVE,
    FARM_A,
    FARM_B,
    FARMER_A,
    FRESH_LONGAN,
    PACKHOUSE,
    PLOT_A,
    SLAUGHTERHOUSE,
    World,
    lot,
)

pytestmark = pytest.mark.timeout(60)


def _ship(world: World, lot_id: str, quantity: str) -> None:
    world.record(
        FARMER_A,
        "ship",
        {
            "lot": lot_id,
            "quantity": quantity,
            "receiver": COLLECTOR,
            "vehicle_class": "van",
            "refrigerated": False,
            "distance_km": "12",
            "transport_document": "PX-9",
            "data_source": "measured",
        },
    )


def test_the_lists_of_a_farm_and_of_its_buyer(world: World) -> None:
    work = FieldWork(world.log.engine)
    kept, shipped = lot(FRESH_LONGAN, "FW-KEPT"), lot(FRESH_LONGAN, "FW-SHIPPED")
    for lot_id in (kept, shipped):
        world.record(
            FARMER_A,
            "harvest",
            {"plot": PLOT_A, "lot": lot_id, "quantity": "30", "data_source": "measured"},
        )
    _ship(world, shipped, "30")
    assert [site.gln for site in work.sites(FARM_A)] == [PLOT_A]
    assert work.sites(FARM_A, ("chicken_house",)) == []
    assert work.sites(FARM_B, ("farm_plot",))[0].name == "Vườn nhãn Bình"
    held = work.held_lots(FARM_A, today="2026-07-15")
    assert [line.id for line in held] == [kept]
    assert held[0].product("vi") == "Nhãn lồng tươi"
    assert held[0].quantity == "30"
    assert work.held_lots(FARM_A, (BANANA,)) == []  # kinds, not GTINs: none is a GTIN
    assert [line.kind for line in work.held_lots(FARM_A, ("fresh_longan",))] == ["fresh_longan"]
    assert [line.id for line in work.incoming(COLLECTOR)] == [shipped]
    assert work.incoming(FARM_A) == []
    assert work.blocked(FARM_A) == []
    world.record(
        FARMER_A,
        "recall",
        {"lots": [kept], "reason": "Dư lượng thuốc", "consumer_action": "Không ăn"},
    )
    blocked = work.blocked(FARM_A, "2026-07-15")
    assert [(line.id, line.status) for line in blocked] == [(kept, "recalled")]
    assert work.lot(kept) is not None
    assert work.lot(lot(FRESH_LONGAN, "NO-SUCH")) is None
    assert COLLECTOR_USER.organisation == COLLECTOR


def test_a_farm_hands_over_to_processors_and_traders_never_to_farms(world: World) -> None:
    work = FieldWork(world.log.engine)
    found = {party.gln for party in work.parties(("processor", "distributor"), exclude=PACKHOUSE)}
    assert {COLLECTOR, SLAUGHTERHOUSE} <= found
    assert PACKHOUSE not in found
    assert not found & {FARM_A, FARM_B, COOPERATIVE}
    assert work.organisation_name(FARM_A) == "Hộ Nguyễn Văn An"
    assert work.organisation_name(None) is None
    assert work.organisation_name("8930000009999") is None
