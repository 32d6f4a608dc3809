"""Printed labels, checked as a phone and a printer would see them: the PDFs rasterised at the
printer's resolution and real size (pdftoppm), every QR code decoded (zxing-cpp) back to a URL
the server verifies, the text extracted (pypdf) with its Vietnamese intact, and the font of every
character checked (pdfplumber). 28 labels in all."""

from __future__ import annotations

import io
import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pdfplumber
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from labels import printing
from labels.authenticity import check_issued_label
from labels.label_keys import create_label_key
from labels.layouts import LAYOUTS, MIN_MODULE_MM, QUIET_ZONE_MODULES, module_dots
from labels.printing import print_lot_labels
from labels.sheet import BOLD, REGULAR, SCAN_PROMPT, register_fonts
from ledger.common.errors import InvalidInputError
from ledger.supplychain.errors import ForbiddenError, RuleViolationError
from tests.support.world import COLLECTOR, PACKER, PACKHOUSE, World

BASE = "https://trace.hungyen.example"
PDFTOPPM = shutil.which("pdftoppm")
needs_pdftoppm = pytest.mark.skipif(
    PDFTOPPM is None, reason="pdftoppm is not installed (Debian package poppler-utils)"
)
pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def backend() -> str:
    """PDF tests run on SQLite only: the database is not what they test."""
    return "sqlite"


@pytest.fixture(scope="module")
def labelled(world: World) -> dict[str, str]:
    """Two packed lots with issued labels: 24 for the A4 sheet, 4 for the thermal roll."""
    create_label_key(world.log, PACKHOUSE, ["8930000"], "packhouse labels")
    lots = {}
    for name, units in (("a4", 24), ("thermal", 4)):
        lot_id = world.packed_lot(units=units)
        world.record(PACKER, "label.issue", {"lot": lot_id, "count": units})
        lots[name] = lot_id
    return lots


def _pdfs(archive_path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(archive_path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _pages(pdf: bytes, dpi: int, tmp_path: Path) -> list[Image.Image]:
    """The PDF's pages as the printer prints them: real size at its resolution, grey."""
    assert PDFTOPPM is not None
    source = tmp_path / "sheet.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [PDFTOPPM, "-r", str(dpi), "-gray", "-aa", "no", "-aaVector", "no", str(source),
         str(tmp_path / "page")],
        check=True,
        timeout=60,
    )  # fmt: skip
    pages = [Image.open(path) for path in sorted(tmp_path.glob("page-*.pgm"))]
    for path in tmp_path.glob("page-*.pgm"):
        path.unlink()
    return pages


def _check_codes(
    world: World, pages: list[Image.Image], layout_name: str, expected: int
) -> list[str]:
    """Decode every code, check its geometry against the printer's dot grid, return the URLs."""
    layout = LAYOUTS[layout_name]
    dots = module_dots(layout.dpi)
    assert dots * layout.dot >= MIN_MODULE_MM
    urls = []
    for page in pages:
        width_mm = page.width * 25.4 / layout.dpi
        assert width_mm == pytest.approx(layout.page_width, abs=0.2)
        for code in zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode):
            assert code.ec_level == "M"
            urls.append(code.text)
            corners = code.position
            side = corners.top_right.x - corners.top_left.x
            modules = round(side / dots)
            assert abs(side - modules * dots) <= 1, "a module is a whole number of dots"
            assert (modules - 17) % 4 == 0, "a QR code has 4k + 17 modules a side"
            assert (modules - 17) // 4 <= 9, "version 9 at most"
            # The quiet zone: four blank modules on every side.
            quiet = QUIET_ZONE_MODULES * dots
            box = (
                corners.top_left.x - quiet,
                corners.top_left.y - quiet,
                corners.top_left.x - 2,
                corners.bottom_left.y,
            )
            assert page.crop(box).getextrema()[0] == 255, "the left quiet zone is blank"
            above = (corners.top_left.x, corners.top_left.y - quiet, corners.top_right.x,
                     corners.top_left.y - 2)  # fmt: skip
            assert page.crop(above).getextrema()[0] == 255, "the top quiet zone is blank"
    assert len(urls) == expected
    assert len(set(urls)) == expected
    for url in urls:
        assert len(url.encode()) <= 180
        check_issued_label(world.log, url)
    return urls


def _check_text_and_fonts(pdf: bytes, serials: list[int]) -> None:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    # Lines wrap where the label is narrow: compare with every run of white space as one space.
    text = " ".join(unicodedata.normalize("NFC", text).split())
    for expected in (
        SCAN_PROMPT,
        "Nhãn lồng hộp 1 kg",
        "HTX Nhãn lồng Tiên Lữ",
        "Thu hoạch:",
        "Lô: P",
        *(f"Số: {serial}" for serial in serials),
    ):
        assert expected in text
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        fonts = {char["fontname"].split("+")[-1] for page in document.pages for char in page.chars}
    assert fonts == {"DejaVuSansCondensed", "DejaVuSansCondensed-Bold"}


@needs_pdftoppm
def test_an_a4_sheet_decodes_back_to_verified_urls(
    world: World, labelled: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(printing, "LABELS_PER_PDF", 10)
    progress: list[tuple[int, int]] = []
    archive = tmp_path / "labels.zip"
    printed = print_lot_labels(
        world.log,
        labelled["a4"],
        "a4-3x7",
        BASE,
        archive,
        holder=PACKHOUSE,
        progress=lambda done, total: progress.append((done, total)),
    )
    assert printed.labels == 24
    pdfs = _pdfs(archive)
    assert list(pdfs) == list(printed.files)
    assert [name.rsplit("-", 2)[-2:] for name in pdfs] == [
        ["000001", "000010.pdf"],
        ["000011", "000020.pdf"],
        ["000021", "000024.pdf"],
    ]
    assert progress[-1] == (24, 24)
    all_urls = []
    for name, pdf in pdfs.items():
        first, last = (int(part.removesuffix(".pdf")) for part in name.rsplit("-", 2)[-2:])
        urls = _check_codes(world, _pages(pdf, 600, tmp_path), "a4-3x7", last - first + 1)
        _check_text_and_fonts(pdf, _serials(urls))
        all_urls += urls
    serials = _serials(all_urls)
    assert serials == list(range(serials[0], serials[0] + 24))


def _serials(urls: list[str]) -> list[int]:
    return sorted(int(url.split("/21/")[1].split("?")[0]) for url in urls)


@needs_pdftoppm
def test_a_thermal_roll_prints_one_label_per_page_on_its_dot_grid(
    world: World, labelled: dict[str, str], tmp_path: Path
) -> None:
    archive = tmp_path / "thermal.zip"
    print_lot_labels(world.log, labelled["thermal"], "thermal-50x30", BASE, archive)
    [pdf] = _pdfs(archive).values()
    pages = _pages(pdf, 203, tmp_path)
    assert len(pages) == 4
    assert pages[0].size == (round(50 / 25.4 * 203), round(30 / 25.4 * 203))
    urls = _check_codes(world, pages, "thermal-50x30", 4)
    _check_text_and_fonts(pdf, _serials(urls))


def test_only_the_holder_prints_and_only_issued_labels(
    world: World, labelled: dict[str, str], tmp_path: Path
) -> None:
    with pytest.raises(ForbiddenError):
        print_lot_labels(
            world.log, labelled["a4"], "a4-3x7", BASE, tmp_path / "x.zip", holder=COLLECTOR
        )
    with pytest.raises(InvalidInputError):
        print_lot_labels(world.log, labelled["a4"], "a3-poster", BASE, tmp_path / "x.zip")
    unlabelled = world.packed_lot(units=3)
    with pytest.raises(RuleViolationError, match="issue them first"):
        print_lot_labels(world.log, unlabelled, "a4-3x7", BASE, tmp_path / "x.zip")
    assert not list(tmp_path.iterdir())


def test_modules_are_whole_printer_dots_of_at_least_0_375_mm() -> None:
    assert {dpi: module_dots(dpi) for dpi in (203, 300, 600)} == {203: 3, 300: 5, 600: 9}
    for layout in LAYOUTS.values():
        assert module_dots(layout.dpi) * layout.dot >= MIN_MODULE_MM
        assert (module_dots(layout.dpi) - 1) * layout.dot < MIN_MODULE_MM


VOWELS = "aăâeêioôơuưy"
TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")


def test_the_embedded_fonts_cover_every_vietnamese_letter() -> None:
    register_fonts()
    letters = {
        unicodedata.normalize("NFC", vowel + tone)
        for vowel in VOWELS + VOWELS.upper()
        for tone in TONES
    } | set("đĐ«»–…")
    assert len(letters) == 2 * len(VOWELS) * len(TONES) + 6
    for name in (REGULAR, BOLD):
        face = pdfmetrics.getFont(name).face
        missing = sorted(c for c in letters if ord(c) not in face.charToGlyph)
        assert not missing, f"{name} lacks {missing}"
