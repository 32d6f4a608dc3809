"""Label sheets as PDF: the QR code as vectors on the printer's dot grid, the text in an embedded
TrueType font that covers Vietnamese.

Every string is drawn in DejaVu Sans Condensed (regular or bold), embedded as a subset, so no
character falls back to a standard PDF font that lacks «ư», «ơ» or «ệ»; text is normalised to NFC
first, because a decomposed «ệ» would be drawn as «e» and two loose accents. Each QR code starts
on a printer dot and each module is a whole number of dots (see :mod:`labels.layouts`).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from labels.layouts import POINTS_PER_MM, QUIET_ZONE_MODULES, Layout, module_dots
from labels.qr import dark_runs, qr_matrix

FONT_DIRECTORY = Path(__file__).parent / "fonts"
REGULAR = "HYT-DejaVuSansCondensed"
BOLD = "HYT-DejaVuSansCondensed-Bold"
FONT_FILES = {REGULAR: "DejaVuSansCondensed.ttf", BOLD: "DejaVuSansCondensed-Bold.ttf"}
SCAN_PROMPT = "Quét để xác thực nguồn gốc"
#: Text sizes tried from the largest down, until the label's lines fit.
FONT_SIZES = (7.0, 6.5, 6.0, 5.5, 5.0, 4.5)
LEADING = 1.18
#: Labels per PDF file: a whole lot is split into files of at most this many.
LABELS_PER_PDF = 1000


@dataclass(frozen=True)
class LabelText:
    """What a lot's labels say besides their serial: the same on every label of the lot."""

    product: str
    producer: str
    harvest: str
    lot: str


@dataclass(frozen=True)
class PrintedLabel:
    url: str
    serial: str
    text: LabelText


@functools.cache
def register_fonts() -> None:
    """Register the embedded fonts with ReportLab once per process."""
    for name, file_name in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIRECTORY / file_name)))


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class _Line:
    font: str
    text: str
    #: The serial's line: its text is the label's own, the rest are the lot's.
    serial: bool = False


def _fit(text: str, font: str, size: float, width: float, max_lines: int) -> tuple[list[str], bool]:
    """``text`` wrapped to ``width`` points in at most ``max_lines`` lines, and whether it had to
    be shortened: then the last line ends in an ellipsis, and a word longer than a line is cut."""
    lines: list[str] = []
    shortened = False
    for line in simpleSplit(text, font, size, width) or [""]:
        while pdfmetrics.stringWidth(line, font, size) > width and len(line) > 1:
            line = line[:-2] + "…"
            shortened = True
        lines.append(line)
    if len(lines) > max_lines:
        shortened = True
        last = lines[max_lines - 1]
        while pdfmetrics.stringWidth(last + "…", font, size) > width and len(last) > 1:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip() + "…"]
    return lines, shortened


@functools.lru_cache(maxsize=64)
def _text_block(
    text: LabelText, serial_width: int, width: float, height: float
) -> tuple[float, tuple[_Line, ...]]:
    """The largest font size at which the label's lines fit the block whole, and the lines.

    If even the smallest size does not hold them whole, it is used with the longest lines
    shortened. Cached per lot: only the serial changes from label to label, and it is sized here
    by its longest form (``serial_width`` digits).
    """
    register_fonts()
    # (text, font, most lines, whether it is the serial's line)
    parts = (
        (text.product, BOLD, 2, False),
        (text.producer, REGULAR, 2, False),
        (f"Thu hoạch: {text.harvest}", REGULAR, 2, False),
        (f"Lô: {text.lot}", REGULAR, 1, False),
        ("Số: " + "9" * serial_width, REGULAR, 1, True),
        (SCAN_PROMPT, BOLD, 2, False),
    )
    lines: list[_Line] = []
    for size in FONT_SIZES:
        lines = []
        whole = True
        for value, font, max_lines, serial in parts:
            fitted, shortened = _fit(value, font, size, width, max_lines)
            whole = whole and not shortened
            lines += [_Line(font, line, serial) for line in fitted]
        if whole and len(lines) * size * LEADING <= height:
            break
    return size, tuple(lines)


class SheetWriter:
    """Draws labels one after another onto the pages of one PDF."""

    def __init__(self, out: IO[bytes], layout: Layout, title: str) -> None:
        register_fonts()
        self.layout = layout
        self.canvas = Canvas(
            out,
            pagesize=(layout.page_width * POINTS_PER_MM, layout.page_height * POINTS_PER_MM),
            pageCompression=1,
            invariant=1,
        )
        self.canvas.setTitle(nfc(title))
        self.canvas.setCreator("Hưng Yên Trace")
        self.slot = 0
        self.count = 0
        dots = module_dots(layout.dpi)
        self.module_mm = dots * layout.dot
        self.module = self.module_mm * POINTS_PER_MM

    def _snap(self, millimetres: float) -> float:
        """A length from the page's top or left edge, moved onto the printer's dot grid."""
        dot = self.layout.dot
        return round(millimetres / dot) * dot

    def add(self, label: PrintedLabel) -> None:
        layout = self.layout
        if self.slot == layout.per_page:
            self.canvas.showPage()
            self.slot = 0
        left, top = layout.label_origin(self.slot)
        self.slot += 1
        self.count += 1
        matrix = qr_matrix(label.url)
        side_modules = len(matrix) + 2 * QUIET_ZONE_MODULES
        side = side_modules * self.module_mm
        # The code with its quiet zone, at the label's left, centred vertically.
        qr_left = self._snap(left + layout.padding)
        qr_top = self._snap(top + (layout.label_height - side) / 2)
        self._draw_code(matrix, qr_left, qr_top)
        text_left = qr_left + side
        text_width = left + layout.label_width - layout.padding - text_left
        text_height = layout.label_height - 2 * layout.padding
        self._draw_text(label, text_left, top + layout.padding, text_width, text_height)

    def _draw_code(self, matrix: Sequence[bytearray], left: float, top: float) -> None:
        """One filled path of the dark runs, written in module units under a scaling matrix:
        integer coordinates keep the operators short and exact."""
        page_height = self.layout.page_height * POINTS_PER_MM
        module = self.module
        x0 = left * POINTS_PER_MM + QUIET_ZONE_MODULES * module
        y0 = page_height - top * POINTS_PER_MM - QUIET_ZONE_MODULES * module
        operators = [f"q 0 g {module:.6f} 0 0 {module:.6f} {x0:.6f} {y0:.6f} cm"]
        operators += [f"{c} {-r - 1} {n} 1 re" for r, c, n in dark_runs(matrix)]
        operators.append("f Q")
        self.canvas.addLiteral("\n".join(operators))

    def _draw_text(
        self, label: PrintedLabel, left: float, top: float, width: float, height: float
    ) -> None:
        text = label.text
        size, lines = _text_block(
            text, max(len(label.serial), 6), width * POINTS_PER_MM, height * POINTS_PER_MM
        )
        canvas = self.canvas
        page_height = self.layout.page_height * POINTS_PER_MM
        x = left * POINTS_PER_MM
        # The block centred in the label's height, like the code beside it.
        spare = max(height * POINTS_PER_MM - len(lines) * size * LEADING, 0)
        y = page_height - top * POINTS_PER_MM - spare / 2 - size
        for line in lines:
            value = f"Số: {label.serial}" if line.serial else line.text
            canvas.setFont(line.font, size)
            canvas.drawString(x, y, value)
            y -= size * LEADING

    def close(self) -> None:
        self.canvas.showPage()
        self.canvas.save()


def write_sheets(
    labels: Iterable[PrintedLabel],
    layout: Layout,
    out: IO[bytes],
    title: str,
    on_label: Callable[[], None] | None = None,
) -> int:
    """Write the labels into one PDF; returns how many."""
    writer = SheetWriter(out, layout, title)
    for label in labels:
        writer.add(label)
        if on_label is not None:
            on_label()
    writer.close()
    return writer.count


def label_text(product: str, producer: str, harvest: str, lot: str) -> LabelText:
    """A lot's label text, normalised to NFC (PDF text extraction and search compare NFC)."""
    return LabelText(nfc(product), nfc(producer), nfc(harvest), nfc(lot))
