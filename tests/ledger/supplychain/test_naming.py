"""The names messages give the ids they carry, under master data's privacy rule."""

from __future__ import annotations

from ledger.supplychain.naming import party, product_names
from tests.support.world import (
    AUDITOR,
    COLLECTOR_USER,
    COOPERATIVE,
    FARM_A,
    FARMER_A,
    FRESH_LONGAN,
    PACKHOUSE,
    PACKHOUSE_SITE,
    PLOT_A,
    World,
    principal,
)


def test_a_business_is_named_for_everyone(world: World) -> None:
    engine = world.log.engine
    for viewer in (None, COLLECTOR_USER):
        found = party(engine, PACKHOUSE, viewer)
        assert found is not None
        assert found.name == "Nhà sơ chế Khoái Châu"
        assert not found.site
        site = party(engine, PACKHOUSE_SITE, viewer)
        assert site is not None
        assert site.name == "Xưởng sơ chế"
        assert site.site


def test_a_households_name_and_its_plots_only_for_those_who_may_read_them(world: World) -> None:
    engine = world.log.engine
    cooperative = principal("farmer", COOPERATIVE, 20)
    for viewer in (FARMER_A, cooperative, AUDITOR):
        household = party(engine, FARM_A, viewer)
        assert household is not None
        assert household.name == "Hộ Nguyễn Văn An"
        plot = party(engine, PLOT_A, viewer)
        assert plot is not None
        assert plot.name == "Vườn nhãn An 1"
    for viewer in (None, COLLECTOR_USER):
        household = party(engine, FARM_A, viewer)
        assert household is not None
        assert household.name is None
        assert household.household
        plot = party(engine, PLOT_A, viewer)
        assert plot is not None
        assert plot.name is None
        assert plot.site
        assert plot.district_code == "332"  # where it is stays public


def test_unknown_ids_have_no_name(world: World) -> None:
    assert party(world.log.engine, "8930000099996", None) is None
    assert product_names(world.log.engine, "08930000999990") is None
    assert product_names(world.log.engine, FRESH_LONGAN) == ("Nhãn lồng tươi", "Nhãn lồng tươi")
