"""The recording service: who may record what, custody, mass balance, food safety, recalls."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ledger.common.errors import ConflictError, NotFoundError
from ledger.supplychain.audit_checks import supply_chain_checks
from ledger.supplychain.errors import (
    FoodSafetyIntervalError,
    ForbiddenError,
    InsufficientQuantityError,
    LotBlockedError,
    RuleViolationError,
)
from ledger.supplychain.recording import Command
from ledger.supplychain.tables import LOT
from ledger.supplychain.vocabulary import EVENT_TYPES
from ledger.tlog.audit import audit
from ledger.tlog.canonical import envelope_of
from ledger.tlog.errors import BatchError, IdempotencyConflictError
from ledger.tlog.log import Log
from schemas.event_data import private_fields
from tests.support.factories import simple_event
from tests.support.world import (
    AUDITOR,
    BANANA,
    BUTCHER,
    CARCASS,
    CERTIFIER,
    CERTIFIER_USER,
    CHICKEN_FARMER,
    COLLECTOR,
    COLLECTOR_USER,
    COOPERATIVE,
    DRIED_LONGAN,
    DRYER,
    FARM_A,
    FARMER_A,
    FARMER_B,
    FRESH_LONGAN,
    HOUSE,
    LIVE_CHICKEN,
    OTHER_FARMER,
    PACKED_LONGAN,
    PACKER,
    PACKHOUSE,
    PLOT_A,
    PLOT_B,
    PLOT_OTHER,
    RETAILER,
    SHOP,
    SLAUGHTERHOUSE,
    World,
    lot,
    spray_data,
)

ROOT = Path(__file__).resolve().parents[3]


def lot_row(world: World, lot_id: str) -> Any:
    with world.log.engine.connect() as connection:
        return connection.execute(sa.select(LOT).where(LOT.c.id == lot_id)).first()


def entry(log: Log, index: int) -> dict[str, Any]:
    return envelope_of(log.entry(index).data)


def spray(
    world: World, who: Any = FARMER_A, plot: str = PLOT_A, days: int = 7, **extra: Any
) -> Any:
    return world.record(who, "farm_input.pesticide", spray_data(plot, days), **extra)


# --- lots come into being ----------------------------------------------------------------------


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


def test_a_farmer_records_only_for_the_farms_own_plots(world: World) -> None:
    size = world.log.size()
    with pytest.raises(ForbiddenError, match=PLOT_A):
        world.harvest(who=OTHER_FARMER, plot=PLOT_A)
    with pytest.raises(ForbiddenError, match="role processor cannot record harvest"):
        world.harvest(who=PACKER)
    assert world.log.size() == size


def test_a_cooperative_member_cannot_use_a_fellow_members_plot(world: World) -> None:
    with pytest.raises(ForbiddenError):
        world.harvest(who=FARMER_B, plot=PLOT_A)
    world.harvest(who=FARMER_B, plot=PLOT_B)


def test_unknown_master_data_is_a_clear_rule_violation(world: World) -> None:
    with pytest.raises(RuleViolationError) as caught:
        world.harvest(product="08930000009999"[:13] + "9")
    assert "product" in str(caught.value)


def test_an_existing_lot_cannot_be_created_again(world: World) -> None:
    lot_id = world.harvest()
    with pytest.raises(ConflictError, match="already exists"):
        world.record(
            FARMER_A,
            "harvest",
            {"plot": PLOT_A, "lot": lot_id, "quantity": "5", "data_source": "measured"},
        )


# --- food safety ------------------------------------------------------------------------------


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


# --- mass balance -----------------------------------------------------------------------------


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


# --- custody ----------------------------------------------------------------------------------


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


# --- recalls ----------------------------------------------------------------------------------


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


# --- chickens ---------------------------------------------------------------------------------


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


# --- corrections ------------------------------------------------------------------------------


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


def test_a_key_held_by_an_entry_the_services_did_not_record_is_a_conflict(world: World) -> None:
    key = world.code("restored-")
    restored = simple_event(f"plot:{PLOT_A}", key=key, note="restored")
    world.log.append(restored._replace(actor=f"org:{FARM_A}"))
    size = world.log.size()
    with pytest.raises(IdempotencyConflictError):
        world.recorder.record(
            FARMER_A,
            world.command(
                "training",
                {"topic": "VietGAP", "hours": "2", "participant_count": 3},
                idempotency_key=key,
            ),
        )
    assert world.log.size() == size


# --- idempotency, batches, time ---------------------------------------------------------------


def test_an_identical_repeat_returns_the_first_entry_and_a_different_one_conflicts(
    world: World,
) -> None:
    harvested = world.harvest(quantity="40")
    data = {"lot": harvested, "quantity": "5", "stage": "farm", "reason": "Sâu"}
    command = world.command("loss", data, idempotency_key="loss-1")
    first = world.recorder.record(FARMER_A, command)
    again = world.recorder.record(FARMER_A, command)
    assert (again.index, again.repeated) == (first.index, True)
    assert lot_row(world, harvested).quantity == "35"
    with pytest.raises(IdempotencyConflictError):
        world.recorder.record(
            FARMER_A, world.command("loss", {**data, "quantity": "6"}, idempotency_key="loss-1")
        )
    other = world.recorder.record(
        FARMER_B,
        world.command(
            "training",
            {"topic": "VietGAP", "hours": "4", "participant_count": 12},
            idempotency_key="loss-1",
        ),
    )
    assert other.index != first.index


def test_a_batch_is_all_or_nothing_and_names_the_failing_line(world: World) -> None:
    harvested = world.harvest(quantity="10")
    size = world.log.size()
    commands = [
        world.command("loss", {"lot": harvested, "quantity": "4", "stage": "farm", "reason": "a"}),
        world.command("loss", {"lot": harvested, "quantity": "4", "stage": "farm", "reason": "b"}),
        world.command("loss", {"lot": harvested, "quantity": "4", "stage": "farm", "reason": "c"}),
    ]
    with pytest.raises(BatchError) as caught:
        world.recorder.record_batch(FARMER_A, commands)
    assert caught.value.line == 3
    assert isinstance(caught.value.cause, InsufficientQuantityError)
    assert world.log.size() == size
    assert lot_row(world, harvested).quantity == "10"
    results = world.recorder.record_batch(FARMER_A, commands[:2])
    assert [r.index for r in results] == [size, size + 1]
    assert lot_row(world, harvested).quantity == "2"


def test_event_times_must_be_plausible(world: World) -> None:
    with pytest.raises(RuleViolationError, match="future"):
        world.harvest(event_time=world.time(hours_ago=-1))
    with pytest.raises(RuleViolationError, match="30 days"):
        world.harvest(event_time=world.time(days_ago=31))
    world.harvest(event_time=world.time(days_ago=31), late_reason="Sổ ghi chép giấy nhập lại")


def test_unknown_lots_are_not_found(world: World) -> None:
    with pytest.raises(NotFoundError):
        world.record(FARMER_A, "sell", {"lot": lot(FRESH_LONGAN, "NOPE"), "quantity": "1"})


# --- privacy ----------------------------------------------------------------------------------


def test_confidential_and_personal_fields_never_reach_the_entry_bytes(world: World) -> None:
    harvested = world.harvest(quantity="20")
    world.ship(FARMER_A, harvested, "20", RETAILER)
    world.record(SHOP, "retail_receive", {"lot": harvested, "quantity": "20"})
    # Private dates a year before the test clock, so no event or recording time can equal one.
    secrets = {
        "sell": (
            {"lot": harvested, "quantity": "2", "price": {"amount": "91357", "currency": "VND"}},
            ["91357"],
        ),
        "payment": (
            {
                "lot": harvested,
                "counterparty": FARM_A,
                "amount": "1777333",
                "currency": "VND",
                "agreed_on": "2025-11-01",
                "due_on": "2025-11-20",
                "paid_on": "2025-11-14",
            },
            ["1777333", "2025-11-01", "2025-11-20", "2025-11-14"],
        ),
        "purchase": (
            {
                "lot": harvested,
                "counterparty": FARM_A,
                "amount": "2888444",
                "currency": "USD",
                "agreed_on": "2025-11-10",
                "due_on": "2025-11-30",
                "paid_on": "2025-11-12",
            },
            ["2888444", "USD", "2025-11-10", "2025-11-30", "2025-11-12"],
        ),
        "complaint": (
            {"lot": harvested, "summary": "Quả bị chua", "complainant_contact": "0912 345 678"},
            ["0912 345 678"],
        ),
        "training": (
            {
                "topic": "An toàn thực phẩm",
                "hours": "2",
                "participant_count": 2,
                "participants": ["Phạm Thị Dung", "Vũ Văn Em"],
            },
            ["Phạm Thị Dung", "Vũ Văn Em"],
        ),
    }
    # Every type with a confidential or personal field is exercised, with every such field.
    classified = {t: private_fields(t) for t in EVENT_TYPES if private_fields(t)}
    assert set(secrets) == set(classified)
    for type_, fields_ in classified.items():
        assert set(fields_) <= set(secrets[type_][0]), type_
    for type_, (data, values) in secrets.items():
        recorded = world.record(SHOP, type_, data)
        raw = world.log.entry(recorded.index).data
        for value in values:
            assert value.encode() not in raw, (type_, value)
        private = envelope_of(raw)["private"]
        assert private
        assert all(len(digest) == 64 for digest in private.values())
        assert {v["field"] for v in world.log.private_values(recorded.index)} == set(private)
    assert Decimal(lot_row(world, harvested).quantity) == 18


# --- concurrency ------------------------------------------------------------------------------


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


# --- rules that hold across lots, recalls and corrections -------------------------------------


def _flock(world: World, heads: int = 100) -> str:
    flock = lot(LIVE_CHICKEN, world.code("F"))
    world.record(
        CHICKEN_FARMER,
        "flock.placement",
        {"house": HOUSE, "lot": flock, "breed": "Gà Mía", "head_count": heads},
        event_time=world.time(days_ago=20),
    )
    return flock


def _treatment(flock: str, days: int) -> dict[str, Any]:
    return {
        "flock": flock,
        "product": "Tylosin",
        "active_substance": "Tylosin",
        "dose": "1",
        "dose_unit": "g/l",
        "withdrawal_days": days,
        "vet": "vet-1",
    }


def test_a_withdrawal_period_follows_the_flock_into_split_and_repacked_lots(world: World) -> None:
    flock = _flock(world)
    treated = world.record(CHICKEN_FARMER, "flock.treatment", _treatment(flock, 28))
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
    flock = _flock(world, 120)
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
        _treatment(flock, 10),
        event_time=world.time(hours_ago=48),
    )
    assert lot_row(world, carcass).hold_entry == late.index
    assert any(carcass in str(w) for w in late.warnings)


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


def test_certificates_count_only_for_their_products(world: World) -> None:
    world.record(
        CERTIFIER_USER,
        "cert.issue",
        {
            "scheme": "organic",
            "number": "ORG-1",
            "body": CERTIFIER,
            "holder": FARM_A,
            "products": ["pink_banana"],
            "valid_from": "2026-01-01",
            "valid_to": "2027-12-31",
        },
    )
    harvested = world.harvest(quantity="10")
    origin = json.loads(lot_row(world, harvested).origin)[0]
    assert "cert:organic/ORG-1" not in origin["certificates"]


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
