"""Amounts in their unit's step and range, plausible dates, and what a lot's status says."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from marshmallow import ValidationError

from ledger.common.errors import InvalidInputError
from ledger.supplychain import lots
from ledger.supplychain.custody import VIETNAM
from ledger.supplychain.tables import LOT
from tests.support.world import (
    CERTIFIER,
    CERTIFIER_USER,
    CHICKEN_FARMER,
    FARM_A,
    FARMER_A,
    FRESH_LONGAN,
    HOUSE,
    LIVE_CHICKEN,
    PACKED_LONGAN,
    PACKER,
    PACKHOUSE,
    PLOT_A,
    RETAILER,
    SLAUGHTERHOUSE,
    World,
    lot,
)

TINY = (
    "0.0000000000000000000000000000000000001",
    "0.00000000000000000000000000000001",
    "0." + "0" * 5003 + "1",
    "0.0005",
)


def quantity_of(world: World, lot_id: str) -> str:
    with world.log.engine.connect() as connection:
        return str(
            connection.execute(sa.select(LOT.c.quantity).where(LOT.c.id == lot_id)).scalar_one()
        )


def refusal(world: World, *args: Any, **kwargs: Any) -> Any:
    """The field errors of an event the schema or the recording service refuses as malformed."""
    size = world.log.size()
    with pytest.raises((ValidationError, InvalidInputError)) as caught:
        world.record(*args, **kwargs)
    assert world.log.size() == size
    error = caught.value
    return error.messages if isinstance(error, ValidationError) else error.errors


def test_amounts_finer_than_a_gram_or_beyond_the_largest_are_refused(world: World) -> None:
    harvested = world.harvest(quantity="293.497")
    for tiny in TINY:
        for kind, extra in (("loss", {"stage": "farm", "reason": "x"}), ("sell", {})):
            errors = refusal(world, FARMER_A, kind, {"lot": harvested, "quantity": tiny, **extra})
            [message] = errors["data"]["quantity"]
            assert "0.001 kg" in message, message
            assert "3 decimals" in message
    assert quantity_of(world, harvested) == "293.497"
    world.record(FARMER_A, "sell", {"lot": harvested, "quantity": "0.001"})
    assert quantity_of(world, harvested) == "293.496"
    [too_much] = refusal(world, FARMER_A, "harvest", _harvest(world, "100000000.001"))["data"][
        "quantity"
    ]
    assert "at most 100000000 kg" in too_much
    # The unit of a named field is its own: litres to the millilitre, kilometres to the metre.
    diesel = {"location": HOUSE, "diesel_l": "1.0001", "data_source": "measured"}
    [litres] = refusal(world, CHICKEN_FARMER, "energy_use", diesel)["data"]["diesel_l"]
    assert "0.001 litres" in litres


def _harvest(world: World, quantity: str) -> dict[str, Any]:
    return {
        "plot": PLOT_A,
        "lot": lot(FRESH_LONGAN, world.code("NH")),
        "quantity": quantity,
        "data_source": "measured",
    }


def test_heads_are_counted_whole_wherever_a_lot_quantity_is_given(world: World) -> None:
    flock = lot(LIVE_CHICKEN, world.code("F"))
    world.record(
        CHICKEN_FARMER,
        "flock.placement",
        {"house": HOUSE, "lot": flock, "breed": "Gà Mía lai", "head_count": 50},
    )
    half = {"lot": flock, "quantity": "0.5"}
    for kind, data in (
        ("sell", half),
        ("loss", {**half, "stage": "farm", "reason": "x"}),
        (
            "ship",
            {
                **half,
                "receiver": SLAUGHTERHOUSE,
                "vehicle_class": "van",
                "refrigerated": False,
                "distance_km": "3",
                "transport_document": "VD-1",
                "data_source": "measured",
            },
        ),
    ):
        [message] = refusal(world, CHICKEN_FARMER, kind, data)["data"]["quantity"]
        assert "heads are whole numbers" in message, (kind, message)
    assert quantity_of(world, flock) == "50"


def _packing(world: World, product: str = PACKED_LONGAN) -> tuple[str, str]:
    harvested = world.harvest(quantity="200")
    world.ship(FARMER_A, harvested, "200", PACKHOUSE)
    world.receive(PACKER, harvested, "200")
    return harvested, lot(product, world.code("P"))


def test_a_best_before_date_follows_the_pack_day_within_the_shelf_life(world: World) -> None:
    harvested, box = _packing(world)
    day = (world.log.clock.now() - timedelta(hours=1)).astimezone(VIETNAM).date()

    def pack(best_before: str, quantity: str = "10") -> Any:
        output = {"lot": box, "quantity": quantity, "best_before": best_before}
        return refusal(world, PACKER, "pack", {"input": harvested, "outputs": [output]})

    [year_one] = pack("0001-01-01")["data"]["outputs"][0]["best_before"]
    assert "1900" in year_one
    for wrong in (day.isoformat(), (day + timedelta(days=36)).isoformat()):
        [message] = pack(wrong)["data"]["outputs"][0]["best_before"]
        assert "at most 35 days later" in message
    [grams] = pack((day + timedelta(days=5)).isoformat(), "1.0001")["data"]["outputs"][0][
        "quantity"
    ]
    assert "0.001 kg" in grams
    assert quantity_of(world, harvested) == "200"
    good = (day + timedelta(days=35)).isoformat()
    output = {"lot": box, "quantity": "10", "best_before": good}
    world.record(PACKER, "pack", {"input": harvested, "outputs": [output]})
    assert lots.lot(world.log.engine, box)["best_before"] == good


def test_a_certificate_is_valid_for_at_most_five_years(world: World) -> None:
    day = world.log.clock.now().astimezone(VIETNAM).date()
    base = {
        "scheme": "vietgap",
        "body": CERTIFIER,
        "holder": FARM_A,
        "valid_from": "0001-01-01",
        "valid_to": "9999-12-31",
    }
    errors = refusal(world, CERTIFIER_USER, "cert.issue", {**base, "number": "VG-0"})["data"]
    assert set(errors) == {"valid_from", "valid_to"}
    start = day.replace(day=1)
    for number, (valid_from, valid_to, field) in enumerate(
        (
            (start.isoformat(), start.replace(year=start.year + 5, day=2).isoformat(), "valid_to"),
            (start.replace(year=start.year + 2).isoformat(), "2031-01-01", "valid_from"),
            # A term that ended before the certificate is recorded certifies nothing.
            (
                start.replace(year=start.year - 2).isoformat(),
                start.replace(year=start.year - 2, day=2).isoformat(),
                "valid_to",
            ),
        )
    ):
        data = {**base, "number": f"VG-{number + 1}", "valid_from": valid_from}
        refused = refusal(world, CERTIFIER_USER, "cert.issue", {**data, "valid_to": valid_to})
        assert field in refused["data"], refused
        [message] = refused["data"][field]
        assert "5 years" in message or "between" in message, message
    valid_to = start.replace(year=start.year + 5).isoformat()
    world.record(
        CERTIFIER_USER,
        "cert.issue",
        {**base, "number": "VG-OK", "valid_from": start.isoformat(), "valid_to": valid_to},
    )


def test_a_lots_status_says_recalled_on_hold_expired_and_the_search_finds_each(
    world: World,
) -> None:
    today = world.log.clock.now().astimezone(VIETNAM).date()
    made: dict[str, str] = {}
    for status in ("recalled", "on_hold", "expired", "depleted", "in_transit", "active"):
        harvested, box = _packing(world)
        best_before = (today + timedelta(days=3)).isoformat()
        output = {"lot": box, "quantity": "10", "best_before": best_before}
        world.record(PACKER, "pack", {"input": harvested, "outputs": [output]})
        made[status] = box
        if status == "recalled":
            world.record(
                FARMER_A, "recall", {"lots": [harvested], "reason": "x", "consumer_action": "y"}
            )
        elif status == "on_hold":
            world.record(
                PACKER,
                "inspect",
                {
                    "lot": box,
                    "analyte": "Carbendazim",
                    "value": "0.9",
                    "unit": "mg/kg",
                    "lab": "Lab",
                    "result": "fail",
                },
            )
        elif status == "depleted":
            world.record(PACKER, "sell", {"lot": box, "quantity": "10"})
        elif status == "in_transit":
            world.ship(PACKER, box, "10", RETAILER)
    # Four days on, what is neither blocked nor sold is past its best-before, on its way or not.
    later = (today + timedelta(days=4)).isoformat()
    for status, box in made.items():
        now = lots.lot(world.log.engine, box, today.isoformat())["status"]
        assert now == ("active" if status == "expired" else status)
        reported = lots.lot(world.log.engine, box, later)["status"]
        assert reported == ("expired" if status in ("active", "in_transit") else status)
        found, _ = lots.search(
            world.log.engine,
            lots.LotQuery(gtin=PACKED_LONGAN, status=reported, today=later, limit=200),
        )
        assert box in {item["id"] for item in found}, status
        assert all(item["status"] == reported for item in found)
    for status in ("in_transit", "active"):
        found, _ = lots.search(
            world.log.engine,
            lots.LotQuery(gtin=PACKED_LONGAN, status=status, today=today.isoformat(), limit=200),
        )
        assert made[status] in {item["id"] for item in found}
    assert lots.lot(world.log.engine, made["recalled"], later)["custody"] == "active"
    assert lots.lot(world.log.engine, made["in_transit"], today.isoformat())["custody"] == (
        "in_transit"
    )
