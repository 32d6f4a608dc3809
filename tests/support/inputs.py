"""Farm inputs for tests: a pesticide for longan, a vaccine, an antibiotic, a fertiliser, a
feed; the crops of the test plots, and plausibility bounds on the test products."""

from __future__ import annotations

from typing import Any

from ledger.supplychain.masterdata import MasterData
from tests.support.world import (
    ADMIN,
    BANANA,
    CARCASS,
    FRESH_LONGAN,
    LIVE_CHICKEN,
    LOCATIONS,
    PLOT_A,
    PLOT_B,
    PLOT_OTHER,
    PRODUCTS,
)

ABAMECTIN = "abamectin-36ec"
EMAMECTIN = "emamectin-5wg"
NEWCASTLE = "lasota-nd"
ENROFLOXACIN = "enrofloxacin-10"
NPK = "npk-16-16-8"
FEED = "feed-grower"

INPUTS: dict[str, dict[str, Any]] = {
    ABAMECTIN: {
        "category": "pesticide",
        "name": "Reasgant 3.6EC",
        "registration_no": "VN-0123/19",
        "active_ingredients": [{"name": "Abamectin", "concentration": "36 g/l"}],
        "crops": ["fresh_longan"],
        "phi_days": 7,
        "dose_unit": "ml/bình 16 l",
    },
    EMAMECTIN: {
        "category": "pesticide",
        "name": "Tasieu 5WG",
        "registration_no": "VN-0456/21",
        "active_ingredients": [{"name": "Emamectin benzoate", "concentration": "50 g/kg"}],
        "crops": ["pink_banana"],
        "phi_days": 10,
        "dose_unit": "g/bình 16 l",
    },
    NEWCASTLE: {
        "category": "vaccine",
        "name": "Vắc-xin Newcastle Lasota",
        "registration_no": "TW-X2-12",
        "active_ingredients": [{"name": "Newcastle disease virus, Lasota", "concentration": None}],
        "withdrawal_days": 0,
        "dose_unit": "liều",
    },
    ENROFLOXACIN: {
        "category": "veterinary",
        "name": "Enrofloxacin 10%",
        "registration_no": "TW-3-45",
        "active_ingredients": [{"name": "Enrofloxacin", "concentration": "10%"}],
        "withdrawal_days": 7,
        "dose_unit": "ml/l nước",
    },
    NPK: {
        "category": "fertiliser",
        "name": "NPK 16-16-8",
        "n_pct": "16",
        "p_pct": "16",
        "k_pct": "8",
    },
    FEED: {"category": "feed", "name": "Cám gà thịt giai đoạn 2"},
}

#: What the test plots grow.
CROPS = {PLOT_A: "fresh_longan", PLOT_B: "fresh_longan", PLOT_OTHER: "pink_banana"}

#: Plausibility bounds on the test products.
BOUNDS: dict[str, dict[str, str]] = {
    FRESH_LONGAN: {"max_harvest_kg_per_ha": "25000"},
    BANANA: {"max_harvest_kg_per_ha": "60000"},
    LIVE_CHICKEN: {"max_live_kg_per_head": "3.5"},
    CARCASS: {"max_carcass_kg_per_head": "2.6"},
}


def setup_inputs(masterdata: MasterData) -> None:
    """Save the inputs, the plots' crops and the products' bounds (after ``World.setup``)."""
    for code, values in INPUTS.items():
        masterdata.save(ADMIN, "input_product", code, values, "seed")
    for plot, crop in CROPS.items():
        masterdata.save(ADMIN, "location", plot, {**LOCATIONS[plot], "crop": crop}, "crop")
    for gtin, bounds in BOUNDS.items():
        values = PRODUCTS[gtin]
        masterdata.save(
            ADMIN, "product", gtin, {"name_en": values["name_vi"], **values, **bounds}, "bounds"
        )


def spray_of(code: str, plot: str, **changes: Any) -> dict[str, Any]:
    """A spray's data with the facts of input product ``code`` copied as a form copies them."""
    values = INPUTS[code]
    data: dict[str, Any] = {
        "plot": plot,
        "input_product": code,
        "product": values["name"],
        "registration_no": values["registration_no"],
        "active_ingredients": [
            f"{item['name']} {item['concentration']}" for item in values["active_ingredients"]
        ],
        "dose": "15",
        "dose_unit": values["dose_unit"],
        "area_ha": "0.5",
        "phi_days": values["phi_days"],
        "operator": "op-0042",
        "data_source": "measured",
    }
    data.update(changes)
    return data
