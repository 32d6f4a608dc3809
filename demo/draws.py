"""The random choices of a season: names, weights, minutes and temperatures.

One sequence serves the whole season, from its master data to its last step, so the same seed
gives the same season only while every builder draws in the same order: a builder that drew one
number more or less, or earlier, would change every step after it.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

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


class Draws:
    """The season's one random sequence, with the kinds of value the demo draws from it."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not secrets

    def person(self) -> str:
        return f"{self.rng.choice(FAMILY)} {self.rng.choice(MIDDLE)} {self.rng.choice(GIVEN)}"

    def quantity(self, low: int, high: int) -> str:
        """A measured amount from ``low`` up to ``high``, to one decimal place."""
        return str(Decimal(self.rng.randrange(low * 10, high * 10)) / 10)

    def integer(self, low: int, high: int) -> int:
        """A count from ``low`` up to, not including, ``high``."""
        return self.rng.randrange(low, high)

    def temperature(self, low: float, high: float) -> dict[str, Any]:
        """A logger's summary between ``low`` and ``high`` °C: minimum, maximum, mean, readings."""
        a = Decimal(str(round(self.rng.uniform(low, (low + high) / 2), 1)))
        b = Decimal(str(round(self.rng.uniform((low + high) / 2, high), 1)))
        mean = ((a + b) / 2).quantize(Decimal("0.1"))
        return {
            "min": str(a),
            "max": str(b),
            "mean": str(mean),
            "count": self.rng.randrange(24, 96),
        }
