"""The product lists the forms offer, and the facts a form copies from a product."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger.supplychain.input_products import (
    ActiveIngredient,
    InputProducts,
    disagreements,
    from_row,
)
from ledger.supplychain.masterdata import MasterData
from tests.support.inputs import (
    ABAMECTIN,
    EMAMECTIN,
    ENROFLOXACIN,
    FEED,
    INPUTS,
    NEWCASTLE,
    NPK,
    setup_inputs,
)
from tests.support.world import ADMIN, World


@pytest.fixture(scope="module")
def products(world: World) -> InputProducts:
    masterdata = MasterData(world.log.engine, world.log.clock)
    setup_inputs(masterdata)
    masterdata.save(
        ADMIN, "input_product", "retired-1", {**INPUTS[ABAMECTIN], "active": False}, "rút"
    )
    return InputProducts(world.log.engine)


def test_a_spray_form_offers_the_active_pesticides_registered_for_the_crop(
    products: InputProducts,
) -> None:
    assert [p.code for p in products.for_event("farm_input.pesticide", crop="fresh_longan")] == [
        ABAMECTIN
    ]
    assert [p.code for p in products.for_event("farm_input.pesticide", crop="pink_banana")] == [
        EMAMECTIN
    ]
    assert [p.code for p in products.for_event("farm_input.pesticide")] == [ABAMECTIN, EMAMECTIN]
    assert [p.code for p in products.for_event("flock.treatment")] == [ENROFLOXACIN]
    assert [p.code for p in products.for_event("flock.vaccination")] == [NEWCASTLE]
    assert [p.code for p in products.for_event("flock.feed")] == [FEED]
    assert products.for_event("harvest") == []


def test_lists_by_category_and_with_the_inactive_ones(products: InputProducts) -> None:
    assert {p.code for p in products.listed()} == set(INPUTS)
    everything = products.listed(("pesticide",), include_inactive=True)
    assert {p.code for p in everything} == {ABAMECTIN, EMAMECTIN, "retired-1"}
    # Other categories are not registered by crop: a crop leaves them in.
    assert [p.code for p in products.listed(("fertiliser",), crop="pink_banana")] == [NPK]


def test_one_product_with_its_facts(products: InputProducts) -> None:
    found = products.get(ABAMECTIN)
    assert found is not None
    assert found.active_ingredients == (ActiveIngredient("Abamectin", "36 g/l"),)
    assert (found.crops, found.phi_days, found.version, found.active) == (
        ("fresh_longan",),
        7,
        1,
        True,
    )
    assert products.get("no-such") is None
    npk = products.get(NPK)
    assert npk is not None
    assert (npk.n_pct, npk.p_pct, npk.k_pct) == (Decimal(16), Decimal(16), Decimal(8))


def test_what_each_form_copies(products: InputProducts) -> None:
    found = {code: products.get(code) for code in (ABAMECTIN, NEWCASTLE, NPK, FEED)}
    assert None not in found.values()
    abamectin, vaccine, npk, feed = (found[code] for code in (ABAMECTIN, NEWCASTLE, NPK, FEED))
    assert abamectin is not None
    assert vaccine is not None
    assert npk is not None
    assert feed is not None
    assert abamectin.event_facts("farm_input.pesticide") == {
        "input_product": ABAMECTIN,
        "product": "Reasgant 3.6EC",
        "registration_no": "VN-0123/19",
        "active_ingredients": ["Abamectin 36 g/l"],
        "phi_days": 7,
        "dose_unit": "ml/bình 16 l",
    }
    assert vaccine.event_facts("flock.vaccination") == {
        "input_product": NEWCASTLE,
        "product": "Vắc-xin Newcastle Lasota",
        "active_substance": "Newcastle disease virus, Lasota",
        "withdrawal_days": 0,
        "dose_unit": "liều",
    }
    assert npk.event_facts("farm_input.fertiliser") == {
        "input_product": NPK,
        "product": "NPK 16-16-8",
        "n_pct": "16",
        "p_pct": "16",
        "k_pct": "8",
    }
    assert feed.event_facts("flock.feed") == {"input_product": FEED, "feed_type": feed.name}
    assert abamectin.event_facts("flock.treatment") == {}


def test_a_record_as_the_api_gives_it_reads_as_a_product() -> None:
    record = {"code": "x-1", **INPUTS[ENROFLOXACIN]}
    product = from_row(record)
    assert (product.active, product.version, product.crops) == (True, 0, ())
    assert product.active_substance == "Enrofloxacin 10%"
    assert disagreements(product, "flock.treatment", product.event_facts("flock.treatment")) == {}
    found = disagreements(
        product, "flock.treatment", {"product": "Enrofloxacin 5%", "withdrawal_days": 3}
    )
    assert set(found) == {"product", "withdrawal_days"}
    assert disagreements(product, "flock.treatment", {"withdrawal_days": 30}) == {}
