"""A fake camera for the browser tests: a video of printed labels, as Chromium's fake capture
device plays it (``--use-file-for-fake-video-capture``), made from the PDF this project prints.

The labels are printed as a holder prints them (:func:`labels.printing.print_lot_labels`, the
thermal roll: one label a page), rasterised by ``pdftoppm`` at the printer's resolution, and each
page shown in turn, centred on a white 640 × 480 frame, for ``frames_each`` frames. Chromium
reads an MJPEG file as one JPEG after the other and starts again at the end, as a phone would
see a person show the cartons one by one, then the first again.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

from PIL import Image

from labels.printing import print_lot_labels
from ledger.tlog.log import Log
from tests.support.browser import unavailable

FRAME = (640, 480)
PDFTOPPM = shutil.which("pdftoppm")
LAYOUT = "thermal-50x30-300dpi"


def label_pages(log: Log, lot_id: str, base: str, directory: Path) -> list[Image.Image]:
    """The lot's issued labels, printed and rasterised: one greyscale image per label."""
    if PDFTOPPM is None:
        unavailable("pdftoppm is not installed (Debian package poppler-utils)")
    archive = directory / "labels.zip"
    print_lot_labels(log, lot_id, LAYOUT, base, archive)
    pages: list[Image.Image] = []
    with zipfile.ZipFile(archive) as printed:
        for name in sorted(printed.namelist()):
            source = directory / name
            source.write_bytes(printed.read(name))
            prefix = directory / source.stem
            subprocess.run(
                [PDFTOPPM, "-r", "300", "-gray", str(source), str(prefix)], check=True, timeout=60
            )
            pages += [
                Image.open(path).copy() for path in sorted(directory.glob(f"{source.stem}-*.pgm"))
            ]
    return pages


def label_video(pages: list[Image.Image], target: Path, frames_each: int = 12) -> Path:
    """An MJPEG of the pages, each for ``frames_each`` frames, for the fake camera."""
    with target.open("wb") as video:
        for page in pages:
            frame = Image.new("L", FRAME, 255)
            shown = page.copy()
            shown.thumbnail((FRAME[0] - 40, FRAME[1] - 40))
            frame.paste(shown, ((FRAME[0] - shown.width) // 2, (FRAME[1] - shown.height) // 2))
            encoded = io.BytesIO()
            frame.convert("RGB").save(encoded, "JPEG", quality=92)
            video.write(encoded.getvalue() * frames_each)
    return target
