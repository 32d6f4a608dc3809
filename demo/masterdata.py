"""Master data of the demo season: organisations, locations, products and accounts.

The GS1 numbers are invented under a Vietnamese company prefix. Fixed parties (the authority,
the cooperatives, the packhouse, the supermarkets, …) come first; ``scale`` multiplies the family
farms of the two cooperatives and the houses of the chicken farm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from biip.checksums import gs1_standard_check_digit

from demo.draws import Draws

#: The GS1 company prefix of the demo (893 is GS1 Vietnam; the rest is invented).
COMPANY_PREFIX = "8938888"
DEMO_PASSWORD = "hung-yen-demo-2026"  # noqa: S105 - documented demo accounts only


def gln(n: int) -> str:
    body = f"{COMPANY_PREFIX}{n:05d}"
    return body + str(gs1_standard_check_digit(body))


def gtin(n: int) -> str:
    body = f"0{COMPANY_PREFIX}{n:05d}"
    return body + str(gs1_standard_check_digit(body))


FRESH_LONGAN = gtin(1)
BOXED_LONGAN = gtin(2)
DRIED_LONGAN = gtin(3)
PINK_BANANA = gtin(4)
BOXED_BANANA = gtin(5)
LIVE_CHICKEN = gtin(6)
CHICKEN_CARCASS = gtin(7)

PRODUCTS = {
    FRESH_LONGAN: ("fresh_longan", "kg", "Nhãn lồng Hưng Yên tươi", "Fresh Hưng Yên longan"),
    BOXED_LONGAN: (
        "fresh_longan",
        "kg",
        "Nhãn lồng Hưng Yên hộp 1 kg",
        "Hưng Yên longan, 1 kg box",
    ),
    DRIED_LONGAN: ("dried_longan", "kg", "Long nhãn Hưng Yên", "Dried Hưng Yên longan"),
    PINK_BANANA: ("pink_banana", "kg", "Chuối tiêu hồng Khoái Châu", "Khoái Châu pink banana"),
    BOXED_BANANA: ("pink_banana", "kg", "Chuối tiêu hồng chín, nải", "Ripe pink banana, hands"),
    LIVE_CHICKEN: ("live_chicken", "head", "Gà đồi Phù Cừ (gà sống)", "Phù Cừ hill chicken, live"),
    CHICKEN_CARCASS: (
        "chicken_carcass",
        "kg",
        "Gà đồi Phù Cừ làm sẵn",
        "Phù Cừ hill chicken, dressed",
    ),
}

AUTHORITY = gln(1)
CERTIFIER = gln(2)
LONGAN_COOP = gln(3)
BANANA_COOP = gln(4)
CHICKEN_FARM = gln(5)
COLLECTOR = gln(6)
DISTRIBUTOR = gln(7)
PACKHOUSE = gln(8)
DRYER_CO = gln(9)
SLAUGHTERHOUSE = gln(10)
SUPERMARKETS = (gln(11), gln(12), gln(13))

PACKHOUSE_SITE = gln(101)
RIPENING_CHAMBER = gln(102)
DRYER_SITE = gln(103)
COLD_STORE = gln(104)
SLAUGHTER_SITE = gln(105)
STORES = (gln(106), gln(107), gln(108))

#: Communes of Hưng Yên by their 2025 GSO codes (see ledger.supplychain.places): longan in the
#: former Tiên Lữ district, pink bananas in the former Khoái Châu.
LONGAN_COMMUNES = (("12337", "Hoàng Hoa Thám"), ("12361", "Tiên Hoa"), ("12364", "Tiên Lữ"))
BANANA_COMMUNES = (("12205", "Khoái Châu"), ("12220", "Triệu Việt Vương"), ("12247", "Châu Ninh"))
KHOAI_CHAU_COMMUNE, LUONG_BANG, NHU_QUYNH, PHO_HIEN = "12205", "12280", "11986", "11953"
#: The chicken farm registered before 1 July 2025 and keeps those codes: Xã Tống Trân of the
#: Phù Cừ district, today part of the 2025 Xã Tống Trân (12427).
TONG_TRAN_BEFORE_2025 = "12430"
#: Areas: the former districts, by their GSO codes.
TIEN_LU, KHOAI_CHAU, PHU_CU = "332", "330", "333"

#: The supermarkets' accounts, in the order of :data:`SUPERMARKETS`.
SUPERMARKET_USERS = ("sieu-thi-1", "sieu-thi-2", "sieu-thi-3")


@dataclass(frozen=True)
class Farm:
    """A family farm of a cooperative: its farmer's account, the farm and its one plot."""

    username: str
    owner: str
    organisation: str
    organisation_record: dict[str, Any]
    plot: str
    plot_record: dict[str, Any]


def organisations() -> dict[str, dict[str, Any]]:
    """Every organisation of the season except the family farms."""
    found: dict[str, dict[str, Any]] = {
        AUTHORITY: {
            "name": "Chi cục Quản lý chất lượng Nông lâm sản và Thủy sản Hưng Yên",
            "roles": ["authority", "certification_body"],
            "province_code": "33",
        },
        CERTIFIER: {
            "name": "Trung tâm Chứng nhận Phù hợp VietGAP Miền Bắc",
            "roles": ["certification_body"],
        },
        LONGAN_COOP: {
            "name": "HTX Nhãn lồng Tiên Lữ",
            "roles": ["cooperative"],
            "province_code": "33",
            "district_code": TIEN_LU,
        },
        BANANA_COOP: {
            "name": "HTX Chuối tiêu hồng Khoái Châu",
            "roles": ["cooperative"],
            "province_code": "33",
            "district_code": KHOAI_CHAU,
        },
        CHICKEN_FARM: {
            "name": "Trang trại Gà đồi Phù Cừ",
            "roles": ["farm"],
            "divisions": "pre-2025",
            "province_code": "33",
            "district_code": PHU_CU,
            "commune_code": TONG_TRAN_BEFORE_2025,
        },
        COLLECTOR: {"name": "Hộ kinh doanh Thu gom nông sản Hưng Long", "roles": ["collector"]},
        DISTRIBUTOR: {
            "name": "Công ty TNHH Phân phối Nông sản Phố Hiến",
            "roles": ["distributor"],
        },
        PACKHOUSE: {"name": "Xưởng sơ chế nông sản Khoái Châu", "roles": ["processor"]},
        DRYER_CO: {"name": "Cơ sở sấy long nhãn Kim Động", "roles": ["processor"]},
        SLAUGHTERHOUSE: {"name": "Cơ sở giết mổ tập trung Văn Lâm", "roles": ["processor"]},
    }
    for gln_, name in zip(
        SUPERMARKETS, ("Siêu thị Cầu Giấy", "Siêu thị Long Biên", "Siêu thị Hà Đông"), strict=True
    ):
        found[gln_] = {"name": name, "roles": ["retailer"], "province_code": "01"}
    return found


def sites(organisations: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The locations of the fixed organisations; a store is named after its supermarket."""
    found: dict[str, dict[str, Any]] = {
        PACKHOUSE_SITE: {
            "organisation": PACKHOUSE,
            "kind": "packhouse",
            "name": "Nhà sơ chế số 1",
            "commune_code": KHOAI_CHAU_COMMUNE,
        },
        RIPENING_CHAMBER: {
            "organisation": PACKHOUSE,
            "kind": "ripening_chamber",
            "name": "Buồng ủ chín chuối",
        },
        DRYER_SITE: {
            "organisation": DRYER_CO,
            "kind": "dryer",
            "name": "Lò sấy long nhãn",
            "commune_code": LUONG_BANG,
        },
        COLD_STORE: {
            "organisation": DISTRIBUTOR,
            "kind": "cold_store",
            "name": "Kho lạnh Phố Hiến",
            "commune_code": PHO_HIEN,
            # The packhouse rents space here: it may store and cool its own lots in this cold store.
            "clients": [PACKHOUSE],
        },
        SLAUGHTER_SITE: {
            "organisation": SLAUGHTERHOUSE,
            "kind": "slaughterhouse",
            "name": "Lò mổ Văn Lâm",
            "commune_code": NHU_QUYNH,
        },
    }
    for store, market in zip(STORES, SUPERMARKETS, strict=True):
        found[store] = {
            "organisation": market,
            "kind": "store",
            "name": organisations[market]["name"],
        }
    return found


#: Plausibility bounds by kind of product: one harvest of a Hưng Yên longan orchard brings
#: about 8 to 15 tonnes a hectare, a pink-banana field 40 to 60 tonnes a hectare a year; a hill
#: chicken weighs 1.5 to 3 kg live and dresses at about 70 %. A quantity beyond needs a reason.
BOUNDS = {
    "fresh_longan": {"max_harvest_kg_per_ha": "20000"},
    "pink_banana": {"max_harvest_kg_per_ha": "60000"},
    "live_chicken": {"max_live_kg_per_head": "3.5"},
    "chicken_carcass": {"max_carcass_kg_per_head": "2.6"},
}


def products() -> dict[str, dict[str, Any]]:
    return {
        key: {
            "kind": kind,
            "unit": unit,
            "name_vi": name_vi,
            "name_en": name_en,
            **BOUNDS.get(kind, {}),
        }
        for key, (kind, unit, name_vi, name_en) in PRODUCTS.items()
    }


def accounts(draw: Draws) -> dict[str, tuple[str, str | None, str]]:
    """The accounts of everyone but the family farmers: username → (role, organisation, name)."""
    found: dict[str, tuple[str, str | None, str]] = {
        "admin": ("admin", AUTHORITY, "Quản trị hệ thống"),
        "thanh-tra": ("auditor", AUTHORITY, draw.person()),
        "chung-nhan": ("auditor", CERTIFIER, draw.person()),
    }
    for username, organisation, role in (
        ("htx-nhan", LONGAN_COOP, "farmer"),
        ("htx-chuoi", BANANA_COOP, "farmer"),
        ("trai-ga", CHICKEN_FARM, "farmer"),
        ("thu-gom", COLLECTOR, "distributor"),
        ("pho-hien", DISTRIBUTOR, "distributor"),
        ("so-che", PACKHOUSE, "processor"),
        ("say-nhan", DRYER_CO, "processor"),
        ("lo-mo", SLAUGHTERHOUSE, "processor"),
        *zip(SUPERMARKET_USERS, SUPERMARKETS, ("retailer",) * 3, strict=True),
    ):
        found[username] = (role, organisation, draw.person())
    return found


@dataclass(frozen=True)
class _Members:
    """How the family farms of a cooperative are numbered, placed and named."""

    cooperative: str
    district: str
    communes: tuple[tuple[str, str], ...]
    per_scale: int
    first_farm: int
    first_plot: int
    username: str
    plot_name: str
    in_gi_area: bool
    crop: str


_LONGAN_MEMBERS = _Members(
    LONGAN_COOP,
    TIEN_LU,
    LONGAN_COMMUNES,
    12,
    1000,
    20000,
    "nhan",
    "Vườn nhãn",
    True,
    "fresh_longan",
)
_BANANA_MEMBERS = _Members(
    BANANA_COOP,
    KHOAI_CHAU,
    BANANA_COMMUNES,
    8,
    5000,
    40000,
    "chuoi",
    "Ruộng chuối",
    False,
    "pink_banana",
)


def longan_farms(draw: Draws, scale: int) -> list[Farm]:
    """Twelve longan orchards per ``scale``, members of the Tiên Lữ cooperative, inside the area
    of the geographical indication; each orchard's area is measured and its place mapped."""

    def surveyed(n: int) -> dict[str, Any]:
        return {
            "area_ha": draw.quantity(3, 15)[:-2] or "0.5",
            "latitude": f"20.{6500 + n % 300}",
            "longitude": f"106.{1200 + n % 300}",
        }

    return _family_farms(draw, scale, _LONGAN_MEMBERS, surveyed)


def banana_farms(draw: Draws, scale: int) -> list[Farm]:
    """Eight pink-banana fields per ``scale``, members of the Khoái Châu cooperative."""
    return _family_farms(draw, scale, _BANANA_MEMBERS, lambda n: {"area_ha": "0.6"})


def _family_farms(
    draw: Draws, scale: int, members: _Members, survey: Callable[[int], dict[str, Any]]
) -> list[Farm]:
    """The farms of ``members``, each named after its owner; ``survey`` gives the rest of the
    plot ``n``'s record (drawn after the owner's name)."""
    farms = []
    for n in range(members.per_scale * scale):
        farm, plot = gln(members.first_farm + n), gln(members.first_plot + n)
        commune, commune_name = members.communes[n % len(members.communes)]
        owner = draw.person()
        record = {
            "name": f"Hộ {owner}",
            "roles": ["farm"],
            "member_of": members.cooperative,
            "province_code": "33",
            "district_code": members.district,
            "commune_code": commune,
        }
        plot_record = {
            "organisation": farm,
            "kind": "farm_plot",
            "name": f"{members.plot_name} {commune_name} {n + 1}",
            "district_code": members.district,
            "commune_code": commune,
            "in_gi_area": members.in_gi_area,
            "crop": members.crop,
            **survey(n),
        }
        username = f"{members.username}-{n + 1:03d}"
        farms.append(Farm(username, owner, farm, record, plot, plot_record))
    return farms


def chicken_houses(scale: int) -> dict[str, dict[str, Any]]:
    """Two houses per ``scale`` on the hill-chicken farm, registered under the pre-2025 codes."""
    return {
        gln(60000 + n): {
            "organisation": CHICKEN_FARM,
            "kind": "chicken_house",
            "name": f"Chuồng gà đồi số {n + 1}",
            "divisions": "pre-2025",
            "district_code": PHU_CU,
            "commune_code": TONG_TRAN_BEFORE_2025,
            "usable_area_m2": "600",
        }
        for n in range(2 * scale)
    }
