"""What the recording tests share: rows, entries and the events many of them record."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa

from ledger.supplychain.errors import RuleViolationError
from ledger.supplychain.tables import LOT
from ledger.tlog.canonical import envelope_of
from ledger.tlog.log import Log
from tests.support.world import (
    CHICKEN_FARMER,
    FARMER_A,
    HOUSE,
    LIVE_CHICKEN,
    PLOT_A,
    World,
    lot,
    spray_data,
)

_Refusal = TypeVar("_Refusal", bound=Exception)

#: The repository, where the seller processes run.
ROOT = Path(__file__).resolve().parents[4]


def lot_row(world: World, lot_id: str) -> Any:
    with world.log.engine.connect() as connection:
        return connection.execute(sa.select(LOT).where(LOT.c.id == lot_id)).first()


def entry(log: Log, index: int) -> dict[str, Any]:
    return envelope_of(log.entry(index).data)


def spray(
    world: World, who: Any = FARMER_A, plot: str = PLOT_A, days: int = 7, **extra: Any
) -> Any:
    return world.record(who, "farm_input.pesticide", spray_data(plot, days), **extra)


def place_flock(world: World, heads: int = 100) -> str:
    flock = lot(LIVE_CHICKEN, world.code("F"))
    world.record(
        CHICKEN_FARMER,
        "flock.placement",
        {"house": HOUSE, "lot": flock, "breed": "Gà Mía", "head_count": heads},
        event_time=world.time(days_ago=20),
    )
    return flock


def treatment_data(flock: str, days: int) -> dict[str, Any]:
    return {
        "flock": flock,
        "product": "Tylosin",
        "active_substance": "Tylosin",
        "dose": "1",
        "dose_unit": "g/l",
        "withdrawal_days": days,
        "vet": "vet-1",
    }


def refusal(
    world: World,
    who: Any,
    type_: str,
    data: dict[str, Any],
    error: type[_Refusal] = RuleViolationError,  # type: ignore[assignment]
) -> _Refusal:
    """The refusal (``error``) of recording ``data``, which leaves the ledger as it was."""
    before = world.log.size()
    with pytest.raises(error) as caught:
        world.record(who, type_, data)
    assert world.log.size() == before
    return caught.value
