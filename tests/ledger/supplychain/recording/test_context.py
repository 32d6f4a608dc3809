"""Who may act where, and the master data and lots an event must name."""

from __future__ import annotations

import pytest

from ledger.common.errors import NotFoundError
from ledger.supplychain.errors import (
    ForbiddenError,
    RuleViolationError,
)
from tests.support.world import (
    FARMER_A,
    FARMER_B,
    FRESH_LONGAN,
    OTHER_FARMER,
    PACKER,
    PLOT_A,
    PLOT_B,
    World,
    lot,
)


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


def test_unknown_lots_are_not_found(world: World) -> None:
    with pytest.raises(NotFoundError):
        world.record(FARMER_A, "sell", {"lot": lot(FRESH_LONGAN, "NOPE"), "quantity": "1"})
