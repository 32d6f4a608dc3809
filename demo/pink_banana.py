"""Pink bananas from the Khoái Châu fields: harvest, the collector, ripening at the packhouse and
the supermarkets; a recall after a failed residue test, lifted after a second one.
"""

from __future__ import annotations

from decimal import Decimal

from demo.inputs import ORGANIC
from demo.masterdata import (
    BOXED_BANANA,
    COLLECTOR,
    PACKHOUSE,
    PINK_BANANA,
    RIPENING_CHAMBER,
    SUPERMARKET_USERS,
    SUPERMARKETS,
    Farm,
)
from demo.steps import Lots, StepWriter, fertilise, lot, ship

#: Farms whose bananas the collector gathers into one consignment.
FARMS_PER_CONSIGNMENT = 4
LAB = "Viện Kiểm nghiệm An toàn Vệ sinh Thực phẩm Quốc gia"


def record_pink_bananas(w: StepWriter, farms: list[Farm]) -> Lots:
    """The banana season: each farm sells to the collector, whose consignments the packhouse
    ripens and sends to the supermarkets in turn. The first ripened lot is recalled."""
    harvests = [_harvest_and_sell(w, farm) for farm in farms]
    lots = Lots(farm=[harvested for harvested, _ in harvests])
    ripened = [
        _ripen(w, harvests[start : start + FARMS_PER_CONSIGNMENT])
        for start in range(0, len(harvests), FARMS_PER_CONSIGNMENT)
    ]
    for number, (ripe, quantity) in enumerate(ripened):
        market = number % len(SUPERMARKETS)
        ship(w, "so-che", ripe, str(quantity), SUPERMARKETS[market], 2.5, distance="60")
        w.step(
            SUPERMARKET_USERS[market],
            "retail_receive",
            {"lot": ripe, "quantity": str(quantity)},
            2.5,
            hour=14,
        )
        lots.retail.append(ripe)
    recalled, farm_lot = ripened[0][0], lots.farm[0]
    _recall(w, recalled, farm_lot)
    _lift_recall(w, recalled, farm_lot)
    _sell_and_hear_a_complaint(w, recalled)
    return lots


def _harvest_and_sell(w: StepWriter, farm: Farm) -> tuple[str, str]:
    """A farm's fertiliser and harvest, sold to the collector: ``(lot, kg)``."""
    fertilise(w, farm.username, farm.plot, ORGANIC, w.draw.quantity(80, 150), 20)
    harvested = lot(PINK_BANANA, w.code("CH"))
    quantity = w.draw.quantity(400, 1200)
    w.step(
        farm.username,
        "harvest",
        {"plot": farm.plot, "lot": harvested, "quantity": quantity, "data_source": "measured"},
        6,
        hour=6,
    )
    ship(w, farm.username, harvested, quantity, COLLECTOR, 6, vehicle="motorbike", distance="4")
    w.step("thu-gom", "receive", {"lot": harvested, "quantity": quantity}, 6, hour=9)
    w.step(
        "thu-gom",
        "purchase",
        {
            "lot": harvested,
            "counterparty": farm.organisation,
            "amount": str(Decimal(quantity) * 12000),
            "currency": "VND",
            "paid_on": w.time(6)[:10],
        },
        6,
        hour=9,
    )
    return harvested, quantity


def _ripen(w: StepWriter, bunch: list[tuple[str, str]]) -> tuple[str, Decimal]:
    """The collector merges the farms' bananas into one consignment for the packhouse, which
    ripens it in its chamber: ``(ripe lot, kg)``."""
    consignment = lot(PINK_BANANA, w.code("CG"))
    w.step(
        "thu-gom",
        "merge",
        {
            "inputs": [{"lot": farm_lot, "quantity": kg} for farm_lot, kg in bunch],
            "output": consignment,
        },
        5.8,
        hour=11,
    )
    weight = str(sum(Decimal(kg) for _, kg in bunch))
    ship(w, "thu-gom", consignment, weight, PACKHOUSE, 5.7, distance="11", hour=13)
    w.step("so-che", "receive", {"lot": consignment, "quantity": weight}, 5.7, hour=15)
    ripe = lot(BOXED_BANANA, w.code("CC"))
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
    return ripe, out


def _recall(w: StepWriter, recalled: str, farm_lot: str) -> None:
    """The authority's laboratory finds Carbendazim over its limit in a ripened lot; the
    cooperative recalls the farm lot it came from."""
    w.step(
        "thanh-tra",
        "inspect",
        {
            "lot": recalled,
            "analyte": "Carbendazim",
            "value": "0.6",
            "unit": "mg/kg",
            "mrl": "0.2",
            "lab": LAB,
            "result": "fail",
        },
        2,
        hour=9,
    )
    w.step(
        "htx-chuoi",
        "recall",
        {
            "lots": [farm_lot],
            "reason": "Mẫu kiểm tra vượt mức dư lượng Carbendazim",
            "consumer_action": "Không sử dụng; mang sản phẩm trả lại quầy để được hoàn tiền.",
        },
        2,
        hour=10,
    )


def _lift_recall(w: StepWriter, recalled: str, farm_lot: str) -> None:
    """A repeated test passes: the authority lifts the recall and releases the held lot."""
    w.step(
        "thanh-tra",
        "inspect",
        {
            "lot": recalled,
            "analyte": "Carbendazim",
            "value": "0.05",
            "unit": "mg/kg",
            "mrl": "0.2",
            "lab": LAB,
            "method": "LC-MS/MS, mẫu lặp lại",
            "result": "pass",
        },
        1,
        hour=9,
    )
    w.step(
        "thanh-tra",
        "recall_lift",
        {"lot": farm_lot, "reason": "Kết quả kiểm nghiệm lại đạt; mẫu đầu bị nhiễm chéo."},
        1,
        hour=11,
    )
    w.step(
        "thanh-tra",
        "hold_release",
        {"lot": recalled, "reason": "Kết quả kiểm nghiệm lại đạt."},
        1,
        hour=11,
    )


def _sell_and_hear_a_complaint(w: StepWriter, released: str) -> None:
    w.step(
        "sieu-thi-1",
        "sell",
        {"lot": released, "quantity": "40", "price": {"amount": "1400000", "currency": "VND"}},
        0.5,
        hour=18,
    )
    w.step(
        "sieu-thi-1",
        "complaint",
        {
            "lot": released,
            "summary": "Khách phản ánh chuối chín không đều.",
            "complainant_contact": "0912 000 111",
        },
        0.3,
        hour=19,
    )
