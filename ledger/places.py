"""Names of the places the ledger refers to by GSO code, for pages people read.

Locations and organisations carry the General Statistics Office's administrative codes (province,
district, commune), which never change spelling; the names are looked up here. The districts of
Hưng Yên (province code 33) are listed in full, as they stood before the 2025 reorganisation;
a code not listed is shown as the code itself.
"""

from __future__ import annotations

HUNG_YEN = "33"

DISTRICTS: dict[str, tuple[str, str]] = {
    # code: (Vietnamese, English)
    "323": ("Thành phố Hưng Yên", "Hưng Yên City"),
    "325": ("Huyện Văn Lâm", "Văn Lâm District"),
    "326": ("Huyện Văn Giang", "Văn Giang District"),
    "327": ("Huyện Yên Mỹ", "Yên Mỹ District"),
    "328": ("Thị xã Mỹ Hào", "Mỹ Hào Town"),
    "329": ("Huyện Ân Thi", "Ân Thi District"),
    "330": ("Huyện Khoái Châu", "Khoái Châu District"),
    "331": ("Huyện Kim Động", "Kim Động District"),
    "332": ("Huyện Tiên Lữ", "Tiên Lữ District"),
    "333": ("Huyện Phù Cừ", "Phù Cừ District"),
}


def district_name(code: str | None, language: str = "vi") -> str | None:
    """The district's name in ``language`` (``vi`` or ``en``), or its code if it is not listed."""
    if not code:
        return None
    names = DISTRICTS.get(code)
    if names is None:
        return code
    return names[1] if language == "en" else names[0]
