"""Who may recall what, and who may act where: the rules food-safety law gives operators.

An authority recalls any lot and all that came of it; the organisation that created a lot
recalls it and all that came of it; a holder that did not create a lot withdraws only its own
stock, and may ask the creator to recall the rest. Events at a site are recorded by its owner,
the owner's cooperative or members, and the clients the owner lists.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from ledger.common.errors import ConflictError
from ledger.supplychain.errors import ForbiddenError, LotBlockedError, RuleViolationError
from ledger.supplychain.journey import journey
from ledger.supplychain.masterdata import MasterData
from ledger.supplychain.recalls import open_requests_on, requests_for
from ledger.supplychain.tables import LOT, RECALL_REQUEST
from tests.support.chains import RECALL, chain
from tests.support.world import (
    ADMIN,
    AUDITOR,
    COLD_STORE,
    COLLECTOR,
    COLLECTOR_USER,
    COOPERATIVE,
    FARMER_A,
    FARMER_B,
    OTHER_FARMER,
    PACKED_LONGAN,
    PACKER,
    PACKHOUSE,
    PLOT_B,
    RETAILER,
    SHOP,
    STORE,
    World,
    gln,
    lot,
    principal,
)

COOPERATIVE_USER = principal("farmer", COOPERATIVE, 11)


def row(world: World, lot_id: str) -> Any:
    with world.log.engine.connect() as connection:
        return connection.execute(sa.select(LOT).where(LOT.c.id == lot_id)).one()


def test_a_lot_knows_who_created_it_and_a_split_off_part_keeps_it(world: World) -> None:
    made = chain(world)
    assert row(world, made.harvest_a).creator == FARMER_A.organisation
    assert row(world, made.merged).creator == PACKHOUSE
    assert row(world, made.part).creator == PACKHOUSE  # split off by the collector's shipment


def test_a_farmer_cannot_recall_a_merged_lot_it_neither_created_nor_holds(world: World) -> None:
    made = chain(world)
    with pytest.raises(ForbiddenError, match="neither created nor holds") as refused:
        world.record(FARMER_A, "recall", {"lots": [made.merged], **RECALL})
    assert made.merged in str(refused.value)
    assert row(world, made.merged).recall_entry is None


def test_a_farmer_recalls_its_harvest_and_with_it_everything_made_from_it(world: World) -> None:
    made = chain(world)
    recall = world.record(FARMER_A, "recall", {"lots": [made.harvest_a], **RECALL})
    for lot_id in (made.harvest_a, made.merged, made.part):
        assert row(world, lot_id).recall_entry == recall.index
    assert row(world, made.harvest_b).recall_entry is None  # the other farm's own lot
    with pytest.raises(LotBlockedError, match="recalled"):
        world.record(SHOP, "sell", {"lot": made.part, "quantity": "1"})
    [notice] = journey(world.log, made.part)["recalls"]
    assert notice["capacity"] == "producer"
    assert notice["this_lot"] is False
    assert [source["lot"] for source in notice["from_lots"]] == [made.harvest_a]
    # A household is named by its cooperative, never by the person's name.
    assert notice["from_lots"][0]["producer"] == "HTX Nhãn lồng Tiên Lữ"
    assert notice["by"] == "HTX Nhãn lồng Tiên Lữ"


def test_a_cooperative_recalls_what_its_member_farms_created(world: World) -> None:
    harvested = world.harvest(FARMER_B, plot=PLOT_B, quantity="50")
    recall = world.record(COOPERATIVE_USER, "recall", {"lots": [harvested], **RECALL})
    assert row(world, harvested).recall_entry == recall.index


def test_a_holder_withdraws_only_its_own_stock(world: World) -> None:
    """The collector holds the rest of the packhouse's lot; the retailer holds a part of it.
    The collector's recall withdraws its own stock and blocks nothing of the retailer's."""
    made = chain(world)
    withdrawal = world.record(COLLECTOR_USER, "recall", {"lots": [made.merged], **RECALL})
    assert row(world, made.merged).recall_entry == withdrawal.index
    assert row(world, made.part).recall_entry is None
    assert any("own stock" in str(warning) for warning in withdrawal.warnings)
    world.record(SHOP, "sell", {"lot": made.part, "quantity": "1"})  # not blocked
    assert journey(world.log, made.part)["recalls"] == []  # nor shown on its page
    [notice] = journey(world.log, made.merged)["recalls"]
    assert (notice["capacity"], notice["this_lot"]) == ("holder", True)
    # The retailer neither created nor holds the collector's remainder.
    with pytest.raises(ForbiddenError, match="neither created nor holds"):
        world.record(SHOP, "recall", {"lots": [made.merged], **RECALL})


def test_a_holder_asks_the_creator_who_confirms_and_the_recall_covers_every_part(
    world: World,
) -> None:
    made = chain(world)
    request = world.record(
        SHOP,
        "recall.request",
        {
            "lot": made.merged,
            "reason": "Khách phản ánh nhãn có mùi lạ",
            "consumer_action": "Trả lại",
        },
    )
    # Nothing is blocked yet, and the holders of the other parts see the request.
    assert row(world, made.merged).recall_entry is None
    assert row(world, made.part).recall_entry is None
    assert [r["entry"] for r in open_requests_on(world.log.engine, made.part)] == [request.index]
    assert [r["entry"] for r in requests_for(world.log.engine, COLLECTOR_USER)] == [request.index]
    assert [r["entry"] for r in requests_for(world.log.engine, PACKER)] == [request.index]
    assert requests_for(world.log.engine, OTHER_FARMER) == []
    with pytest.raises(ConflictError, match="already asked"):
        world.record(SHOP, "recall.request", {"lot": made.merged, "reason": "lần nữa"})
    # Only the creator (or an authority) decides.
    with pytest.raises(ForbiddenError, match="creator of lot"):
        world.record(COLLECTOR_USER, "recall", {"request": request.index})
    confirmed = world.record(PACKER, "recall", {"request": request.index})
    for lot_id in (made.merged, made.part):
        assert row(world, lot_id).recall_entry == confirmed.index
    assert row(world, made.harvest_a).recall_entry is None  # the farms' lots are not its
    with world.log.engine.connect() as connection:
        decided = connection.execute(
            sa.select(RECALL_REQUEST).where(RECALL_REQUEST.c.entry_idx == request.index)
        ).one()
    assert (decided.resolution, decided.resolved_entry) == ("confirmed", confirmed.index)
    [notice] = journey(world.log, made.part)["recalls"]
    assert notice["reason"] == "Khách phản ánh nhãn có mùi lạ"
    assert notice["consumer_action"] == "Trả lại"
    with pytest.raises(RuleViolationError, match="already decided"):
        world.record(PACKER, "recall.dismiss", {"request": request.index, "reason": "muộn"})


def test_a_request_is_dismissed_with_a_reason_and_blocks_nothing(world: World) -> None:
    made = chain(world)
    request = world.record(SHOP, "recall.request", {"lot": made.merged, "reason": "Nghi ngờ"})
    with pytest.raises(ForbiddenError, match="creator of lot"):
        world.record(SHOP, "recall.dismiss", {"request": request.index, "reason": "tự bác"})
    world.record(AUDITOR, "recall.dismiss", {"request": request.index, "reason": "Mẫu đạt"})
    assert open_requests_on(world.log.engine, made.part) == []
    assert row(world, made.part).recall_entry is None
    [dismissed] = requests_for(world.log.engine, SHOP, "dismissed")
    assert dismissed["entry"] == request.index


def test_who_may_not_request_a_recall(world: World) -> None:
    made = chain(world)
    with pytest.raises(ForbiddenError, match="holds no part"):
        world.record(OTHER_FARMER, "recall.request", {"lot": made.merged, "reason": "x"})
    with pytest.raises(RuleViolationError, match="may recall lot"):
        world.record(PACKER, "recall.request", {"lot": made.merged, "reason": "x"})


def test_an_authority_recalls_any_lot_and_everything_made_from_it(world: World) -> None:
    made = chain(world)
    recall = world.record(AUDITOR, "recall", {"lots": [made.harvest_b], **RECALL})
    for lot_id in (made.harvest_b, made.merged, made.part):
        assert row(world, lot_id).recall_entry == recall.index
    [notice] = journey(world.log, made.part)["recalls"]
    assert notice["capacity"] == "authority"


def test_lots_created_and_lots_only_held_are_recalled_apart(world: World) -> None:
    made = chain(world)
    bought = world.harvest(FARMER_A, quantity="10")
    world.ship(FARMER_A, bought, "10", COLLECTOR)
    world.receive(COLLECTOR_USER, bought, "10")
    own = lot(PACKED_LONGAN, world.code("TG"))
    world.record(
        COLLECTOR_USER, "pack", {"input": bought, "outputs": [{"lot": own, "quantity": "10"}]}
    )
    with pytest.raises(RuleViolationError, match="separate recalls"):
        world.record(COLLECTOR_USER, "recall", {"lots": [made.merged, own], **RECALL})


# --- acting at someone else's site -------------------------------------------------------------


def _retail_lot(world: World) -> str:
    harvested = world.harvest(FARMER_A, quantity="40")
    world.ship(FARMER_A, harvested, "40", RETAILER)
    world.receive(SHOP, harvested, "40")
    return harvested


def test_a_lot_is_stored_only_at_a_site_the_holder_may_use(world: World) -> None:
    held = _retail_lot(world)
    store = {"lot": held, "direction": "in", "site": COLD_STORE}
    with pytest.raises(ForbiddenError) as refused:
        world.record(SHOP, "store", store)
    message = str(refused.value)
    for named in ("Kho lạnh Hưng Long", COLD_STORE, "Thu gom Hưng Long", COLLECTOR):
        assert named in message  # the site and its owner, by name and GLN
    world.record(SHOP, "store", {**store, "site": STORE})  # its own shop is fine
    for kind, data in (
        (
            "energy_use",
            {
                "location": COLD_STORE,
                "kwh": "5",
                "energy_source": "grid",
                "data_source": "measured",
            },
        ),
        ("inspect", {"site": COLD_STORE, "analyte": "x", "value": "1", "unit": "mg", "lab": "y"}),
    ):
        with pytest.raises(ForbiddenError, match="may act only at its own sites"):
            world.record(SHOP, kind, {**data, **({"result": "pass"} if kind == "inspect" else {})})


def test_a_site_owner_lists_its_clients_who_may_then_act_there(world: World) -> None:
    held = _retail_lot(world)
    data = MasterData(world.log.engine, world.log.clock)
    with pytest.raises(ForbiddenError, match="owner of"):
        data.save_clients(SHOP, COLD_STORE, [RETAILER], "tự cho phép")
    saved = data.save_clients(COLLECTOR_USER, COLD_STORE, [RETAILER], "Hợp đồng thuê kho 2026")
    world.record(SHOP, "store", {"lot": held, "direction": "in", "site": COLD_STORE})
    versions = data.versions("location", COLD_STORE, ADMIN)
    assert versions[-1]["version"] == saved.version
    assert (versions[-1]["data"]["clients"], versions[-1]["reason"]) == (
        RETAILER,
        "Hợp đồng thuê kho 2026",
    )
    data.save_clients(ADMIN, COLD_STORE, [], "Hết hợp đồng")
    with pytest.raises(ForbiddenError):
        world.record(SHOP, "store", {"lot": held, "direction": "out", "site": COLD_STORE})


def test_members_act_at_their_cooperatives_sites_and_others_do_not(world: World) -> None:
    site = gln(120)
    MasterData(world.log.engine, world.log.clock).save(
        ADMIN,
        "location",
        site,
        {"organisation": COOPERATIVE, "kind": "warehouse", "name": "Kho HTX"},
        "kho chung của HTX",
    )
    use = {"location": site, "kwh": "3", "energy_source": "grid", "data_source": "measured"}
    world.record(FARMER_A, "energy_use", use)
    world.record(COOPERATIVE_USER, "energy_use", use)
    with pytest.raises(ForbiddenError, match="Kho HTX"):
        world.record(OTHER_FARMER, "energy_use", use)


def test_a_refusal_names_a_household_and_its_plot_by_gln_only(world: World) -> None:
    with pytest.raises(ForbiddenError) as refused:
        world.record(
            OTHER_FARMER,
            "farm_input.irrigation",
            {"plot": PLOT_B, "volume_m3": "2", "data_source": "measured"},
        )
    message = str(refused.value)
    assert PLOT_B in message
    assert "Bình" not in message  # neither the plot's nor the household's name
