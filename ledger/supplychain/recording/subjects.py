"""The ids entries name their subjects by: lots, plots, chicken houses and other locations."""

from __future__ import annotations


def lot_parts(lot_id: str) -> tuple[str, str]:
    """``lot:<GTIN-14>/<lot>`` as (GTIN, lot code); the schema has checked the form."""
    gtin, _, code = lot_id[4:].partition("/")
    return gtin, code


def lot_id_of(gtin: str, code: str) -> str:
    return f"lot:{gtin}/{code}"


def location_subject(kind: str, gln: str) -> str:
    if kind == "farm_plot":
        return f"plot:{gln}"
    if kind == "chicken_house":
        return f"house:{gln}"
    return f"location:{gln}"
