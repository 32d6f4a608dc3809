"""The QR code of a label: error correction M, byte mode, at most version 9.

A label URL is at most 180 bytes, which is what version 9 at level M holds in byte mode, so any
phone and any library reads it; :func:`label_qr` refuses anything larger rather than printing a
denser code. The code is drawn as vectors (:func:`dark_runs`), never as a bitmap, so it stays
sharp at any printer resolution.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import segno

from labels.errors import LabelTooLongError

MAX_VERSION = 9
ERROR_CORRECTION = "m"


def label_qr(url: str) -> segno.QRCode:
    """The QR code of a label URL (version 1 to 9, level M, byte mode, the best mask)."""
    data = url.encode()
    try:
        code = segno.make_qr(data, error=ERROR_CORRECTION, boost_error=False, mode="byte")
    except segno.DataOverflowError:
        raise LabelTooLongError(length=len(data), limit=180, part="URL") from None
    if int(code.version) > MAX_VERSION:
        raise LabelTooLongError(length=len(data), limit=180, part="URL")
    return code


def qr_matrix(url: str) -> Sequence[bytearray]:
    """The symbol's modules without a quiet zone, row by row from the top: 1 dark, 0 light."""
    return label_qr(url).matrix


def dark_runs(matrix: Sequence[bytearray]) -> list[tuple[int, int, int]]:
    """Horizontal runs of dark modules as ``(row, first column, length)``: one rectangle per run
    instead of one per module draws the same code with about a third of the operators."""
    runs = []
    for row, modules in enumerate(matrix):
        column = 0
        for dark, group in itertools.groupby(modules):
            length = sum(1 for _ in group)
            if dark:
                runs.append((row, column, length))
            column += length
    return runs
