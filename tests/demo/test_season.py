"""The demo season: the same input gives the same season, and its steps are dated in order."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from demo.masterdata import BOXED_LONGAN, PINK_BANANA
from demo.season import Season, build_season
from demo.steps import VIETNAM, lots_in

NOW = datetime(2026, 7, 15, tzinfo=VIETNAM)


def _digest(season: Season) -> str:
    """Everything the season holds, in its order: master data, accounts, steps, lots."""
    dump = json.dumps(dataclasses.asdict(season), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(dump.encode()).hexdigest()


def test_the_same_input_gives_the_same_season_to_the_byte() -> None:
    """The benchmarks, the README walk-through and the tests name the season's lots and keys:
    its master data, steps, times and random draws stay exactly these."""
    assert (
        _digest(build_season(1, NOW))
        == "8453d679abf697e23e8ef72700ab13a07246f602398b96bd2a928a52163da25b"
    )
    later = datetime(2025, 9, 1, 23, 59, tzinfo=UTC)
    assert (
        _digest(build_season(3, later))
        == "032d8f61346dd70418d45e8aa9a0bd8ab1a915f04dfd53dadc89cbc9ec191af8"
    )


def test_another_seed_gives_another_season_of_the_same_shape() -> None:
    first, other = build_season(1, NOW), build_season(1, NOW, seed=7)
    assert _digest(first) != _digest(other)
    assert [s.request["type"] for s in first.steps] == [s.request["type"] for s in other.steps]


def test_a_season_needs_a_scale_of_at_least_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        build_season(0, NOW)


def test_scale_multiplies_the_farms_and_flocks() -> None:
    for scale in (1, 2):
        season = build_season(scale, NOW)
        roles = Counter(role for role, _, _ in season.accounts.values())
        assert roles["farmer"] == 3 + 20 * scale  # the two cooperatives and the chicken farm
        assert len(season.farm_lots) == 22 * scale  # 12 longan, 8 banana, 2 flocks
        assert len(season.labelled_lots) == 3 * scale
        assert all(lot.startswith(f"lot:{BOXED_LONGAN}/") for lot in season.labelled_lots)


def test_every_step_has_its_own_key_and_comes_after_the_steps_about_its_lots() -> None:
    season = build_season(2, NOW)
    keys = [step.request["idempotency_key"] for step in season.steps]
    assert len(set(keys)) == len(keys)
    latest = NOW - timedelta(minutes=5)
    last: dict[str, datetime] = {}
    for step in season.steps:
        moment = datetime.fromisoformat(step.request["event_time"])
        assert moment <= latest
        lots = lots_in(step.request["data"])
        assert all(last[lot] <= moment for lot in lots if lot in last), step.request
        if not step.refused:
            last.update(dict.fromkeys(lots, moment))


def test_the_season_shows_one_refusal_one_correction_and_a_lifted_recall() -> None:
    season = build_season(1, NOW)
    assert [step.request["type"] for step in season.steps if step.refused] == ["ship"]
    types = Counter(step.request["type"] for step in season.steps)
    assert types["correction"] == types["recall"] == types["recall_lift"] == 1
    (recall,) = (s.request["data"] for s in season.steps if s.request["type"] == "recall")
    assert recall["lots"] == [next(lot for lot in season.farm_lots if PINK_BANANA in lot)]
