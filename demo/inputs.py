"""The farm inputs of the demo season: what the orchards spray and feed, what the flocks get.

Products of the kinds sold in Vietnam for these crops and flocks: insecticides with abamectin,
emamectin benzoate and spinetoram for longan (stem borers, leaf rollers, fruit borers) and pink
banana (thrips, leaf-eating caterpillars), a fungicide for banana leaf spot, the Newcastle
(Lasota) and Gumboro vaccines, an antibiotic with a withdrawal period, NPK and an organic
fertiliser, a grain feed. The registration numbers are invented in the form such numbers take;
the active ingredients, concentrations, pre-harvest intervals and withdrawal periods are those
such products carry on their labels.
"""

from __future__ import annotations

from typing import Any

from ledger.supplychain.input_products import from_row

REASGANT = "reasgant-3-6ec"
TASIEU = "tasieu-1-9ec"
RADIANT = "radiant-60sc"
TILT_SUPER = "tilt-super-300ec"
NEWCASTLE = "newcastle-lasota"
GUMBORO = "gumboro-228e"
ENROFLOXACIN = "enrofloxacin-10"
NPK = "npk-lam-thao-16-16-8"
ORGANIC = "huu-co-song-gianh"
GRAIN_FEED = "cam-ngo-thoc"

_SPRAYER = "ml/bình 16 l"

INPUT_PRODUCTS: dict[str, dict[str, Any]] = {
    REASGANT: {
        "category": "pesticide",
        "name": "Reasgant 3.6EC",
        "registration_no": "VN-2313/19",
        "active_ingredients": [{"name": "Abamectin", "concentration": "36 g/l"}],
        "crops": ["fresh_longan"],
        "phi_days": 7,
        "dose_unit": _SPRAYER,
    },
    TASIEU: {
        "category": "pesticide",
        "name": "Tasieu 1.9EC",
        "registration_no": "VN-1087/20",
        "active_ingredients": [{"name": "Emamectin benzoate", "concentration": "19 g/l"}],
        "crops": ["fresh_longan", "pink_banana"],
        "phi_days": 7,
        "dose_unit": _SPRAYER,
    },
    RADIANT: {
        "category": "pesticide",
        "name": "Radiant 60SC",
        "registration_no": "VN-0451/22",
        "active_ingredients": [{"name": "Spinetoram", "concentration": "60 g/l"}],
        "crops": ["fresh_longan"],
        "phi_days": 7,
        "dose_unit": _SPRAYER,
    },
    TILT_SUPER: {
        "category": "pesticide",
        "name": "Tilt Super 300EC",
        "registration_no": "VN-0672/21",
        "active_ingredients": [
            {"name": "Difenoconazole", "concentration": "150 g/l"},
            {"name": "Propiconazole", "concentration": "150 g/l"},
        ],
        "crops": ["pink_banana"],
        "phi_days": 14,
        "dose_unit": _SPRAYER,
    },
    NEWCASTLE: {
        "category": "vaccine",
        "name": "Vắc xin Newcastle Lasota",
        "registration_no": "TW-X2-21",
        "active_ingredients": [{"name": "Newcastle disease virus, Lasota", "concentration": None}],
        "withdrawal_days": 0,
        "dose_unit": "liều/con",
    },
    GUMBORO: {
        "category": "vaccine",
        "name": "Vắc xin Gumboro 228E",
        "registration_no": "TW-X2-35",
        "active_ingredients": [
            {"name": "Infectious bursal disease virus, 228E", "concentration": None}
        ],
        "withdrawal_days": 0,
        "dose_unit": "liều/con",
    },
    ENROFLOXACIN: {
        "category": "veterinary",
        "name": "Enrofloxacin 10%",
        "registration_no": "TW-3-188",
        "active_ingredients": [{"name": "Enrofloxacin", "concentration": "10%"}],
        "withdrawal_days": 7,
        "dose_unit": "ml/lít nước",
    },
    NPK: {
        "category": "fertiliser",
        "name": "NPK Lâm Thao 16-16-8",
        "n_pct": "16",
        "p_pct": "16",
        "k_pct": "8",
    },
    ORGANIC: {"category": "fertiliser", "name": "Phân hữu cơ vi sinh Sông Gianh"},
    GRAIN_FEED: {"category": "feed", "name": "Cám ngô và thóc"},
}


def facts(code: str, event_type: str) -> dict[str, Any]:
    """What an event of ``event_type`` copies from the input product ``code``, as the farmer's
    form copies it."""
    return from_row({"code": code, **INPUT_PRODUCTS[code]}).event_facts(event_type)
