"""A small Hưng Yên supply chain for tests: organisations, sites, products, people, and a helper
that records events the way the API does (schema first, then the recording service)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from biip.checksums import gs1_standard_check_digit

from ledger.supplychain.accounts import Principal
from ledger.supplychain.commands import Command
from ledger.supplychain.custody import VIETNAM
from ledger.supplychain.masterdata import MasterData
from ledger.supplychain.recording.recorder import Recorded, Recorder
from ledger.tlog.log import Log
from schemas.events import load_command


def with_check_digit(body: str) -> str:
    """Append the GS1 mod-10 check digit to ``body`` (GLNs, GTINs and SSCCs alike)."""
    return body + str(gs1_standard_check_digit(body))


def gln(n: int) -> str:
    return with_check_digit(f"893{n:09d}")


def gtin(n: int) -> str:
    return with_check_digit(f"0893{n:09d}")


ADMIN = Principal(None, "admin", "admin", None)

COOPERATIVE = gln(1)  # HTX nhãn lồng Tiên Lữ
FARM_A = gln(2)
FARM_B = gln(3)
CHICKEN_FARM = gln(4)
COLLECTOR = gln(5)
PACKHOUSE = gln(6)
SLAUGHTERHOUSE = gln(7)
RETAILER = gln(8)
CERTIFIER = gln(9)
OTHER_FARM = gln(10)
AUTHORITY = gln(11)

PLOT_A = gln(101)
PLOT_B = gln(102)
PLOT_OTHER = gln(103)
HOUSE = gln(104)
PACKHOUSE_SITE = gln(105)
DRYER = gln(106)
COLD_STORE = gln(107)
SLAUGHTER_SITE = gln(108)
STORE = gln(109)

FRESH_LONGAN = gtin(1)
PACKED_LONGAN = gtin(2)
DRIED_LONGAN = gtin(3)
BANANA = gtin(4)
LIVE_CHICKEN = gtin(5)
CARCASS = gtin(6)

ORGANISATIONS: dict[str, dict[str, Any]] = {
    COOPERATIVE: {"name": "HTX Nhãn lồng Tiên Lữ", "roles": ["cooperative"]},
    FARM_A: {"name": "Hộ Nguyễn Văn An", "roles": ["farm"], "member_of": COOPERATIVE},
    FARM_B: {"name": "Hộ Trần Thị Bình", "roles": ["farm"], "member_of": COOPERATIVE},
    CHICKEN_FARM: {"name": "Trại gà đồi Phù Cừ", "roles": ["farm"]},
    COLLECTOR: {"name": "Thu gom Hưng Long", "roles": ["collector", "distributor"]},
    PACKHOUSE: {"name": "Nhà sơ chế Khoái Châu", "roles": ["processor"]},
    SLAUGHTERHOUSE: {"name": "Lò mổ Văn Lâm", "roles": ["processor"]},
    RETAILER: {"name": "Siêu thị Hà Nội", "roles": ["retailer"]},
    CERTIFIER: {"name": "Trung tâm Chứng nhận VietGAP", "roles": ["certification_body"]},
    OTHER_FARM: {"name": "Hộ Lê Văn Cường", "roles": ["farm"]},
    AUTHORITY: {"name": "Chi cục Quản lý chất lượng Nông lâm sản Hưng Yên", "roles": ["authority"]},
}
LOCATIONS: dict[str, dict[str, Any]] = {
    PLOT_A: {
        "organisation": FARM_A,
        "kind": "farm_plot",
        "name": "Vườn nhãn An 1",
        "commune_code": "12361",  # Xã Tiên Hoa (2025), in the former Tiên Lữ district
        "in_gi_area": True,
        "area_ha": "0.8",
    },
    PLOT_B: {
        "organisation": FARM_B,
        "kind": "farm_plot",
        "name": "Vườn nhãn Bình",
        # Registered before 1 July 2025: Xã Lệ Xá of Tiên Lữ, today part of Xã Tiên Hoa.
        "divisions": "pre-2025",
        "district_code": "332",
        "commune_code": "12352",
        "in_gi_area": True,
        "area_ha": "1.2",
    },
    PLOT_OTHER: {
        "organisation": OTHER_FARM,
        "kind": "farm_plot",
        "name": "Vườn chuối Cường",
        "commune_code": "12205",  # Xã Khoái Châu
        "in_gi_area": False,
        "area_ha": "0.5",
    },
    HOUSE: {
        "organisation": CHICKEN_FARM,
        "kind": "chicken_house",
        "name": "Chuồng gà 1",
        "commune_code": "12427",  # Xã Tống Trân, in the former Phù Cừ district
        "usable_area_m2": "400",
    },
    PACKHOUSE_SITE: {"organisation": PACKHOUSE, "kind": "packhouse", "name": "Xưởng sơ chế"},
    DRYER: {"organisation": PACKHOUSE, "kind": "dryer", "name": "Lò sấy long nhãn"},
    COLD_STORE: {"organisation": COLLECTOR, "kind": "cold_store", "name": "Kho lạnh Hưng Long"},
    SLAUGHTER_SITE: {"organisation": SLAUGHTERHOUSE, "kind": "slaughterhouse", "name": "Lò mổ"},
    STORE: {"organisation": RETAILER, "kind": "store", "name": "Cửa hàng Cầu Giấy"},
}
PRODUCTS: dict[str, dict[str, Any]] = {
    FRESH_LONGAN: {"kind": "fresh_longan", "unit": "kg", "name_vi": "Nhãn lồng tươi"},
    PACKED_LONGAN: {"kind": "fresh_longan", "unit": "kg", "name_vi": "Nhãn lồng hộp 1 kg"},
    DRIED_LONGAN: {"kind": "dried_longan", "unit": "kg", "name_vi": "Long nhãn sấy"},
    BANANA: {"kind": "pink_banana", "unit": "kg", "name_vi": "Chuối tiêu hồng"},
    LIVE_CHICKEN: {"kind": "live_chicken", "unit": "head", "name_vi": "Gà đồi sống"},
    CARCASS: {"kind": "chicken_carcass", "unit": "kg", "name_vi": "Gà đồi làm sẵn"},
}


def principal(role: str, organisation: str, n: int = 1) -> Principal:
    return Principal(n, f"{role}-{organisation}", role, organisation)


FARMER_A = principal("farmer", FARM_A, 1)
FARMER_B = principal("farmer", FARM_B, 2)
CHICKEN_FARMER = principal("farmer", CHICKEN_FARM, 3)
COLLECTOR_USER = principal("distributor", COLLECTOR, 4)
PACKER = principal("processor", PACKHOUSE, 5)
BUTCHER = principal("processor", SLAUGHTERHOUSE, 6)
SHOP = principal("retailer", RETAILER, 7)
AUDITOR = principal("auditor", AUTHORITY, 8)
CERTIFIER_USER = principal("auditor", CERTIFIER, 9)
OTHER_FARMER = principal("farmer", OTHER_FARM, 10)


def lot(product: str, code: str) -> str:
    return f"lot:{product}/{code}"


def spray_data(plot: str = PLOT_A, days: int = 7) -> dict[str, Any]:
    """The data of a pesticide spraying on ``plot`` with a pre-harvest interval of ``days``."""
    return {
        "plot": plot,
        "product": "Regent 800WG",
        "registration_no": "VN-1234",
        "active_ingredients": ["Fipronil"],
        "dose": "0.5",
        "dose_unit": "g/bình 16 l",
        "area_ha": "0.8",
        "phi_days": days,
        "operator": "op-0042",
        "data_source": "measured",
    }


@dataclass
class World:
    """The supply chain above on one ledger, and a recorder that uses it."""

    log: Log
    recorder: Recorder = field(init=False)
    _codes: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.recorder = Recorder(self.log)

    def setup(self) -> World:
        masterdata = MasterData(self.log.engine, self.log.clock)
        for key, values in ORGANISATIONS.items():
            masterdata.save(ADMIN, "organisation", key, values, "seed")
        for key, values in LOCATIONS.items():
            masterdata.save(ADMIN, "location", key, values, "seed")
        for key, values in PRODUCTS.items():
            masterdata.save(ADMIN, "product", key, {"name_en": values["name_vi"], **values}, "seed")
        return self

    def time(self, hours_ago: float = 1, days_ago: float = 0) -> str:
        moment = self.log.clock.now() - timedelta(hours=hours_ago, days=days_ago)
        return moment.astimezone(VIETNAM).isoformat(timespec="milliseconds")

    def code(self, prefix: str = "L") -> str:
        return f"{prefix}{next(self._codes):05d}"

    def command(self, type_: str, data: dict[str, Any], **extra: Any) -> Command:
        raw: dict[str, Any] = {"type": type_, "event_time": self.time(), "data": data}
        raw.update(extra)
        return load_command(raw)

    def record(self, who: Principal, type_: str, data: dict[str, Any], **extra: Any) -> Recorded:
        return self.recorder.record(who, self.command(type_, data, **extra))

    def advance(self, days: float = 0, hours: float = 0) -> None:
        clock: Any = self.log.clock
        clock.advance(timedelta(days=days, hours=hours).total_seconds())

    # --- common steps --------------------------------------------------------------------------

    def harvest(
        self,
        who: Principal = FARMER_A,
        plot: str = PLOT_A,
        quantity: str = "1000",
        product: str = FRESH_LONGAN,
        **extra: Any,
    ) -> str:
        lot_id = lot(product, self.code("NH"))
        self.record(
            who,
            "harvest",
            {"plot": plot, "lot": lot_id, "quantity": quantity, "data_source": "measured"},
            **extra,
        )
        return lot_id

    def ship(
        self, who: Principal, lot_id: str, quantity: str, receiver: str, **data: Any
    ) -> Recorded:
        return self.record(
            who,
            "ship",
            {
                "lot": lot_id,
                "quantity": quantity,
                "receiver": receiver,
                "vehicle_class": "van",
                "refrigerated": False,
                "distance_km": "42",
                "transport_document": "VD-001",
                "data_source": "measured",
                **data,
            },
        )

    def receive(self, who: Principal, lot_id: str, quantity: str, **data: Any) -> Recorded:
        return self.record(who, "receive", {"lot": lot_id, "quantity": quantity, **data})

    def packed_lot(self, units: int = 100) -> str:
        """A lot of ``units`` 1 kg boxes of longan from farm A, held by the packhouse."""
        harvested = self.harvest(quantity=str(units + 50))
        self.ship(FARMER_A, harvested, str(units + 50), PACKHOUSE)
        self.receive(PACKER, harvested, str(units + 50))
        packed = lot(PACKED_LONGAN, self.code("P"))
        self.record(
            PACKER,
            "pack",
            {
                "input": harvested,
                "outputs": [{"lot": packed, "quantity": str(units), "units": units}],
            },
        )
        return packed
