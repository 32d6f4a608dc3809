"""Hill chickens of the Phù Cừ farm: each house's flock from placement to the slaughterhouse and
the supermarkets. The farm keeps its pre-2025 commune codes; placements are entered late, from
the farm's paper register.
"""

from __future__ import annotations

from decimal import Decimal

from demo.inputs import ENROFLOXACIN, GRAIN_FEED, NEWCASTLE, facts
from demo.masterdata import (
    CHICKEN_CARCASS,
    LIVE_CHICKEN,
    SLAUGHTER_SITE,
    SLAUGHTERHOUSE,
    SUPERMARKET_USERS,
    SUPERMARKETS,
)
from demo.steps import Lots, StepWriter, cool, lot, ship, ship_chilled


def record_hill_chickens(w: StepWriter, houses: list[str]) -> Lots:
    """One flock per house, raised, slaughtered and sold; house ``n`` supplies supermarket
    ``n`` modulo three."""
    lots = Lots()
    for number, house in enumerate(houses):
        vet = f"vet-{number + 1:03d}"
        flock, alive = _raise_flock(w, house, vet)
        carcass, kg = _slaughter(w, flock, alive)
        _sell(w, carcass, kg, number % len(SUPERMARKETS))
        lots.farm.append(flock)
        lots.retail.append(carcass)
    return lots


def place_chicks(w: StepWriter, house: str) -> None:
    """A new flock in the first house, emptied three days ago: the farm's account has a flock
    to feed, vaccinate, weigh and hand over today, as a farm keeping chickens always has (last
    of the season, so that every draw and code before stays as it was)."""
    flock = lot(LIVE_CHICKEN, w.code("GD"))
    w.step(
        "trai-ga",
        "flock.placement",
        {"house": house, "lot": flock, "breed": "Gà Mía lai Lương Phượng", "head_count": 500},
        2,
    )
    w.step(
        "trai-ga",
        "flock.vaccination",
        {"flock": flock, **facts(NEWCASTLE, "flock.vaccination"), "dose": "1", "vet": "vet-001"},
        1,
    )


def _raise_flock(w: StepWriter, house: str, vet: str) -> tuple[str, int]:
    """Placement, vaccination, feed, a treatment, losses and weighing: ``(flock, heads alive)``."""
    flock = lot(LIVE_CHICKEN, w.code("GD"))
    heads = 600 + w.draw.integer(0, 200)
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
            **facts(NEWCASTLE, "flock.vaccination"),
            "dose": "1",
            "vet": vet,
        },
        25,
    )
    for days in (24, 17, 10):
        w.step(
            "trai-ga",
            "flock.feed",
            {
                "flock": flock,
                **facts(GRAIN_FEED, "flock.feed"),
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
            **facts(ENROFLOXACIN, "flock.treatment"),
            "dose": "1",
            "vet": vet,
        },
        14,
    )
    dead = w.draw.integer(3, 12)
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
    return flock, heads - dead


def _slaughter(w: StepWriter, flock: str, alive: int) -> tuple[str, Decimal]:
    """The flock goes to the slaughterhouse: slaughter, inspection, cooling: ``(carcass, kg)``."""
    ship(w, "trai-ga", flock, str(alive), SLAUGHTERHOUSE, 3, vehicle="rigid_truck", distance="40")
    w.step("lo-mo", "receive", {"lot": flock, "quantity": str(alive)}, 3, hour=12)
    carcass = lot(CHICKEN_CARCASS, w.code("GT"))
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
    cool(w, "lo-mo", carcass, SLAUGHTER_SITE, (0, 4), 2.5, hour=6)
    return carcass, kg


def _sell(w: StepWriter, carcass: str, kg: Decimal, market: int) -> None:
    """A refrigerated truck to the supermarket, which sells half the carcasses."""
    ship_chilled(
        w, "lo-mo", carcass, str(kg), SUPERMARKETS[market], 2.4, distance="30", degrees=(0, 4)
    )
    user = SUPERMARKET_USERS[market]
    w.step(user, "retail_receive", {"lot": carcass, "quantity": str(kg)}, 2.4, hour=11)
    w.step(
        user,
        "sell",
        {
            "lot": carcass,
            "quantity": str((kg / 2).quantize(Decimal("0.1"))),
            "price": {"amount": str((kg / 2 * 150000).quantize(Decimal("1"))), "currency": "VND"},
        },
        1,
        hour=18,
    )
