"""GS1 Digital Link URLs of labels: built for the QR code, parsed back when a phone opens one.

``https://<public host>/01/<GTIN-14>/10/<lot>/21/<serial>?s=<signature>``: any phone camera opens
it, and any GS1 resolver understands it. AI values are percent-encoded in the path (everything
but the unreserved characters); the signature covers them decoded. The whole URL is at most 180
bytes, which a QR code of version 9 at error correction M holds in byte mode with any library.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import NamedTuple
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from biip import ParseError
from biip.checksums import gs1_standard_check_digit
from biip.gs1_digital_link_uris import GS1DigitalLinkURI

from labels.errors import LabelTooLongError, MalformedLabelError
from labels.signature import ENCODED_SIGNATURE_LENGTH, LabelId
from ledger.common.messages import N_, Message, excerpt

MAX_LABEL_URL_BYTES = 180
MAX_LOT_LENGTH = 20
MAX_SERIAL_DIGITS = 20
#: GS1 AI encodable character set 82, which lot numbers are drawn from.
_CHARACTER_SET_82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+")
_SERIAL = re.compile(r"0|[1-9][0-9]*")
_GTIN_14 = re.compile(r"[0-9]{14}")
_PERCENT_ENCODED = re.compile(r"(?:[^%]|%[0-9A-Fa-f]{2})*")
_BASE = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~-]+)*")


class LabelUrl(NamedTuple):
    """A parsed label URL: the resolver base (scheme, host, optional path), the unit, and ``s``."""

    base: str
    label: LabelId
    signature: str | None


def check_label_id(label: LabelId) -> None:
    """The shapes a label's AI values must have, whichever way they arrive; a refusal says
    which part is wrong and how, echoing at most an excerpt of it."""
    if (
        not _GTIN_14.fullmatch(label.gtin)
        or str(gs1_standard_check_digit(label.gtin[:-1])) != label.gtin[-1]
    ):
        raise MalformedLabelError(
            detail=Message(
                N_("{value} is not a 14-digit GTIN with a valid check digit"),
                value=excerpt(label.gtin),
            )
        )
    if not label.lot:
        raise MalformedLabelError(detail=Message(N_("the lot is empty")))
    if len(label.lot) > MAX_LOT_LENGTH:
        raise MalformedLabelError(
            detail=Message(
                N_("the lot is {length} characters long; a lot has at most {limit} characters"),
                length=len(label.lot),
                limit=MAX_LOT_LENGTH,
            )
        )
    if not _CHARACTER_SET_82.fullmatch(label.lot):
        raise MalformedLabelError(
            detail=Message(
                N_("the lot {value} holds characters a lot may not have: {characters}"),
                value=excerpt(label.lot),
                characters=_not_in_set_82(label.lot),
            )
        )
    if len(label.serial) > MAX_SERIAL_DIGITS:
        raise MalformedLabelError(
            detail=Message(
                N_("the serial has {length} characters; a serial has at most {limit} digits"),
                length=len(label.serial),
                limit=MAX_SERIAL_DIGITS,
            )
        )
    if not _SERIAL.fullmatch(label.serial):
        raise MalformedLabelError(
            detail=Message(
                N_("the serial {value} is not a number written with digits"),
                value=excerpt(label.serial),
            )
        )


def _not_in_set_82(text: str) -> str:
    """The characters of ``text`` outside GS1 character set 82, each once, as a reader can
    tell them apart: a combining mark or an invisible one by its code point."""
    shown: list[str] = []
    for character in dict.fromkeys(text):
        if _CHARACTER_SET_82.fullmatch(character):
            continue
        visible = character.isprintable() and not unicodedata.category(character).startswith("M")
        shown.append(f"“{character}”" if visible else f"U+{ord(character):04X}")
    return ", ".join(shown[:8]) + (", …" if len(shown) > 8 else "")


def label_path(label: LabelId) -> str:
    return f"/01/{label.gtin}/10/{quote(label.lot, safe='')}/21/{label.serial}"


def label_url(base: str, label: LabelId, signature: str) -> str:
    """The URL printed in the QR code; refused, naming the part to shorten, above 180 bytes."""
    base = base.rstrip("/")
    if not _BASE.fullmatch(base):
        raise MalformedLabelError(
            detail=Message(
                N_("{value!r} is not an http(s) address without query or fragment"), value=base
            )
        )
    check_label_id(label)
    url = f"{base}{label_path(label)}?s={signature}"
    length = len(url.encode())
    if length > MAX_LABEL_URL_BYTES:
        part = "host" if len(base) > 40 else "lot" if len(label.lot) > 10 else "serial"
        raise LabelTooLongError(length=length, limit=MAX_LABEL_URL_BYTES, part=part)
    return url


def check_label_fits(base: str, gtin: str, lot: str, last_serial: int) -> None:
    """Refuse to issue labels whose URLs, up to ``last_serial``, would not fit the QR code."""
    label_url(base, LabelId(gtin, lot, str(last_serial)), "A" * ENCODED_SIGNATURE_LENGTH)


def longest_url_bytes(base: str, lot: str, serial_digits: int) -> int:
    """How long a label URL of this host and lot gets with serials of that many digits."""
    probe = LabelId("0" * 14, lot, "9" * serial_digits)
    return len(f"{base.rstrip('/')}{label_path(probe)}?s={'A' * ENCODED_SIGNATURE_LENGTH}".encode())


@functools.lru_cache(maxsize=4096)
def parse_label_url(url: str) -> LabelUrl:
    """Parse a label URL as a phone would open it; the signature, if present, is not checked.

    Remembered per URL (the answer is immutable): a page checks the same URL several times, and
    a shelf of labels is scanned over and over."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise MalformedLabelError(detail=Message(N_("not a URL"))) from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise MalformedLabelError(detail=Message(N_("not an http(s) URL")))
    segments = parts.path.split("/")
    if (
        len(segments) < 7
        or (segments[-6], segments[-4], segments[-2]) != ("01", "10", "21")
        # The GTIN and serial are written as digits, never percent-encoded or shortened (a
        # resolver may pad a GTIN-13, but a label is signed over the GTIN-14 it shows).
        or not _GTIN_14.fullmatch(segments[-5])
        or not _SERIAL.fullmatch(segments[-1])
        or not _PERCENT_ENCODED.fullmatch(segments[-3])
    ):
        raise MalformedLabelError(
            detail=Message(
                N_("the path must end in /01/<GTIN-14>/10/<lot>/21/<serial>, percent-encoded")
            )
        )
    # Our own rules first, each refusal in words; biip's (in English, with its regular
    # expressions) only confirms what they let through.
    check_label_id(LabelId(segments[-5], unquote(segments[-3], errors="replace"), segments[-1]))
    try:
        link = GS1DigitalLinkURI.parse(f"https://resolver.invalid{'/'.join(['', *segments[-6:]])}")
    except (ParseError, ValueError, UnicodeDecodeError):
        raise MalformedLabelError(
            detail=Message(N_("its product, lot and serial are not a valid GS1 Digital Link"))
        ) from None
    values = {element.ai.ai: element.value for element in link.element_strings}
    label = LabelId(values["01"], values["10"], values["21"])
    check_label_id(label)
    signatures = [
        value for name, value in parse_qsl(parts.query, keep_blank_values=True) if name == "s"
    ]
    if len(signatures) > 1:
        raise MalformedLabelError(detail=Message(N_("the signature parameter s appears twice")))
    base = f"{parts.scheme}://{parts.netloc}{'/'.join(segments[:-6])}"
    return LabelUrl(base, label, signatures[0] if signatures else None)
