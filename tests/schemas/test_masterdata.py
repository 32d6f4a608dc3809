"""Master data as clients send it: input products, a plot's crop, a product's bounds."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from marshmallow import ValidationError

from schemas.event_data import HarvestData, PesticideData, SlaughterData, WeighingData
from schemas.masterdata import (
    InputProductInput,
    LocationInput,
    ProductInput,
    load_code,
)
from tests.support.inputs import INPUTS, spray_of
from tests.support.world import FARM_A, PLOT_A

GTIN = "08930000000019"


def errors_of(schema: Any, body: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationError) as caught:
        schema().load(body)
    messages = caught.value.messages
    assert isinstance(messages, dict)
    return messages


@pytest.mark.parametrize("code", sorted(INPUTS))
def test_every_test_input_product_loads(code: str) -> None:
    loaded = InputProductInput().load(INPUTS[code])
    assert loaded["category"] == INPUTS[code]["category"]


def test_an_input_product_is_normalised() -> None:
    loaded = InputProductInput().load(
        {
            "category": "vaccine",
            "name": unicodedata.normalize("NFD", "Vắc-xin Gumboro"),
            "registration_no": "TW-1",
            "active_ingredients": [{"name": unicodedata.normalize("NFD", "Virus Gumboro")}],
        }
    )
    assert loaded["name"] == unicodedata.normalize("NFC", "Vắc-xin Gumboro")
    assert loaded["active_ingredients"][0]["name"] == unicodedata.normalize("NFC", "Virus Gumboro")
    assert loaded["active"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "pesticide", "name": "X", "registration_no": "VN-1", "phi_days": 7}, "crops"),
        ({"category": "veterinary", "name": "X", "registration_no": "TW-1"}, "withdrawal_days"),
        (
            {"category": "vaccine", "name": "X", "active_ingredients": [{"name": "V"}]},
            "registration_no",
        ),
        ({"category": "feed", "name": "X", "withdrawal_days": 3}, "withdrawal_days"),
        ({"category": "feed", "name": "X", "k_pct": "3"}, "k_pct"),
        ({"category": "feed", "name": "X", "phi_days": -1}, "phi_days"),
        ({"category": "feed", "name": "X", "phi_days": 366}, "phi_days"),
        ({"category": "feed", "name": "X", "phi_days": "7"}, "phi_days"),
        ({"category": "feed", "name": "X", "dose_unit": "x" * 33}, "dose_unit"),
        (
            {"category": "feed", "name": "X", "active_ingredients": [{"name": "A"}] * 21},
            "active_ingredients",
        ),
        ({"category": "feed", "name": "bad\u0000name"}, "name"),
        ({"name": "X"}, "category"),
    ],
)
def test_an_input_product_that_says_too_little_or_too_much_names_the_field(
    body: dict[str, Any], field: str
) -> None:
    assert field in errors_of(InputProductInput, body)


@pytest.mark.parametrize("code", ["", "-lead", "has space", "x" * 65, "dấu"])
def test_a_malformed_code_names_the_code(code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        load_code(code)
    assert "code" in caught.value.messages


def test_only_a_farm_plot_has_a_crop() -> None:
    plot = {"organisation": FARM_A, "kind": "farm_plot", "name": "Vườn", "crop": "fresh_longan"}
    assert LocationInput().load(plot)["crop"] == "fresh_longan"
    assert "crop" in errors_of(LocationInput, {**plot, "kind": "chicken_house"})
    assert "crop" in errors_of(LocationInput, {**plot, "crop": "rice"})


def test_each_bound_belongs_to_its_kind_of_product() -> None:
    longan = {"kind": "fresh_longan", "unit": "kg", "name_vi": "Nhãn", "name_en": "Longan"}
    loaded = ProductInput().load({**longan, "max_harvest_kg_per_ha": "20000"})
    assert loaded["max_harvest_kg_per_ha"] == "20000"
    assert "max_live_kg_per_head" in errors_of(
        ProductInput, {**longan, "max_live_kg_per_head": "3"}
    )
    assert "max_harvest_kg_per_ha" in errors_of(
        ProductInput, {**longan, "max_harvest_kg_per_ha": "0"}
    )
    assert "max_harvest_kg_per_ha" in errors_of(
        ProductInput, {**longan, "max_harvest_kg_per_ha": "1e3"}
    )
    chicken = {"kind": "live_chicken", "unit": "head", "name_vi": "Gà", "name_en": "Chicken"}
    assert ProductInput().load({**chicken, "max_live_kg_per_head": "3.5"})
    assert "max_carcass_kg_per_head" in errors_of(
        ProductInput, {**chicken, "max_carcass_kg_per_head": "2.6"}
    )


def test_events_take_an_input_product_code_and_a_bounded_reason() -> None:
    assert PesticideData().load(spray_of("abamectin-36ec", PLOT_A))["input_product"] == (
        "abamectin-36ec"
    )
    assert "input_product" in errors_of(
        PesticideData, spray_of("abamectin-36ec", PLOT_A, input_product="bad code")
    )
    harvest = {"plot": PLOT_A, "lot": f"lot:{GTIN}/L1", "quantity": "10", "data_source": "measured"}
    reason = unicodedata.normalize("NFD", "Thu cả hai đợt")
    loaded = HarvestData().load({**harvest, "plausibility_reason": reason})
    assert loaded["plausibility_reason"] == unicodedata.normalize("NFC", reason)
    assert "plausibility_reason" in errors_of(
        HarvestData, {**harvest, "plausibility_reason": "x" * 501}
    )
    weighing = {
        "flock": f"lot:{GTIN}/F1",
        "mean_kg": "2",
        "sample_size": 3,
        "data_source": "measured",
    }
    assert "plausibility_reason" in errors_of(WeighingData, {**weighing, "plausibility_reason": 5})
    slaughter = {
        "flock": f"lot:{GTIN}/F1",
        "head_count": 3,
        "lot": f"lot:{GTIN}/C1",
        "carcass_kg": "5",
    }
    assert SlaughterData().load({**slaughter, "plausibility_reason": "Gà trống"})
