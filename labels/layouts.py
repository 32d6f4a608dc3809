"""Where labels sit on the paper, and how fine the printer that prints them is.

A QR module must be a whole number of printer dots (a module of 2.6 dots prints as 2 or 3 dots
and the code's grid wobbles) and at least 0.375 mm, so that a phone reads it from a shelf. So a
layout names its printer's resolution, and the module size follows from it:
:func:`module_dots` is the fewest dots that make 0.375 mm.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from decimal import Decimal

from ledger.common.messages import N_, Message

MM_PER_INCH = 25.4
POINTS_PER_MM = 72 / MM_PER_INCH
MIN_MODULE_MM = 0.375
#: Blank modules around the code, as ISO/IEC 18004 asks of a QR code.
QUIET_ZONE_MODULES = 4


@dataclass(frozen=True)
class Layout:
    """A sheet of ``columns`` × ``rows`` labels; all lengths in millimetres from the top left."""

    name: str
    #: What the print form offers, in the reader's language (sizes in its number format).
    description: Message
    page_width: float
    page_height: float
    label_width: float
    label_height: float
    columns: int
    rows: int
    left: float
    top: float
    pitch_x: float
    pitch_y: float
    #: The printer's resolution in dots per inch.
    dpi: int
    #: Blank margin inside each label, for die-cut tolerance.
    padding: float = 1.5

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def dot(self) -> float:
        """One printer dot, in millimetres."""
        return MM_PER_INCH / self.dpi

    def label_origin(self, slot: int) -> tuple[float, float]:
        """The top-left corner of the label in ``slot`` (row by row), in millimetres."""
        row, column = divmod(slot, self.columns)
        return self.left + column * self.pitch_x, self.top + row * self.pitch_y


def module_dots(dpi: int) -> int:
    """The fewest whole printer dots that make a QR module of at least 0.375 mm."""
    return math.ceil(MIN_MODULE_MM * dpi / MM_PER_INCH - 1e-9)


def _thermal(dpi: int) -> Message:
    return Message(
        N_("Thermal roll, one {width} × {height} mm label per page, {dpi} dpi"),
        width=50,
        height=30,
        dpi=dpi,
    )


A4_3X7 = Layout(
    name="a4-3x7",
    description=Message(
        N_(
            "A4 adhesive sheet, {columns} × {rows} labels of {width} × {height} mm (L7160), "
            "{dpi} dpi"
        ),
        columns=3,
        rows=7,
        width=Decimal("63.5"),
        height=Decimal("38.1"),
        dpi=600,
    ),
    page_width=210,
    page_height=297,
    label_width=63.5,
    label_height=38.1,
    columns=3,
    rows=7,
    left=7.2,
    top=15.15,
    pitch_x=66.05,
    pitch_y=38.1,
    dpi=600,
)
THERMAL_50X30 = Layout(
    name="thermal-50x30",
    description=_thermal(203),
    page_width=50,
    page_height=30,
    label_width=50,
    label_height=30,
    columns=1,
    rows=1,
    left=0,
    top=0,
    pitch_x=50,
    pitch_y=30,
    dpi=203,
    padding=1.0,
)
LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        A4_3X7,
        THERMAL_50X30,
        dataclasses.replace(
            THERMAL_50X30,
            name="thermal-50x30-300dpi",
            description=_thermal(300),
            dpi=300,
        ),
    )
}
DEFAULT_LAYOUT = A4_3X7.name
