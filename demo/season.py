"""A season in Hưng Yên, generated deterministically: the demo data and the benchmark workload.

:func:`build_season` returns master data, accounts and a list of steps, each an event request
exactly as a client would send it to ``POST /api/v1/events`` with the username that sends it.
The ``flask demo seed`` command and ``scripts/bench.py api`` record the steps through the same
schema and recording service the API uses; nothing here touches the database.

The story: a longan cooperative in Tiên Lữ and a pink-banana cooperative in Khoái Châu with about
twenty farms, a hill-chicken farm in Phù Cừ, a banana collector, a distributor with a cold store, a
packhouse with a ripening chamber, a longan dryer, a slaughterhouse and three supermarkets in Hà
Nội. Inputs, harvests, packing, handovers, cold storage, ripening, drying, slaughter, sales and
payments; one over-shipment that the ledger refuses, one loss in transit, one correction, and a
recall that is lifted after a second laboratory test. ``scale`` multiplies the farms and flocks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from biip.checksums import gs1_standard_check_digit

VIETNAM = timezone(timedelta(hours=7))
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

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Đặng", "Ngô", "Dương")
MIDDLE = ("Văn", "Thị", "Đức", "Thu", "Minh", "Hữu", "Ngọc")
GIVEN = (
    "An",
    "Bình",
    "Cường",
    "Dung",
    "Hằng",
    "Hùng",
    "Lan",
    "Long",
    "Mai",
    "Nam",
    "Phúc",
    "Quý",
    "Sơn",
    "Thảo",
    "Tiến",
    "Trang",
    "Tú",
    "Xuân",
    "Yến",
    "Khánh",
)
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


@dataclass
class Step:
    """One event request, sent by ``username``. ``refused`` marks a step that must be refused."""

    username: str
    request: dict[str, Any]
    refused: bool = False


@dataclass
class Season:
    organisations: dict[str, dict[str, Any]] = field(default_factory=dict)
    locations: dict[str, dict[str, Any]] = field(default_factory=dict)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: username → (role, organisation GLN or None, display name)
    accounts: dict[str, tuple[str, str | None, str]] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    #: Lots by stage, for benchmarks and the README walk-through.
    farm_lots: list[str] = field(default_factory=list)
    retail_lots: list[str] = field(default_factory=list)
    #: Organisations that sign QR labels, with the GS1 company prefixes their keys cover.
    label_keys: dict[str, list[str]] = field(default_factory=dict)
    #: Lots whose units carry signed labels.
    labelled_lots: list[str] = field(default_factory=list)


class _Writer:
    """Writes the steps, each at a plausible time that never precedes what it depends on."""

    def __init__(self, season: Season, now: datetime, rng: random.Random) -> None:
        self.season = season
        self.now = now
        self.rng = rng
        self.counter = 0
        #: The time of the latest step that touched each lot: a step about a lot comes after it.
        self.last: dict[str, datetime] = {}

    def moment(self, days_ago: float, hour: int = 7) -> datetime:
        moment = (self.now - timedelta(days=days_ago)).astimezone(VIETNAM)
        return moment.replace(hour=hour, minute=self.rng.randrange(60), second=0, microsecond=0)

    def time(self, days_ago: float, hour: int = 7) -> str:
        return self._bounded(self.moment(days_ago, hour)).isoformat(timespec="milliseconds")

    def _bounded(self, moment: datetime) -> datetime:
        latest = (self.now - timedelta(minutes=5)).astimezone(VIETNAM).replace(microsecond=0)
        return min(moment, latest)

    def step(
        self,
        username: str,
        type_: str,
        data: dict[str, Any],
        days_ago: float,
        *,
        hour: int = 7,
        refused: bool = False,
        **extra: Any,
    ) -> None:
        self.counter += 1
        lots = _lots_in(data)
        moment = self.moment(days_ago, hour)
        earlier = [self.last[lot] for lot in lots if lot in self.last]
        if earlier:
            moment = max(moment, max(earlier) + timedelta(minutes=self.rng.randrange(5, 40)))
        moment = self._bounded(moment)
        if not refused:
            self.last.update(dict.fromkeys(lots, moment))
        request = {
            "type": type_,
            "event_time": moment.isoformat(timespec="milliseconds"),
            "idempotency_key": f"demo-{self.counter:06d}",
            "data": data,
            **extra,
        }
        self.season.steps.append(Step(username, request, refused))

    def code(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter:06d}"

    def person(self) -> str:
        return f"{self.rng.choice(FAMILY)} {self.rng.choice(MIDDLE)} {self.rng.choice(GIVEN)}"

    def quantity(self, low: int, high: int) -> str:
        return str(Decimal(self.rng.randrange(low * 10, high * 10)) / 10)


def _lots_in(data: dict[str, Any]) -> list[str]:
    """The lots a request names, including one a shipment splits off."""
    lots = [data[k] for k in ("lot", "flock", "input", "output") if isinstance(data.get(k), str)]
    lots += [item["lot"] for k in ("inputs", "outputs") for item in data.get(k) or ()]
    lots += list(data.get("lots") or ())
    if data.get("split_lot") and isinstance(data.get("lot"), str):
        lots.append(f"{data['lot'].rpartition('/')[0]}/{data['split_lot']}")
    return [lot for lot in lots if lot.startswith("lot:")]


def _lot(product: str, code: str) -> str:
    return f"lot:{product}/{code}"


def _ship(
    w: _Writer, who: str, lot: str, quantity: str, to: str, days: float, **extra: Any
) -> None:
    data = {
        "lot": lot,
        "quantity": quantity,
        "receiver": to,
        "vehicle_class": extra.pop("vehicle", "van"),
        "refrigerated": extra.pop("refrigerated", False),
        "distance_km": extra.pop("distance", "25"),
        "transport_document": extra.pop("document", f"PX-{w.counter:06d}"),
        "data_source": "measured",
    }
    hour = extra.pop("hour", 9)
    data.update(extra)
    w.step(who, "ship", data, days, hour=hour)


def _temperature(w: _Writer, low: float, high: float) -> dict[str, Any]:
    a = Decimal(str(round(w.rng.uniform(low, (low + high) / 2), 1)))
    b = Decimal(str(round(w.rng.uniform((low + high) / 2, high), 1)))
    mean = ((a + b) / 2).quantize(Decimal("0.1"))
    return {"min": str(a), "max": str(b), "mean": str(mean), "count": w.rng.randrange(24, 96)}


def _master_data(
    season: Season, scale: int, w: _Writer
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    org = season.organisations
    loc = season.locations
    org[AUTHORITY] = {
        "name": "Chi cục Quản lý chất lượng Nông lâm sản và Thủy sản Hưng Yên",
        "roles": ["authority", "certification_body"],
        "province_code": "33",
    }
    org[CERTIFIER] = {
        "name": "Trung tâm Chứng nhận Phù hợp VietGAP Miền Bắc",
        "roles": ["certification_body"],
    }
    org[LONGAN_COOP] = {
        "name": "HTX Nhãn lồng Tiên Lữ",
        "roles": ["cooperative"],
        "province_code": "33",
        "district_code": TIEN_LU,
    }
    org[BANANA_COOP] = {
        "name": "HTX Chuối tiêu hồng Khoái Châu",
        "roles": ["cooperative"],
        "province_code": "33",
        "district_code": KHOAI_CHAU,
    }
    org[CHICKEN_FARM] = {
        "name": "Trang trại Gà đồi Phù Cừ",
        "roles": ["farm"],
        "divisions": "pre-2025",
        "province_code": "33",
        "district_code": PHU_CU,
        "commune_code": TONG_TRAN_BEFORE_2025,
    }
    org[COLLECTOR] = {"name": "Hộ kinh doanh Thu gom nông sản Hưng Long", "roles": ["collector"]}
    org[DISTRIBUTOR] = {
        "name": "Công ty TNHH Phân phối Nông sản Phố Hiến",
        "roles": ["distributor"],
    }
    org[PACKHOUSE] = {"name": "Xưởng sơ chế nông sản Khoái Châu", "roles": ["processor"]}
    org[DRYER_CO] = {"name": "Cơ sở sấy long nhãn Kim Động", "roles": ["processor"]}
    org[SLAUGHTERHOUSE] = {"name": "Cơ sở giết mổ tập trung Văn Lâm", "roles": ["processor"]}
    for gln_, name in zip(
        SUPERMARKETS, ("Siêu thị Cầu Giấy", "Siêu thị Long Biên", "Siêu thị Hà Đông"), strict=True
    ):
        org[gln_] = {"name": name, "roles": ["retailer"], "province_code": "01"}
    loc[PACKHOUSE_SITE] = {
        "organisation": PACKHOUSE,
        "kind": "packhouse",
        "name": "Nhà sơ chế số 1",
        "commune_code": KHOAI_CHAU_COMMUNE,
    }
    loc[RIPENING_CHAMBER] = {
        "organisation": PACKHOUSE,
        "kind": "ripening_chamber",
        "name": "Buồng ủ chín chuối",
    }
    loc[DRYER_SITE] = {
        "organisation": DRYER_CO,
        "kind": "dryer",
        "name": "Lò sấy long nhãn",
        "commune_code": LUONG_BANG,
    }
    loc[COLD_STORE] = {
        "organisation": DISTRIBUTOR,
        "kind": "cold_store",
        "name": "Kho lạnh Phố Hiến",
        "commune_code": PHO_HIEN,
        # The packhouse rents space here: it may store and cool its own lots in this cold store.
        "clients": [PACKHOUSE],
    }
    loc[SLAUGHTER_SITE] = {
        "organisation": SLAUGHTERHOUSE,
        "kind": "slaughterhouse",
        "name": "Lò mổ Văn Lâm",
        "commune_code": NHU_QUYNH,
    }
    for store, market in zip(STORES, SUPERMARKETS, strict=True):
        loc[store] = {"organisation": market, "kind": "store", "name": org[market]["name"]}
    for key, (kind, unit, name_vi, name_en) in PRODUCTS.items():
        season.products[key] = {"kind": kind, "unit": unit, "name_vi": name_vi, "name_en": name_en}

    accounts = season.accounts
    accounts["admin"] = ("admin", AUTHORITY, "Quản trị hệ thống")
    accounts["thanh-tra"] = ("auditor", AUTHORITY, w.person())
    accounts["chung-nhan"] = ("auditor", CERTIFIER, w.person())
    for username, organisation, role in (
        ("htx-nhan", LONGAN_COOP, "farmer"),
        ("htx-chuoi", BANANA_COOP, "farmer"),
        ("trai-ga", CHICKEN_FARM, "farmer"),
        ("thu-gom", COLLECTOR, "distributor"),
        ("pho-hien", DISTRIBUTOR, "distributor"),
        ("so-che", PACKHOUSE, "processor"),
        ("say-nhan", DRYER_CO, "processor"),
        ("lo-mo", SLAUGHTERHOUSE, "processor"),
        ("sieu-thi-1", SUPERMARKETS[0], "retailer"),
        ("sieu-thi-2", SUPERMARKETS[1], "retailer"),
        ("sieu-thi-3", SUPERMARKETS[2], "retailer"),
    ):
        accounts[username] = (role, organisation, w.person())

    longan_farms, banana_farms = [], []
    for n in range(12 * scale):
        farm, plot = gln(1000 + n), gln(20000 + n)
        commune, commune_name = LONGAN_COMMUNES[n % len(LONGAN_COMMUNES)]
        owner = w.person()
        org[farm] = {
            "name": f"Hộ {owner}",
            "roles": ["farm"],
            "member_of": LONGAN_COOP,
            "province_code": "33",
            "district_code": TIEN_LU,
            "commune_code": commune,
        }
        loc[plot] = {
            "organisation": farm,
            "kind": "farm_plot",
            "name": f"Vườn nhãn {commune_name} {n + 1}",
            "district_code": TIEN_LU,
            "commune_code": commune,
            "in_gi_area": True,
            "area_ha": w.quantity(3, 15)[:-2] or "0.5",
            "latitude": f"20.{6500 + n % 300}",
            "longitude": f"106.{1200 + n % 300}",
        }
        username = f"nhan-{n + 1:03d}"
        accounts[username] = ("farmer", farm, owner)
        longan_farms.append((username, farm, plot))
    for n in range(8 * scale):
        farm, plot = gln(5000 + n), gln(40000 + n)
        commune, commune_name = BANANA_COMMUNES[n % len(BANANA_COMMUNES)]
        owner = w.person()
        org[farm] = {
            "name": f"Hộ {owner}",
            "roles": ["farm"],
            "member_of": BANANA_COOP,
            "province_code": "33",
            "district_code": KHOAI_CHAU,
            "commune_code": commune,
        }
        loc[plot] = {
            "organisation": farm,
            "kind": "farm_plot",
            "name": f"Ruộng chuối {commune_name} {n + 1}",
            "district_code": KHOAI_CHAU,
            "commune_code": commune,
            "in_gi_area": False,
            "area_ha": "0.6",
        }
        username = f"chuoi-{n + 1:03d}"
        accounts[username] = ("farmer", farm, owner)
        banana_farms.append((username, farm, plot))
    return longan_farms, banana_farms


def _certificates(w: _Writer) -> None:
    """Certificates held by the cooperatives and the chicken farm cover all their members' sites."""
    year = w.now.astimezone(VIETNAM).year
    for username, body, scheme, number, holder, products in (
        ("chung-nhan", CERTIFIER, "vietgap", f"VG-{year - 1}-0412", LONGAN_COOP, ["fresh_longan"]),
        (
            "thanh-tra",
            AUTHORITY,
            "gi_hung_yen_longan",
            f"CDDL-{year - 2}-017",
            LONGAN_COOP,
            ["fresh_longan", "dried_longan"],
        ),
        ("chung-nhan", CERTIFIER, "vietgap", f"VG-{year - 1}-0398", BANANA_COOP, ["pink_banana"]),
        (
            "chung-nhan",
            CERTIFIER,
            "vietgahp",
            f"VGAHP-{year - 1}-0051",
            CHICKEN_FARM,
            ["live_chicken", "chicken_carcass"],
        ),
    ):
        w.step(
            username,
            "cert.issue",
            {
                "scheme": scheme,
                "number": number,
                "body": body,
                "holder": holder,
                "products": products,
                "valid_from": f"{year - 1}-03-01",
                "valid_to": f"{year + 2}-02-28",
            },
            25,
            hour=8,
        )


def build_season(scale: int = 1, now: datetime | None = None, seed: int = 2026) -> Season:
    """The demo season: master data, accounts and event requests, the same for the same input."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    now = now or datetime.now(VIETNAM)
    season = Season(label_keys={PACKHOUSE: [COMPANY_PREFIX]})
    w = _Writer(season, now, random.Random(seed))  # noqa: S311 - demo data, not secrets
    longan_farms, banana_farms = _master_data(season, scale, w)
    houses = []
    for n in range(2 * scale):
        house = gln(60000 + n)
        season.locations[house] = {
            "organisation": CHICKEN_FARM,
            "kind": "chicken_house",
            "name": f"Chuồng gà đồi số {n + 1}",
            "divisions": "pre-2025",
            "district_code": PHU_CU,
            "commune_code": TONG_TRAN_BEFORE_2025,
            "usable_area_m2": "600",
        }
        houses.append(house)
    _certificates(w)
    w.step(
        "htx-nhan",
        "training",
        {
            "topic": "Sản xuất nhãn theo VietGAP",
            "hours": "4",
            "participant_count": len(longan_farms),
        },
        24,
        hour=14,
    )

    # --- longan: inputs, harvests, handover to the packhouse ---------------------------------
    harvested: list[tuple[str, str, str]] = []
    for index, (username, _farm, plot) in enumerate(longan_farms):
        w.step(
            username,
            "farm_input.fertiliser",
            {
                "plot": plot,
                "product": "NPK Lâm Thao 16-16-8",
                "n_pct": "16",
                "p_pct": "16",
                "k_pct": "8",
                "quantity_kg": w.quantity(20, 60),
                "data_source": "measured",
            },
            22,
        )
        w.step(
            username,
            "farm_input.irrigation",
            {"plot": plot, "volume_m3": w.quantity(8, 30), "data_source": "estimated"},
            18,
        )
        w.step(
            username,
            "farm_input.pesticide",
            {
                "plot": plot,
                "product": "Radiant 60SC",
                "registration_no": "VN-0451/22",
                "active_ingredients": ["Spinetoram"],
                "dose": "15",
                "dose_unit": "ml/bình 16 l",
                "area_ha": season.locations[plot]["area_ha"],
                "phi_days": 7,
                "operator": f"op-{index + 1:04d}",
                "data_source": "measured",
            },
            16,
        )
        w.step(
            username,
            "energy_use",
            {
                "location": plot,
                "kwh": w.quantity(30, 90),
                "energy_source": "grid",
                "diesel_l": w.quantity(2, 8),
                "data_source": "estimated",
            },
            15,
        )
        lot = _lot(FRESH_LONGAN, w.code("NL"))
        quantity = w.quantity(300, 900)
        w.step(
            username,
            "harvest",
            {"plot": plot, "lot": lot, "quantity": quantity, "data_source": "measured"},
            8,
            hour=6,
        )
        season.farm_lots.append(lot)
        harvested.append((username, lot, quantity))
        if index == 0:
            first_harvest_key = season.steps[-1].request["idempotency_key"]

    # One correction: the first harvest was weighed on a scale that read 12.5 kg too high.
    first_user, first_lot, first_quantity = harvested[0]
    corrected = str(Decimal(first_quantity) - Decimal("12.5"))
    w.step(
        first_user,
        "correction",
        {
            "corrects_key": first_harvest_key,
            "corrected_type": "harvest",
            "reason": "Cân điện tử chưa hiệu chuẩn, đọc cao hơn 12,5 kg",
            "changes": {"quantity": corrected},
        },
        7.9,
        hour=8,
    )
    harvested[0] = (first_user, first_lot, corrected)

    for username, lot, quantity in harvested:
        _ship(w, username, lot, quantity, PACKHOUSE, 7.5, vehicle="motorbike", distance="12")
        w.step("so-che", "receive", {"lot": lot, "quantity": quantity}, 7.5, hour=11)
        w.step(
            "so-che",
            "purchase",
            {
                "lot": lot,
                "counterparty": _owner(season, username),
                "amount": str(Decimal(quantity) * 35000),
                "currency": "VND",
                "agreed_on": w.time(7.5)[:10],
            },
            7.5,
            hour=12,
        )
    w.step(
        "so-che",
        "inspect",
        {
            "lot": harvested[0][1],
            "analyte": "Spinetoram",
            "value": "0.01",
            "unit": "mg/kg",
            "mrl": "0.3",
            "lab": "Trung tâm Kiểm nghiệm Nông sản Hưng Yên",
            "result": "pass",
        },
        7.2,
    )

    # Consignments of four farms each: merge, pack into 1 kg boxes, dry the grading rejects.
    boxes: list[tuple[str, Decimal]] = []
    for start in range(0, len(harvested), 4):
        group = harvested[start : start + 4]
        consignment = _lot(FRESH_LONGAN, w.code("LH"))
        w.step(
            "so-che",
            "merge",
            {"inputs": [{"lot": lot, "quantity": q} for _, lot, q in group], "output": consignment},
            7,
            hour=13,
        )
        total = sum(Decimal(q) for _, _, q in group)
        rejects = (total * Decimal("0.12")).quantize(Decimal("1"))
        packed = int(total - rejects - 2)
        box = _lot(BOXED_LONGAN, w.code("HP"))
        reject = _lot(FRESH_LONGAN, w.code("LO"))
        best_before = (now + timedelta(days=10)).astimezone(VIETNAM).date().isoformat()
        w.step(
            "so-che",
            "pack",
            {
                "input": consignment,
                "outputs": [
                    {
                        "lot": box,
                        "quantity": str(packed),
                        "units": packed,
                        "best_before": best_before,
                    },
                    {"lot": reject, "quantity": str(rejects)},
                ],
                "waste": "2",
            },
            7,
            hour=15,
        )
        boxes.append((box, Decimal(packed)))
        # One signed QR label per box, issued by the packhouse that holds the lot.
        w.step("so-che", "label.issue", {"lot": box, "count": packed}, 7, hour=16)
        w.season.labelled_lots.append(box)
        _ship(w, "so-che", reject, str(rejects), DRYER_CO, 6.8, distance="8")
        w.step("say-nhan", "receive", {"lot": reject, "quantity": str(rejects)}, 6.8, hour=12)
        dried = _lot(DRIED_LONGAN, w.code("LN"))
        w.step(
            "say-nhan",
            "transform",
            {
                "kind": "drying",
                "inputs": [{"lot": reject, "quantity": str(rejects)}],
                "output": dried,
                "output_quantity": str((rejects * Decimal("0.14")).quantize(Decimal("0.1"))),
                "site": DRYER_SITE,
            },
            5,
            hour=16,
        )
        w.step(
            "say-nhan",
            "energy_use",
            {
                "location": DRYER_SITE,
                "kwh": w.quantity(200, 400),
                "energy_source": "grid",
                "data_source": "measured",
            },
            5,
            hour=17,
        )

    # The packhouse tries to ship more than one box lot holds: the ledger refuses it.
    first_box, first_amount = boxes[0]
    _ship(w, "so-che", first_box, str(first_amount + 50), DISTRIBUTOR, 6.5)
    season.steps[-1].refused = True

    # To the distributor's cold store, then to the three supermarkets.
    for number, (box, amount) in enumerate(boxes):
        w.step(
            "so-che",
            "cooling",
            {"lot": box, "site": PACKHOUSE_SITE, "temperature": _temperature(w, 4, 8)},
            6.5,
            hour=17,
        )
        _ship(
            w,
            "so-che",
            box,
            str(amount),
            DISTRIBUTOR,
            6,
            vehicle="refrigerated_truck",
            refrigerated=True,
            distance="58",
            temperature=_temperature(w, 3, 7),
        )
        if number == 0:  # one carton fell off the truck: a loss in transit
            received = amount - 6
            w.step(
                "pho-hien",
                "receive",
                {
                    "lot": box,
                    "quantity": str(received),
                    "shortfall_reason": "Thùng hàng rơi vỡ khi dỡ hàng",
                },
                6,
                hour=13,
            )
        else:
            received = amount
            w.step("pho-hien", "receive", {"lot": box, "quantity": str(received)}, 6, hour=13)
        w.step(
            "pho-hien",
            "store",
            {
                "lot": box,
                "direction": "in",
                "site": COLD_STORE,
                "temperature": _temperature(w, 2, 5),
            },
            6,
            hour=14,
        )
        w.step(
            "pho-hien",
            "payment",
            {
                "lot": box,
                "counterparty": PACKHOUSE,
                "amount": str(received * 52000),
                "currency": "VND",
                "paid_on": w.time(6)[:10],
            },
            6,
            hour=15,
        )
        w.step(
            "pho-hien",
            "store",
            {
                "lot": box,
                "direction": "out",
                "site": COLD_STORE,
                "temperature": _temperature(w, 2, 5),
            },
            4,
            hour=5,
        )
        share = (received / 3).quantize(Decimal("1"))
        for market, store, market_user, part in zip(
            SUPERMARKETS,
            STORES,
            ("sieu-thi-1", "sieu-thi-2", "sieu-thi-3"),
            (share, share, received - 2 * share),
            strict=True,
        ):
            last = market == SUPERMARKETS[-1]
            code = w.code("SH")
            split = {} if last else {"split_lot": code}
            _ship(
                w,
                "pho-hien",
                box,
                str(part),
                market,
                4,
                vehicle="refrigerated_truck",
                refrigerated=True,
                distance="35",
                temperature=_temperature(w, 3, 6),
                **split,
            )
            retail = box if last else _lot(BOXED_LONGAN, code)
            w.step(
                market_user, "retail_receive", {"lot": retail, "quantity": str(part)}, 4, hour=10
            )
            w.step(
                market_user, "store", {"lot": retail, "direction": "in", "site": store}, 4, hour=11
            )
            sold = (part * Decimal("0.6")).quantize(Decimal("1"))
            w.step(
                market_user,
                "sell",
                {
                    "lot": retail,
                    "quantity": str(sold),
                    "price": {"amount": str(sold * 89000), "currency": "VND"},
                },
                2,
                hour=19,
            )
            season.retail_lots.append(retail)
    w.step(
        "pho-hien",
        "energy_use",
        {
            "location": COLD_STORE,
            "meter_reading_kwh": "48211.5",
            "kwh": w.quantity(900, 1400),
            "energy_source": "grid",
            "data_source": "measured",
        },
        3,
    )

    # --- pink bananas: harvest, ripening, to the supermarkets; a recall and its lift --------
    banana_boxes: list[tuple[str, Decimal]] = []
    harvested_bananas: list[tuple[str, str]] = []
    for username, _farm, plot in banana_farms:
        w.step(
            username,
            "farm_input.fertiliser",
            {
                "plot": plot,
                "product": "Phân hữu cơ vi sinh Sông Gianh",
                "quantity_kg": w.quantity(80, 150),
                "data_source": "measured",
            },
            20,
        )
        lot = _lot(PINK_BANANA, w.code("CH"))
        quantity = w.quantity(400, 1200)
        w.step(
            username,
            "harvest",
            {"plot": plot, "lot": lot, "quantity": quantity, "data_source": "measured"},
            6,
            hour=6,
        )
        season.farm_lots.append(lot)
        _ship(w, username, lot, quantity, COLLECTOR, 6, vehicle="motorbike", distance="4")
        w.step("thu-gom", "receive", {"lot": lot, "quantity": quantity}, 6, hour=9)
        w.step(
            "thu-gom",
            "purchase",
            {
                "lot": lot,
                "counterparty": _owner(season, username),
                "amount": str(Decimal(quantity) * 12000),
                "currency": "VND",
                "paid_on": w.time(6)[:10],
            },
            6,
            hour=9,
        )
        harvested_bananas.append((lot, quantity))
    # The collector gathers four farms' bananas into one consignment for the packhouse, which
    # ripens each consignment in its chamber.
    for start in range(0, len(harvested_bananas), 4):
        bunch = harvested_bananas[start : start + 4]
        consignment = _lot(PINK_BANANA, w.code("CG"))
        w.step(
            "thu-gom",
            "merge",
            {"inputs": [{"lot": lot, "quantity": q} for lot, q in bunch], "output": consignment},
            5.8,
            hour=11,
        )
        weight = str(sum(Decimal(q) for _, q in bunch))
        _ship(
            w, "thu-gom", consignment, weight, PACKHOUSE, 5.7, vehicle="van", distance="11", hour=13
        )
        w.step("so-che", "receive", {"lot": consignment, "quantity": weight}, 5.7, hour=15)
        ripe = _lot(BOXED_BANANA, w.code("CC"))
        out = (Decimal(weight) * Decimal("0.95")).quantize(Decimal("0.1"))
        w.step(
            "so-che",
            "transform",
            {
                "kind": "ripening",
                "inputs": [{"lot": consignment, "quantity": weight}],
                "output": ripe,
                "output_quantity": str(out),
                "site": RIPENING_CHAMBER,
            },
            3,
            hour=8,
        )
        banana_boxes.append((ripe, out))
    recalled: list[str] = []
    for number, (ripe, out) in enumerate(banana_boxes):
        market_index = number % 3
        _ship(
            w,
            "so-che",
            ripe,
            str(out),
            SUPERMARKETS[market_index],
            2.5,
            vehicle="van",
            distance="60",
        )
        user = f"sieu-thi-{market_index + 1}"
        w.step(user, "retail_receive", {"lot": ripe, "quantity": str(out)}, 2.5, hour=14)
        season.retail_lots.append(ripe)
        if number == 0:
            recalled.append(ripe)
    w.step(
        "thanh-tra",
        "inspect",
        {
            "lot": recalled[0],
            "analyte": "Carbendazim",
            "value": "0.6",
            "unit": "mg/kg",
            "mrl": "0.2",
            "lab": "Viện Kiểm nghiệm An toàn Vệ sinh Thực phẩm Quốc gia",
            "result": "fail",
        },
        2,
        hour=9,
    )
    w.step(
        "htx-chuoi",
        "recall",
        {
            "lots": [_first_banana(season)],
            "reason": "Mẫu kiểm tra vượt mức dư lượng Carbendazim",
            "consumer_action": "Không sử dụng; mang sản phẩm trả lại quầy để được hoàn tiền.",
        },
        2,
        hour=10,
    )
    w.step(
        "thanh-tra",
        "inspect",
        {
            "lot": recalled[0],
            "analyte": "Carbendazim",
            "value": "0.05",
            "unit": "mg/kg",
            "mrl": "0.2",
            "lab": "Viện Kiểm nghiệm An toàn Vệ sinh Thực phẩm Quốc gia",
            "method": "LC-MS/MS, mẫu lặp lại",
            "result": "pass",
        },
        1,
        hour=9,
    )
    w.step(
        "thanh-tra",
        "recall_lift",
        {
            "lot": _first_banana(season),
            "reason": "Kết quả kiểm nghiệm lại đạt; mẫu đầu bị nhiễm chéo.",
        },
        1,
        hour=11,
    )
    w.step(
        "thanh-tra",
        "hold_release",
        {"lot": recalled[0], "reason": "Kết quả kiểm nghiệm lại đạt."},
        1,
        hour=11,
    )
    w.step(
        "sieu-thi-1",
        "sell",
        {"lot": recalled[0], "quantity": "40", "price": {"amount": "1400000", "currency": "VND"}},
        0.5,
        hour=18,
    )
    w.step(
        "sieu-thi-1",
        "complaint",
        {
            "lot": recalled[0],
            "summary": "Khách phản ánh chuối chín không đều.",
            "complainant_contact": "0912 000 111",
        },
        0.3,
        hour=19,
    )

    # --- hill chickens: a flock from placement to the supermarket ----------------------------
    for n, house in enumerate(houses):
        flock = _lot(LIVE_CHICKEN, w.code("GD"))
        heads = 600 + w.rng.randrange(0, 200)
        w.step(
            "trai-ga",
            "flock.placement",
            {"house": house, "lot": flock, "breed": "Gà Mía lai Lương Phượng", "head_count": heads},
            110,
            late_reason="Nhập lại từ sổ ghi chép chăn nuôi",
        )
        w.step(
            "trai-ga",
            "flock.vaccination",
            {
                "flock": flock,
                "product": "Vắc xin Newcastle Lasota",
                "active_substance": "Newcastle disease virus, Lasota",
                "dose": "1",
                "dose_unit": "liều/con",
                "vet": f"vet-{n + 1:03d}",
            },
            25,
        )
        for days in (24, 17, 10):
            w.step(
                "trai-ga",
                "flock.feed",
                {
                    "flock": flock,
                    "feed_type": "Cám ngô và thóc",
                    "quantity_kg": str(heads * 2),
                    "data_source": "measured",
                },
                days,
            )
        w.step(
            "trai-ga",
            "flock.treatment",
            {
                "flock": flock,
                "product": "Enrofloxacin 10%",
                "active_substance": "Enrofloxacin",
                "dose": "1",
                "dose_unit": "ml/lít nước",
                "withdrawal_days": 7,
                "vet": f"vet-{n + 1:03d}",
            },
            14,
        )
        dead = w.rng.randrange(3, 12)
        w.step(
            "trai-ga",
            "flock.loss",
            {
                "flock": flock,
                "count": dead,
                "cause": "mortality",
                "reason": "Chết do thời tiết nắng nóng",
            },
            9,
        )
        w.step(
            "trai-ga",
            "flock.weighing",
            {"flock": flock, "mean_kg": "2.1", "sample_size": 30, "data_source": "measured"},
            4,
        )
        alive = heads - dead
        _ship(
            w, "trai-ga", flock, str(alive), SLAUGHTERHOUSE, 3, vehicle="rigid_truck", distance="40"
        )
        w.step("lo-mo", "receive", {"lot": flock, "quantity": str(alive)}, 3, hour=12)
        carcass = _lot(CHICKEN_CARCASS, w.code("GT"))
        kg = (Decimal(alive) * Decimal("1.45")).quantize(Decimal("0.1"))
        w.step(
            "lo-mo",
            "slaughter",
            {
                "flock": flock,
                "head_count": alive,
                "lot": carcass,
                "carcass_kg": str(kg),
                "site": SLAUGHTER_SITE,
            },
            2.5,
            hour=4,
        )
        w.step(
            "lo-mo",
            "slaughter_inspection",
            {"lot": carcass, "inspector": "tyt-vanlam-02", "result": "pass", "condemned_kg": "1.5"},
            2.5,
            hour=5,
        )
        w.step(
            "lo-mo",
            "cooling",
            {"lot": carcass, "site": SLAUGHTER_SITE, "temperature": _temperature(w, 0, 4)},
            2.5,
            hour=6,
        )
        shop = n % 3
        _ship(
            w,
            "lo-mo",
            carcass,
            str(kg),
            SUPERMARKETS[shop],
            2.4,
            vehicle="refrigerated_truck",
            refrigerated=True,
            distance="30",
            temperature=_temperature(w, 0, 4),
        )
        user = f"sieu-thi-{shop + 1}"
        w.step(user, "retail_receive", {"lot": carcass, "quantity": str(kg)}, 2.4, hour=11)
        w.step(
            user,
            "sell",
            {
                "lot": carcass,
                "quantity": str((kg / 2).quantize(Decimal("0.1"))),
                "price": {
                    "amount": str((kg / 2 * 150000).quantize(Decimal("1"))),
                    "currency": "VND",
                },
            },
            1,
            hour=18,
        )
        season.farm_lots.append(flock)
        season.retail_lots.append(carcass)
    return season


def _owner(season: Season, username: str) -> str:
    organisation = season.accounts[username][1]
    assert organisation is not None
    return organisation


def _first_banana(season: Season) -> str:
    return next(lot for lot in season.farm_lots if lot.startswith(f"lot:{PINK_BANANA}/"))
