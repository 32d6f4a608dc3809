"""Tracing lots back to their plots and inputs and forward to every descendant; lot reads."""

from __future__ import annotations

import pytest

from ledger.common.errors import NotFoundError
from ledger.supplychain import lots
from ledger.supplychain.trace import trace_back, trace_forward
from tests.support.world import (
    DRIED_LONGAN,
    FARM_B,
    FARMER_A,
    FARMER_B,
    FRESH_LONGAN,
    PACKED_LONGAN,
    PACKER,
    PACKHOUSE,
    PLOT_A,
    PLOT_B,
    RETAILER,
    SHOP,
    World,
    lot,
)


@pytest.fixture(scope="module")
def season(world: World) -> dict[str, str]:
    world.record(
        FARMER_A,
        "farm_input.fertiliser",
        {
            "plot": PLOT_A,
            "product": "NPK 16-16-8",
            "n_pct": "16",
            "p_pct": "16",
            "k_pct": "8",
            "quantity_kg": "50",
            "data_source": "measured",
        },
        event_time=world.time(days_ago=20),
    )
    world.record(
        FARMER_B,
        "farm_input.irrigation",
        {"plot": PLOT_B, "volume_m3": "12.5", "data_source": "estimated"},
        event_time=world.time(days_ago=10),
    )
    a = world.harvest(quantity="300")
    b = world.harvest(who=FARMER_B, plot=PLOT_B, quantity="200")
    world.ship(FARMER_A, a, "300", PACKHOUSE)
    world.ship(FARMER_B, b, "200", PACKHOUSE)
    world.receive(PACKER, a, "300")
    world.receive(PACKER, b, "200")
    merged = lot(FRESH_LONGAN, "MERGE-1")
    world.record(
        PACKER,
        "merge",
        {
            "inputs": [{"lot": a, "quantity": "300"}, {"lot": b, "quantity": "100"}],
            "output": merged,
        },
    )
    box = lot(PACKED_LONGAN, "BOX-1")
    world.record(PACKER, "pack", {"input": merged, "outputs": [{"lot": box, "quantity": "350"}]})
    dried = lot(DRIED_LONGAN, "DRY-1")
    world.record(
        PACKER,
        "transform",
        {
            "kind": "drying",
            "inputs": [{"lot": b, "quantity": "100"}],
            "output": dried,
            "output_quantity": "15",
        },
    )
    world.ship(PACKER, box, "100", RETAILER)
    world.record(SHOP, "retail_receive", {"lot": lot(PACKED_LONGAN, "BOX-1-1"), "quantity": "100"})
    return {"a": a, "b": b, "merged": merged, "box": box, "dried": dried}


def test_trace_back_reaches_both_plots_and_their_inputs(
    world: World, season: dict[str, str]
) -> None:
    shelf = lot(PACKED_LONGAN, "BOX-1-1")
    trace = trace_back(world.log.engine, shelf)
    ids = [item["id"] for item in trace["lots"]]
    assert ids[0] == shelf
    assert set(ids) == {shelf, season["box"], season["merged"], season["a"], season["b"]}
    origins = {origin["source"]: origin for origin in trace["origins"]}
    assert set(origins) == {f"plot:{PLOT_A}", f"plot:{PLOT_B}"}
    assert [i["type"] for i in origins[f"plot:{PLOT_A}"]["inputs"]] == ["farm_input.fertiliser"]
    assert [i["type"] for i in origins[f"plot:{PLOT_B}"]["inputs"]] == ["farm_input.irrigation"]
    assert origins[f"plot:{PLOT_B}"]["facts"][0]["producer"] == FARM_B
    assert not trace["truncated"]


def test_trace_forward_finds_every_descendant_and_where_it_is(
    world: World, season: dict[str, str]
) -> None:
    trace = trace_forward(world.log.engine, season["b"])
    ids = {item["id"] for item in trace["lots"]}
    assert ids == {
        season["b"],
        season["merged"],
        season["box"],
        season["dried"],
        lot(PACKED_LONGAN, "BOX-1-1"),
    }
    assert RETAILER in trace["holders"]
    assert {(e["parent"], e["child"]) for e in trace["edges"]} >= {
        (season["b"], season["merged"]),
        (season["b"], season["dried"]),
    }


def test_unknown_lots_cannot_be_traced(world: World) -> None:
    with pytest.raises(NotFoundError):
        trace_back(world.log.engine, lot(FRESH_LONGAN, "NONE"))
    with pytest.raises(NotFoundError):
        trace_forward(world.log.engine, lot(FRESH_LONGAN, "NONE"))


def test_search_pages_through_lots_by_product_and_holder(
    world: World, season: dict[str, str]
) -> None:
    page, cursor = lots.search(world.log.engine, lots.LotQuery(gtin=FRESH_LONGAN, limit=2))
    assert len(page) == 2
    assert cursor == page[-1]["id"]
    rest, end = lots.search(
        world.log.engine, lots.LotQuery(gtin=FRESH_LONGAN, after=cursor, limit=50)
    )
    assert end is None
    assert {item["id"] for item in page + rest} == {season["a"], season["b"], season["merged"]}
    held, _ = lots.search(world.log.engine, lots.LotQuery(holder=RETAILER))
    assert [item["id"] for item in held] == [lot(PACKED_LONGAN, "BOX-1-1")]
    assert lots.lot(world.log.engine, season["box"])["quantity"] == "250"


def test_a_lots_events_show_corrections_beside_the_original(
    world: World, season: dict[str, str]
) -> None:
    harvest_entry = lots.lot(world.log.engine, season["a"])["created_entry"]
    world.record(
        FARMER_A,
        "correction",
        {
            "corrects": harvest_entry,
            "corrected_type": "harvest",
            "reason": "Ghi nhầm nguồn số liệu",
            "changes": {"data_source": "estimated"},
        },
    )
    history = lots.events(world.log, season["a"])
    first = history["events"][0]
    assert first["index"] == harvest_entry
    assert first["payload"]["data_source"] == "measured"
    assert first["corrected_payload"]["data_source"] == "estimated"
    assert first["corrections"][0]["reason"] == "Ghi nhầm nguồn số liệu"
    assert [e["type"] for e in history["events"]] == ["harvest", "ship", "receive", "merge"]
