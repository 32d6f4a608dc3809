"""The recording service: idempotent repeats, batches, event times and private fields."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger.supplychain.errors import (
    InsufficientQuantityError,
    RuleViolationError,
)
from ledger.supplychain.vocabulary import EVENT_TYPES
from ledger.tlog.canonical import envelope_of
from ledger.tlog.errors import BatchError, IdempotencyConflictError
from schemas.event_data import private_fields
from tests.ledger.supplychain.recording.helpers import lot_row
from tests.support.factories import simple_event
from tests.support.world import (
    FARM_A,
    FARMER_A,
    FARMER_B,
    PLOT_A,
    RETAILER,
    SHOP,
    World,
)


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
