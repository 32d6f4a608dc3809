"""Places by name: Vietnam's administrative divisions, before and after 1 July 2025.

Locations and organisations carry the General Statistics Office's codes (province, district,
commune). Since 1 July 2025 there are two tiers, province and commune; many communes were merged
and the new Hưng Yên includes the former Thái Bình. A record says which edition its codes belong
to (``divisions``: ``2025`` or ``pre-2025``), because the same number may name one commune before
and another after, and entries already in the ledger keep the codes they were signed with.

The divisions come from maintained packages, not from a table kept here:

* ``vietnam-provinces``: the 2025 provinces and communes, with the GSO's codes and names;
* ``vietnamadminunits``: the divisions before 2025 (provinces, districts, communes) and the
  conversion of a pre-2025 (province, district, commune) to its 2025 commune.

The former districts stay as named **areas**: rules such as the longan GI zone were drawn on them,
so every 2025 commune is mapped to the area most of its communes came from (a commune formed
across a former border also lists the other areas it covers). Names are Vietnamese with their
unit type ("Xã Tiên Hoa"); the English name is the same name with the type translated
("Tiên Hoa Commune").
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from vietnam_provinces import Province, Ward

from ledger.common.messages import N_, Message

DIVISIONS_2025 = "2025"
DIVISIONS_PRE_2025 = "pre-2025"
#: The editions a record's codes may belong to. New records are of the 2025 edition.
DIVISIONS = (DIVISIONS_2025, DIVISIONS_PRE_2025)

HUNG_YEN = "33"

#: Vietnamese unit types and their English names, longest first so that "Thành phố" is not
#: read as a "Thành ..." name.
UNIT_TYPES = (
    ("thành phố", "City"),
    ("thị trấn", "Township"),
    ("đặc khu", "Special Zone"),
    ("thị xã", "Town"),
    ("phường", "Ward"),
    ("huyện", "District"),
    ("quận", "District"),
    ("tỉnh", "Province"),
    ("xã", "Commune"),
)
#: Code widths: GSO codes are zero-padded numbers ("01", "001", "00001").
PROVINCE_DIGITS, DISTRICT_DIGITS, COMMUNE_DIGITS = 2, 3, 5


@dataclass(frozen=True)
class Unit:
    """An administrative unit of one edition: its code, its Vietnamese name with its type, and
    the codes of the units it lies in."""

    code: str
    name: str
    province: str
    #: The district a pre-2025 commune lay in; None for provinces, districts and 2025 communes.
    district: str | None = None

    def name_in(self, language: str) -> str:
        """The name in ``language``: Vietnamese as it is, English with its type translated."""
        return english_name(self.name) if language == "en" else self.name

    def names(self) -> dict[str, str]:
        return {"vi": self.name, "en": english_name(self.name)}


def _nfc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def english_name(name: str) -> str:
    """ "Xã Tiên Hoa" → "Tiên Hoa Commune", "Huyện Tiên Lữ" → "Tiên Lữ District"; a name with
    no known unit type stays as it is."""
    folded = name.casefold()
    for vietnamese, english in UNIT_TYPES:
        if folded.startswith(vietnamese + " "):
            return f"{name[len(vietnamese) + 1 :].strip()} {english}"
    return name


def _code(value: str | int | None, digits: int) -> str | None:
    if value is None or value == "":
        return None
    return str(value).zfill(digits)


# --- the 2025 edition (vietnam-provinces) ------------------------------------------------------


@cache
def _provinces_2025() -> dict[str, Unit]:
    units = {}
    for province in Province.iter_all():
        code = _code(int(province.code), PROVINCE_DIGITS) or ""
        name = _nfc(province.name)
        if english_name(name) == name:  # "Hưng Yên": the package names a tỉnh without its type
            name = f"Tỉnh {name}"
        units[code] = Unit(code, name, code)
    return units


@cache
def _communes_2025() -> dict[str, Unit]:
    units = {}
    for ward in Ward.iter_all():
        code = _code(int(ward.code), COMMUNE_DIGITS) or ""
        province = _code(int(ward.province_code), PROVINCE_DIGITS) or ""
        units[code] = Unit(code, _nfc(ward.name), province)
    return units


@cache
def _communes_2025_by_name() -> dict[tuple[str, str], Unit]:
    return {(unit.province, unit.name.casefold()): unit for unit in _communes_2025().values()}


# --- the edition before 2025 (vietnamadminunits) -----------------------------------------------


@dataclass(frozen=True)
class _Legacy:
    provinces: dict[str, Unit]
    districts: dict[str, Unit]
    communes: dict[str, Unit]


@cache
def _legacy() -> _Legacy:
    """The divisions as they stood until 30 June 2025, read once from the package's data set."""
    from vietnamadminunits.database.main import get_data

    fields = ["provinceCode", "province", "districtCode", "district", "wardCode", "ward"]
    provinces: dict[str, Unit] = {}
    districts: dict[str, Unit] = {}
    communes: dict[str, Unit] = {}
    for row in get_data(fields=fields, table="admin_units_legacy"):
        province = _code(row["provinceCode"], PROVINCE_DIGITS) or ""
        district = _code(row["districtCode"], DISTRICT_DIGITS) or ""
        provinces.setdefault(province, Unit(province, _nfc(row["province"]), province))
        districts.setdefault(district, Unit(district, _nfc(row["district"]), province))
        commune = _code(row["wardCode"], COMMUNE_DIGITS)
        if commune and row["ward"]:
            communes[commune] = Unit(commune, _nfc(row["ward"]), province, district)
    return _Legacy(provinces, districts, communes)


def _convert(address: str) -> Any:
    """vietnamadminunits' conversion of a pre-2025 address, or None for one it cannot read."""
    from vietnamadminunits import convert_address

    try:
        return convert_address(address)
    except Exception:  # a name the converter cannot read has no successor
        return None


@cache
def _converted(commune_code: str) -> Unit | None:
    """The 2025 commune a pre-2025 commune became, by vietnamadminunits' conversion of its
    (commune, district, province), matched by name to the 2025 list.

    The address carries no street, so the converter takes the commune's designated successor
    and never looks a place up on the network."""
    legacy = _legacy()
    old = legacy.communes.get(commune_code)
    if old is None or old.district is None:
        return None
    address = ", ".join(
        (old.name, legacy.districts[old.district].name, legacy.provinces[old.province].name)
    )
    new = _convert(address)
    if new is None or not new.ward:
        return None
    province = _code(new.province_code, PROVINCE_DIGITS) or ""
    return _communes_2025_by_name().get((province, _nfc(new.ward).casefold()))


@cache
def _areas_2025(province: str) -> dict[str, tuple[str, ...]]:
    """For each 2025 commune of ``province``, the former districts its communes came from, the
    one most of them came from first (a tie goes to the district of the commune whose code the
    new commune carries, then to the lower code)."""
    legacy = _legacy()
    wanted = set()
    for code, unit in legacy.provinces.items():
        successor = _convert(unit.name)
        if successor is not None and _code(successor.province_code, PROVINCE_DIGITS) == province:
            wanted.add(code)
    counts: dict[str, Counter[str]] = {}
    for code, old in legacy.communes.items():
        if old.province not in wanted or old.district is None:
            continue
        new = _converted(code)
        if new is not None:
            counts.setdefault(new.code, Counter())[old.district] += 1

    def order(new_code: str, district: str, count: int) -> tuple[int, int, str]:
        carried = legacy.communes.get(new_code)
        return (-count, 0 if carried and carried.district == district else 1, district)

    return {
        new_code: tuple(
            district
            for district, _ in sorted(found.items(), key=lambda item: order(new_code, *item))
        )
        for new_code, found in counts.items()
    }


# --- lookups -----------------------------------------------------------------------------------


def load() -> None:
    """Read both editions and work out Hưng Yên's areas now (about two seconds), so that a
    server pays for it when it starts rather than on the first page a shopper opens."""
    _provinces_2025()
    _communes_2025()
    _legacy()
    _areas_2025(HUNG_YEN)


def province(code: str | None, divisions: str = DIVISIONS_2025) -> Unit | None:
    key = _code(code, PROVINCE_DIGITS)
    if key is None:
        return None
    table = _provinces_2025() if divisions == DIVISIONS_2025 else _legacy().provinces
    return table.get(key)


def district(code: str | None) -> Unit | None:
    """A district as it stood before 2025: since then an area, no longer a tier."""
    key = _code(code, DISTRICT_DIGITS)
    return _legacy().districts.get(key) if key else None


def commune(code: str | None, divisions: str = DIVISIONS_2025) -> Unit | None:
    key = _code(code, COMMUNE_DIGITS)
    if key is None:
        return None
    table = _communes_2025() if divisions == DIVISIONS_2025 else _legacy().communes
    return table.get(key)


def today(code: str | None, divisions: str = DIVISIONS_2025) -> Unit | None:
    """The 2025 commune the commune ``code`` of edition ``divisions`` is part of today."""
    if divisions == DIVISIONS_2025:
        return commune(code)
    key = _code(code, COMMUNE_DIGITS)
    return _converted(key) if key else None


def areas(code: str | None) -> tuple[str, ...]:
    """The former districts a 2025 commune covers, its main area first."""
    unit = commune(code)
    if unit is None:
        return ()
    return _areas_2025(unit.province).get(unit.code, ())


def area_of(code: str | None, divisions: str = DIVISIONS_2025) -> str | None:
    """The area (former district) of a commune: its district before 2025, or for a 2025
    commune the former district most of it came from."""
    if divisions == DIVISIONS_PRE_2025:
        unit = commune(code, divisions)
        return unit.district if unit else None
    found = areas(code)
    return found[0] if found else None


def district_name(code: str | None, language: str = "vi") -> str | None:
    """A former district's (an area's) name in ``language``, or its code if it is not known."""
    if not code:
        return None
    unit = district(code)
    return unit.name_in(language) if unit else code


# --- master data -------------------------------------------------------------------------------

_UNKNOWN = {
    ("province_code", DIVISIONS_2025): N_("{code} is not a province code of the 2025 divisions."),
    ("province_code", DIVISIONS_PRE_2025): N_(
        "{code} is not a province code of the divisions before 1 July 2025."
    ),
    ("district_code", DIVISIONS_2025): N_(
        "{code} is not the code of a district as they stood before 1 July 2025."
    ),
    ("district_code", DIVISIONS_PRE_2025): N_(
        "{code} is not the code of a district as they stood before 1 July 2025."
    ),
    ("commune_code", DIVISIONS_2025): N_("{code} is not a commune code of the 2025 divisions."),
    ("commune_code", DIVISIONS_PRE_2025): N_(
        "{code} is not a commune code of the divisions before 1 July 2025."
    ),
}


def check(
    values: Mapping[str, Any], *, with_province: bool
) -> tuple[dict[str, Any], dict[str | int, Any]]:
    """A location's or organisation's codes checked against the edition they belong to.

    Returns the place fields canonical (codes zero-padded, the district filled in from the
    commune: for the 2025 edition the commune's main area) and the errors, each under the field
    it is about."""
    divisions = values.get("divisions") or DIVISIONS_2025
    codes = {
        "province_code": _code(values.get("province_code"), PROVINCE_DIGITS),
        "district_code": _code(values.get("district_code"), DISTRICT_DIGITS),
        "commune_code": _code(values.get("commune_code"), COMMUNE_DIGITS),
    }
    errors: dict[str | int, Any] = {}

    def refuse(field: str, template: str, **params: Any) -> None:
        errors.setdefault(field, []).append(Message(template, **params))

    if divisions not in DIVISIONS:
        refuse("divisions", N_("Say 2025 or pre-2025."))
        return codes, errors
    found = {
        "province_code": province(codes["province_code"], divisions),
        "district_code": district(codes["district_code"]),
        "commune_code": commune(codes["commune_code"], divisions),
    }
    for field, code in codes.items():
        if code is not None and found[field] is None:
            refuse(field, _UNKNOWN[field, divisions], code=code)
    the_province, the_district, the_commune = found.values()
    if divisions == DIVISIONS_PRE_2025:
        if the_commune and the_district and the_commune.district != the_district.code:
            refuse(
                "commune_code",
                N_("{commune} was in {district}, not in {other}."),
                commune=the_commune.name,
                district=district_name(the_commune.district),
                other=the_district.name,
            )
        if the_commune and codes["district_code"] is None:
            codes["district_code"] = the_commune.district
        inner = the_district or the_commune
        if the_province and inner and inner.province != the_province.code:
            refuse(
                "province_code",
                N_("{unit} was in {province}, not in {other}."),
                unit=inner.name,
                province=_province_name(inner.province, divisions),
                other=the_province.name,
            )
    elif the_commune:
        covered = areas(the_commune.code)
        if codes["district_code"] is None and covered:
            codes["district_code"] = covered[0]
        elif the_district and covered and the_district.code not in covered:
            refuse(
                "district_code",
                N_("{commune} covers no part of {district}; it covers {areas}."),
                commune=the_commune.name,
                district=the_district.name,
                areas=", ".join(district_name(code) or code for code in covered),
            )
        if the_province and the_commune.province != the_province.code:
            refuse(
                "commune_code",
                N_("{commune} is in {province}, not in {other}."),
                commune=the_commune.name,
                province=_province_name(the_commune.province, divisions),
                other=the_province.name,
            )
    if not with_province:
        del codes["province_code"]
    return {"divisions": divisions, **codes}, errors


def _province_name(code: str, divisions: str) -> str:
    unit = province(code, divisions)
    return unit.name if unit else code


# --- pages -------------------------------------------------------------------------------------


def described(
    divisions: str | None, commune_code: str | None, district_code: str | None
) -> dict[str, Any]:
    """A place as pages show it, from the codes a record or a ledger entry holds: the commune's
    name in its edition, today's commune when that differs, and the area, each in Vietnamese
    and English. An entry signed before editions were recorded holds pre-2025 codes."""
    edition = divisions or DIVISIONS_PRE_2025
    then = commune(commune_code, edition)
    now = today(commune_code, edition)
    area = district_code or area_of(commune_code, edition)
    area_unit = district(area)
    return {
        "divisions": edition,
        "commune_code": commune_code,
        "district_code": district_code,
        "commune": then.names() if then else None,
        "commune_today": now.names() if now and (then is None or now.name != then.name) else None,
        "area": area_unit.names() if area_unit else None,
    }
