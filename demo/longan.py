"""Longan from the Tiên Lữ orchards: inputs, harvests, packing into labelled 1 kg boxes, drying
of the grading rejects, the cold store and the three supermarkets.

Along the way: one harvest corrected (a scale read high), one over-shipment the ledger must
refuse, and one carton lost in transit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from demo.inputs import NPK, RADIANT, facts
from demo.masterdata import (
    BOXED_LONGAN,
    COLD_STORE,
    DISTRIBUTOR,
    DRIED_LONGAN,
    DRYER_CO,
    DRYER_SITE,
    FRESH_LONGAN,
    PACKHOUSE,
    PACKHOUSE_SITE,
    STORES,
    SUPERMARKET_USERS,
    SUPERMARKETS,
    Farm,
)
from demo.steps import VIETNAM, Lots, StepWriter, cool, fertilise, lot, ship, ship_chilled

#: Farms whose harvests the packhouse merges into one consignment.
FARMS_PER_CONSIGNMENT = 4


@dataclass(frozen=True)
class Harvest:
    """A farm's harvest, as the packhouse buys it."""

    farm: Farm
    lot: str
    quantity: str
    #: The idempotency key of the harvest step, for a correction to name.
    key: str


@dataclass(frozen=True)
class Packed:
    """What the packhouse made of one consignment: labelled boxes and the grading rejects."""

    box: str
    boxes: Decimal
    reject: str
    rejects: Decimal


def record_longan(w: StepWriter, farms: list[Farm]) -> Lots:
    """The longan season, from the cooperative's training to the supermarkets' sales."""
    lots = Lots()
    w.step(
        "htx-nhan",
        "training",
        {"topic": "Sản xuất nhãn theo VietGAP", "hours": "4", "participant_count": len(farms)},
        24,
        hour=14,
    )
    harvests = [_grow_and_harvest(w, farm, number) for number, farm in enumerate(farms)]
    lots.farm += [harvest.lot for harvest in harvests]
    harvests[0] = _correct_harvest(w, harvests[0])
    for harvest in harvests:
        _sell_to_packhouse(w, harvest)
    _inspect_residues(w, harvests[0].lot)
    packed: list[Packed] = []
    for start in range(0, len(harvests), FARMS_PER_CONSIGNMENT):
        consignment = _pack(w, harvests[start : start + FARMS_PER_CONSIGNMENT])
        packed.append(consignment)
        lots.labelled.append(consignment.box)
        _dry(w, consignment.reject, consignment.rejects)
    # The packhouse tries to ship more than one box lot holds: the ledger refuses it.
    first = packed[0]
    ship(w, "so-che", first.box, str(first.boxes + 50), DISTRIBUTOR, 6.5).refused = True
    for number, consignment in enumerate(packed):
        # One carton of the first consignment falls off the truck: a loss in transit.
        lost = 6 if number == 0 else 0
        received = _through_cold_store(w, consignment.box, consignment.boxes, lost)
        lots.retail += _to_supermarkets(w, consignment.box, received)
    w.step(
        "pho-hien",
        "energy_use",
        {
            "location": COLD_STORE,
            "meter_reading_kwh": "48211.5",
            "kwh": w.draw.quantity(900, 1400),
            "energy_source": "grid",
            "data_source": "measured",
        },
        3,
    )
    return lots


def _grow_and_harvest(w: StepWriter, farm: Farm, number: int) -> Harvest:
    """A farm's fertiliser, irrigation, spraying and energy, then its harvest."""
    username, plot = farm.username, farm.plot
    fertilise(w, username, plot, NPK, w.draw.quantity(20, 60), 22)
    w.step(
        username,
        "farm_input.irrigation",
        {"plot": plot, "volume_m3": w.draw.quantity(8, 30), "data_source": "estimated"},
        18,
    )
    w.step(
        username,
        "farm_input.pesticide",
        {
            "plot": plot,
            **facts(RADIANT, "farm_input.pesticide"),
            "dose": "15",
            "area_ha": farm.plot_record["area_ha"],
            "operator": f"op-{number + 1:04d}",
            "data_source": "measured",
        },
        16,
    )
    w.step(
        username,
        "energy_use",
        {
            "location": plot,
            "kwh": w.draw.quantity(30, 90),
            "energy_source": "grid",
            "diesel_l": w.draw.quantity(2, 8),
            "data_source": "estimated",
        },
        15,
    )
    harvested = lot(FRESH_LONGAN, w.code("NL"))
    quantity = w.draw.quantity(300, 900)
    step = w.step(
        username,
        "harvest",
        {"plot": plot, "lot": harvested, "quantity": quantity, "data_source": "measured"},
        8,
        hour=6,
    )
    return Harvest(farm, harvested, quantity, step.request["idempotency_key"])


def _correct_harvest(w: StepWriter, harvest: Harvest) -> Harvest:
    """The harvest was weighed on a scale that read 12.5 kg too high: its farmer corrects it."""
    corrected = str(Decimal(harvest.quantity) - Decimal("12.5"))
    w.step(
        harvest.farm.username,
        "correction",
        {
            "corrects_key": harvest.key,
            "corrected_type": "harvest",
            "reason": "Cân điện tử chưa hiệu chuẩn, đọc cao hơn 12,5 kg",
            "changes": {"quantity": corrected},
        },
        7.9,
        hour=8,
    )
    return replace(harvest, quantity=corrected)


def _sell_to_packhouse(w: StepWriter, harvest: Harvest) -> None:
    username, quantity = harvest.farm.username, harvest.quantity
    ship(w, username, harvest.lot, quantity, PACKHOUSE, 7.5, vehicle="motorbike", distance="12")
    w.step("so-che", "receive", {"lot": harvest.lot, "quantity": quantity}, 7.5, hour=11)
    w.step(
        "so-che",
        "purchase",
        {
            "lot": harvest.lot,
            "counterparty": harvest.farm.organisation,
            "amount": str(Decimal(quantity) * 35000),
            "currency": "VND",
            "agreed_on": w.time(7.5)[:10],
        },
        7.5,
        hour=12,
    )


def _inspect_residues(w: StepWriter, harvested: str) -> None:
    w.step(
        "so-che",
        "inspect",
        {
            "lot": harvested,
            "analyte": "Spinetoram",
            "value": "0.01",
            "unit": "mg/kg",
            "mrl": "0.3",
            "lab": "Trung tâm Kiểm nghiệm Nông sản Hưng Yên",
            "result": "pass",
        },
        7.2,
    )


def _pack(w: StepWriter, group: list[Harvest]) -> Packed:
    """Merge the farms' harvests, pack them into labelled 1 kg boxes, keep the rejects apart."""
    consignment = lot(FRESH_LONGAN, w.code("LH"))
    w.step(
        "so-che",
        "merge",
        {
            "inputs": [{"lot": harvest.lot, "quantity": harvest.quantity} for harvest in group],
            "output": consignment,
        },
        7,
        hour=13,
    )
    total = sum(Decimal(harvest.quantity) for harvest in group)
    rejects = (total * Decimal("0.12")).quantize(Decimal("1"))
    packed = int(total - rejects - 2)
    box = lot(BOXED_LONGAN, w.code("HP"))
    reject = lot(FRESH_LONGAN, w.code("LO"))
    best_before = (w.now + timedelta(days=10)).astimezone(VIETNAM).date().isoformat()
    w.step(
        "so-che",
        "pack",
        {
            "input": consignment,
            "outputs": [
                {"lot": box, "quantity": str(packed), "units": packed, "best_before": best_before},
                {"lot": reject, "quantity": str(rejects)},
            ],
            "waste": "2",
        },
        7,
        hour=15,
    )
    # One signed QR label per box, issued by the packhouse that holds the lot.
    w.step("so-che", "label.issue", {"lot": box, "count": packed}, 7, hour=16)
    return Packed(box, Decimal(packed), reject, rejects)


def _dry(w: StepWriter, reject: str, rejects: Decimal) -> None:
    """The grading rejects go to the dryer and become dried longan."""
    ship(w, "so-che", reject, str(rejects), DRYER_CO, 6.8, distance="8")
    w.step("say-nhan", "receive", {"lot": reject, "quantity": str(rejects)}, 6.8, hour=12)
    dried = lot(DRIED_LONGAN, w.code("LN"))
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
            "kwh": w.draw.quantity(200, 400),
            "energy_source": "grid",
            "data_source": "measured",
        },
        5,
        hour=17,
    )


def _through_cold_store(w: StepWriter, box: str, amount: Decimal, lost: int) -> Decimal:
    """The packhouse cools the boxes and sells them to the distributor, who keeps them in its
    cold store, ``lost`` boxes short. Returns the boxes the distributor received."""
    cool(w, "so-che", box, PACKHOUSE_SITE, (4, 8), 6.5, hour=17)
    ship_chilled(w, "so-che", box, str(amount), DISTRIBUTOR, 6, distance="58", degrees=(3, 7))
    received = amount - lost
    shortfall = {"shortfall_reason": "Thùng hàng rơi vỡ khi dỡ hàng"} if lost else {}
    w.step("pho-hien", "receive", {"lot": box, "quantity": str(received), **shortfall}, 6, hour=13)
    _cold_store(w, box, "in", 6, hour=14)
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
    _cold_store(w, box, "out", 4, hour=5)
    return received


def _cold_store(w: StepWriter, box: str, direction: str, days: float, hour: int) -> None:
    storage = {"direction": direction, "site": COLD_STORE, "temperature": w.draw.temperature(2, 5)}
    w.step("pho-hien", "store", {"lot": box, **storage}, days, hour=hour)


def _to_supermarkets(w: StepWriter, box: str, received: Decimal) -> list[str]:
    """The distributor splits a box lot in three, one part per supermarket, which sells most of
    it. Returns the supermarkets' lots: the first two split off, the third the rest of ``box``."""
    share = (received / 3).quantize(Decimal("1"))
    retail_lots = []
    for market, store, market_user, part in zip(
        SUPERMARKETS,
        STORES,
        SUPERMARKET_USERS,
        (share, share, received - 2 * share),
        strict=True,
    ):
        last = market == SUPERMARKETS[-1]
        code = w.code("SH")
        split = {} if last else {"split_lot": code}
        ship_chilled(
            w, "pho-hien", box, str(part), market, 4, distance="35", degrees=(3, 6), **split
        )
        retail = box if last else lot(BOXED_LONGAN, code)
        w.step(market_user, "retail_receive", {"lot": retail, "quantity": str(part)}, 4, hour=10)
        w.step(market_user, "store", {"lot": retail, "direction": "in", "site": store}, 4, hour=11)
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
        retail_lots.append(retail)
    return retail_lots
