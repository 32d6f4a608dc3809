"""Lots come into being, become other lots, change hands and leave the chain."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ledger.common.errors import ConflictError
from ledger.supplychain.audit_checks import supply_chain_checks
from ledger.supplychain.errors import (
    ForbiddenError,
    InsufficientQuantityError,
    LotBlockedError,
    RuleViolationError,
)
from ledger.tlog.audit import audit
from tests.ledger.supplychain.recording.helpers import (
    ROOT,
    entry,
    lot_row,
)
from tests.support.world import (
    BANANA,
    CERTIFIER,
    CERTIFIER_USER,
    COLLECTOR,
    COLLECTOR_USER,
    COOPERATIVE,
    DRIED_LONGAN,
    DRYER,
    FARM_A,
    FARMER_A,
    FARMER_B,
    FRESH_LONGAN,
    OTHER_FARMER,
    PACKED_LONGAN,
    PACKER,
    PACKHOUSE,
    PLOT_A,
    PLOT_B,
    PLOT_OTHER,
    RETAILER,
    World,
    lot,
)


def test_harvest_creates_a_lot_held_by_the_farm_with_its_origin_in_the_entry(world: World) -> None:
    world.record(
        CERTIFIER_USER,
        "cert.issue",
        {
            "scheme": "vietgap",
            "number": "VG-2026-0001",
            "body": CERTIFIER,
            "holder": FARM_A,
            "locations": [PLOT_A],
            "valid_from": "2026-01-01",
            "valid_to": "2027-12-31",
        },
    )
    lot_id = world.harvest(quantity="1250.50")
    row = lot_row(world, lot_id)
    assert (row.holder, row.quantity, row.status, row.unit) == (FARM_A, "1250.5", "active", "kg")
    recorded = entry(world.log, row.created_entry)
    assert recorded["type"] == "harvest"
    assert recorded["biz_step"] == "commissioning"
    assert recorded["actor"] == f"org:{FARM_A}"
    origin = recorded["payload"]["origin"]
    assert origin == {
        "plot": PLOT_A,
        "producer": FARM_A,
        "cooperative": COOPERATIVE,
        "divisions": "2025",
        "district_code": "332",
        "commune_code": "12361",
        "in_gi_area": True,
        "certificates": ["cert:vietgap/VG-2026-0001"],
    }
    assert {s["id"]: s["role"] for s in recorded["subjects"]} == {
        f"plot:{PLOT_A}": "observed",
        lot_id: "output",
    }
    assert recorded["payload"]["v"] == 1


def test_an_existing_lot_cannot_be_created_again(world: World) -> None:
    lot_id = world.harvest()
    with pytest.raises(ConflictError, match="already exists"):
        world.record(
            FARMER_A,
            "harvest",
            {"plot": PLOT_A, "lot": lot_id, "quantity": "5", "data_source": "measured"},
        )


def test_packing_more_than_is_available_is_refused_naming_the_quantities(world: World) -> None:
    harvested = world.harvest(quantity="100")
    size = world.log.size()
    outputs = [
        {"lot": lot(PACKED_LONGAN, world.code("P")), "quantity": "60", "units": 60},
        {"lot": lot(PACKED_LONGAN, world.code("P")), "quantity": "40.5"},
    ]
    with pytest.raises(InsufficientQuantityError) as caught:
        world.record(FARMER_A, "pack", {"input": harvested, "outputs": outputs})
    # Quantities as Decimals, which each page writes in its reader's number format.
    assert caught.value.params == {
        "lot": harvested,
        "available": Decimal("100"),
        "requested": Decimal("100.5"),
        "unit": "kg",
    }
    assert caught.value.status == 422
    assert world.log.size() == size
    assert lot_row(world, outputs[0]["lot"]) is None
    outputs[1]["quantity"] = "39.5"
    world.record(FARMER_A, "pack", {"input": harvested, "outputs": outputs, "waste": "0.5"})
    assert lot_row(world, harvested).quantity == "0"
    assert lot_row(world, harvested).status == "depleted"
    assert lot_row(world, outputs[0]["lot"]).units == 60


def test_quantities_are_exact_decimals(world: World) -> None:
    harvested = world.harvest(quantity="0.3")
    for _ in range(3):
        world.record(
            FARMER_A,
            "loss",
            {"lot": harvested, "quantity": "0.1", "stage": "farm", "reason": "Quả hỏng"},
        )
    assert lot_row(world, harvested).quantity == "0"
    with pytest.raises(InsufficientQuantityError):
        world.record(
            FARMER_A,
            "loss",
            {"lot": harvested, "quantity": "0.001", "stage": "farm", "reason": "x"},
        )


def test_merge_and_drying_keep_the_balance_and_the_origins(world: World) -> None:
    a = world.harvest(quantity="300")
    b = world.harvest(who=FARMER_B, plot=PLOT_B, quantity="200")
    for farmer, harvested, amount in ((FARMER_A, a, "300"), (FARMER_B, b, "200")):
        world.ship(farmer, harvested, amount, PACKHOUSE)
        world.receive(PACKER, harvested, amount)
    merged = lot(FRESH_LONGAN, world.code("M"))
    world.record(
        PACKER,
        "merge",
        {
            "inputs": [{"lot": a, "quantity": "300"}, {"lot": b, "quantity": "150"}],
            "output": merged,
        },
    )
    assert lot_row(world, merged).quantity == "450"
    assert lot_row(world, b).quantity == "50"
    origins = json.loads(lot_row(world, merged).origin)
    assert {o["plot"] for o in origins} == {PLOT_A, PLOT_B}
    dried = lot(DRIED_LONGAN, world.code("D"))
    drying = {
        "kind": "drying",
        "inputs": [{"lot": merged, "quantity": "450"}],
        "output": dried,
        "output_quantity": "200",
        "site": DRYER,
    }
    with pytest.raises(RuleViolationError, match="supervisor"):
        world.record(PACKER, "transform", drying)
    world.record(PACKER, "transform", {**drying, "output_quantity": "67.5"})
    assert lot_row(world, dried).quantity == "67.5"
    assert lot_row(world, merged).status == "depleted"


def test_only_the_holder_ships_and_only_the_named_receiver_receives(world: World) -> None:
    harvested = world.harvest(quantity="800")
    with pytest.raises(ForbiddenError, match="only its holder"):
        world.ship(FARMER_B, harvested, "100", COLLECTOR)
    shipped = world.ship(FARMER_A, harvested, "300", COLLECTOR)
    part = lot(FRESH_LONGAN, harvested.split("/")[1] + "-1")
    assert shipped.lots == (part,)
    assert lot_row(world, harvested).quantity == "500"
    row = lot_row(world, part)
    assert (row.status, row.receiver, row.holder, row.quantity) == (
        "in_transit",
        COLLECTOR,
        FARM_A,
        "300",
    )
    with pytest.raises(LotBlockedError, match="in transit"):
        world.ship(FARMER_A, part, "300", RETAILER)
    with pytest.raises(ForbiddenError, match="named receiver"):
        world.receive(PACKER, part, "300")
    with pytest.raises(RuleViolationError, match="shortfall"):
        world.receive(COLLECTOR_USER, part, "295")
    received = world.receive(COLLECTOR_USER, part, "295", shortfall_reason="Hao hụt khi vận chuyển")
    assert entry(world.log, received.index)["payload"]["shortfall"] == "5"
    row = lot_row(world, part)
    assert (row.status, row.holder, row.quantity) == ("active", COLLECTOR, "295")


def test_a_refused_delivery_returns_the_goods_to_the_sender(world: World) -> None:
    harvested = world.harvest(quantity="50")
    world.ship(FARMER_A, harvested, "50", COLLECTOR)
    world.record(
        COLLECTOR_USER,
        "receive",
        {"lot": harvested, "refused": True, "refusal_reason": "Quả dập nhiều"},
    )
    row = lot_row(world, harvested)
    assert (row.status, row.holder, row.quantity, row.receiver) == ("active", FARM_A, "50", None)


def test_over_shipping_is_refused(world: World) -> None:
    harvested = world.harvest(quantity="10")
    with pytest.raises(InsufficientQuantityError):
        world.ship(FARMER_A, harvested, "10.5", COLLECTOR)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_concurrent_sellers_never_sell_more_than_the_lot_holds(world: World) -> None:
    """Four processes sell 1 kg at a time from a 50 kg lot, 20 tries each: exactly 50 sales
    succeed, the rest are refused for the quantity, and the audit passes."""
    harvested = world.harvest(quantity="50")
    settings = json.loads(json.dumps(dataclasses.asdict(world.log.settings), default=str))
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.ledger.supplychain.seller",
                json.dumps(settings),
                harvested,
                "20",
                # The sellers run on the real clock, not the test's fake one.
                datetime.now(UTC).isoformat(timespec="milliseconds"),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for _ in range(4)
    ]
    outcomes: list[str] = []
    for process in processes:
        out, err = process.communicate(timeout=240)
        assert process.returncode == 0, err
        outcomes.extend(line for line in out.splitlines() if line != "ready")
    sold = [line for line in outcomes if line.startswith("sold ")]
    refused = [line for line in outcomes if line.startswith("refused ")]
    assert len(sold) == 50
    assert set(refused) == {"refused insufficient_quantity"}
    assert len(refused) == 30
    assert len({line.split()[1] for line in sold}) == 50
    row = lot_row(world, harvested)
    assert (row.quantity, row.status) == ("0", "depleted")
    audit(world.log, trust_first_key=True, checks=supply_chain_checks())


def test_quantities_keep_all_their_digits(world: World) -> None:
    harvested = world.harvest(quantity="99999999.999")
    world.record(FARMER_A, "sell", {"lot": harvested, "quantity": "0.001"})
    assert lot_row(world, harvested).quantity == "99999999.998"
    with pytest.raises(InsufficientQuantityError):
        world.record(FARMER_A, "sell", {"lot": harvested, "quantity": "100000000"})


def test_pack_keeps_the_product_and_merge_takes_one_product(world: World) -> None:
    fresh = world.harvest(quantity="100")
    dried = {"lot": lot(DRIED_LONGAN, world.code("X")), "quantity": "100"}
    with pytest.raises(RuleViolationError, match="dried_longan"):
        world.record(FARMER_A, "pack", {"input": fresh, "outputs": [dried]})
    banana = world.harvest(who=OTHER_FARMER, plot=PLOT_OTHER, product=BANANA, quantity="50")
    world.ship(OTHER_FARMER, banana, "50", FARM_A)
    world.receive(FARMER_A, banana, "50")
    with pytest.raises(RuleViolationError, match="one product"):
        world.record(
            FARMER_A,
            "merge",
            {
                "inputs": [{"lot": fresh, "quantity": "10"}, {"lot": banana, "quantity": "10"}],
                "output": lot(FRESH_LONGAN, world.code("M")),
            },
        )


def test_money_is_recorded_by_a_party_and_events_come_after_their_lot(world: World) -> None:
    harvested = world.harvest(quantity="10")
    with pytest.raises(ForbiddenError):
        world.record(
            OTHER_FARMER,
            "payment",
            {"lot": harvested, "counterparty": FARM_A, "amount": "1", "currency": "VND"},
        )
    with pytest.raises(RuleViolationError, match="dated before"):
        world.record(
            FARMER_A,
            "sell",
            {"lot": harvested, "quantity": "1"},
            event_time=world.time(hours_ago=30),
        )
    with pytest.raises(RuleViolationError, match="split_lot"):
        world.ship(FARMER_A, harvested, "10", COLLECTOR, split_lot="WHOLE")
    with pytest.raises(RuleViolationError, match="backfill"):
        world.harvest(event_time=world.time(days_ago=4000), late_reason="Sổ cũ")
