"""What a code scanned at a handover names: a labelled unit, a carton's lot, or a pallet.

Three kinds of code reach the loading dock:

* the QR code of our labels, a GS1 Digital Link URL with its signature: the unit counts only if
  the label is one this ledger issued, signed by its issuer's key
  (:func:`labels.authenticity.check_issued_label`); a forged or copied-and-edited label is
  refused, whatever lot it names;
* the GS1 DataMatrix or GS1-128 of a carton: element strings with GTIN and lot (AI 01 + 10,
  or 02 + 10 on a pallet of one product), perhaps a serial (AI 21). Nothing signs them, so they
  name a lot and nothing more; a serial is taken only if the ledger issued it for that lot;
* the SSCC (AI 00) of a pallet: the logistic unit a ``ship`` entry named; it resolves to the
  lot of the shipment that carries it, while that shipment is on its way.

Whatever a camera or a person hands in is read defensively: at most :data:`MAX_CODE_LENGTH`
characters, no control character but the GS separator (FNC1) of element strings, NFC. Every
refusal is a typed error whose message says what was wrong, in the reader's language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from biip import ParseConfig, ParseError
from biip.checksums import gs1_standard_check_digit
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_messages import GS1Message

from labels.authenticity import check_issued_label
from labels.digital_link import check_label_id
from labels.errors import LabelError
from labels.signature import LabelId
from ledger.common.errors import LedgerError
from ledger.common.messages import N_, Message, excerpt
from ledger.supplychain.label_issues import issued_label
from ledger.supplychain.tables import LOT
from ledger.tlog.canonical import envelope_of
from ledger.tlog.log import Log
from ledger.tlog.tables import ENTRY

#: Longer than any label URL (180 bytes) or GS1 element string (a DataMatrix of a carton holds a
#: few dozen characters); anything longer is not one of ours.
MAX_CODE_LENGTH = 512
#: The group separator: FNC1 between variable-length element strings, as scanners send it.
GROUP_SEPARATOR = "\x1d"
LABEL, CARTON, PALLET = "label", "carton", "pallet"
_SSCC = re.compile(r"[0-9]{18}")
_SYMBOLOGY = re.compile(r"\][A-Za-z][0-9A-Za-z]")
_PARSE = ParseConfig(separator_chars=[GROUP_SEPARATOR])


class UnreadableCodeError(LedgerError):
    """The text is no code of a label, carton or pallet."""

    code = "code_unreadable"
    status = 400
    template = N_("This code cannot be read: {detail}")


class UnknownCodeError(LedgerError):
    """The code is well formed, but the ledger knows nothing it names."""

    code = "code_unknown"
    status = 404
    template = N_("The ledger knows nothing of this code: {detail}")


class ForgedLabelError(LedgerError):
    """A label URL whose signature or issue does not check out."""

    code = "code_forged"
    status = 422
    template = N_("This label is not genuine: {detail}")


@dataclass(frozen=True)
class ScannedCode:
    """What a code names: always a lot; a serial for a label (or a carton code with an issued
    serial), an SSCC for a pallet."""

    kind: str
    lot: str
    gtin: str
    lot_code: str
    serial: str | None = None
    sscc: str | None = None
    #: Whether a signature proves the serial (a label's QR code), not merely the ledger's issue.
    signed: bool = False


def clean_code(text: str) -> str:
    """The code as parsed: NFC, surrounding spaces gone, checked for length and control
    characters (the GS separator excepted)."""
    if len(text) > MAX_CODE_LENGTH:
        raise UnreadableCodeError(
            detail=Message(
                N_("it is {length} characters long; a code has at most {limit}"),
                length=len(text),
                limit=MAX_CODE_LENGTH,
            )
        )
    code = unicodedata.normalize("NFC", text).strip()
    if not code:
        raise UnreadableCodeError(detail=Message(N_("nothing was entered")))
    controls = sorted(
        {c for c in code if unicodedata.category(c) in ("Cc", "Cf") and c != GROUP_SEPARATOR}
    )
    if controls:
        raise UnreadableCodeError(
            detail=Message(
                N_("it holds control characters: {characters}"),
                characters=", ".join(f"U+{ord(c):04X}" for c in controls[:8]),
            )
        )
    return code


def read_code(log: Log, text: str) -> ScannedCode:
    """The lot (and unit or pallet) a scanned or typed code names, checked against the ledger.

    Raises :class:`UnreadableCodeError`, :class:`UnknownCodeError` or :class:`ForgedLabelError`.
    """
    code = clean_code(text)
    if _SYMBOLOGY.match(code):
        code = code[3:]  # a scanner's symbology identifier (]Q3, ]d2, ]C1): not part of the data
    if code.lower().startswith(("http://", "https://")):
        return _read_link(log, code)
    return _read_element_strings(log, code)


def _read_link(log: Log, url: str) -> ScannedCode:
    if "/21/" in url:
        try:
            checked = check_issued_label(log, url)
        except LabelError as error:
            raise ForgedLabelError(detail=error.message) from None
        label = checked.url.label
        return _known_lot(log, LABEL, label.gtin, label.lot, serial=label.serial, signed=True)
    # A lot's Digital Link without a serial (a carton's QR): signed by nobody, it names a lot.
    try:
        link = GS1DigitalLinkURI.parse(url)
    except (ParseError, ValueError):
        raise UnreadableCodeError(
            detail=Message(N_("the address is not a GS1 Digital Link of a product and lot"))
        ) from None
    return _from_elements(log, {e.ai.ai: e.value for e in link.element_strings})


def _read_element_strings(log: Log, code: str) -> ScannedCode:
    if _SSCC.fullmatch(code):
        return _pallet(log, code)
    try:
        if code.startswith("("):
            message = GS1Message.parse_hri(code, config=_PARSE)
        else:
            message = GS1Message.parse(code, config=_PARSE)
    except (ParseError, ValueError):
        raise UnreadableCodeError(
            detail=Message(
                N_("{value} is neither a label's address nor GS1 element strings"),
                value=excerpt(code.replace(GROUP_SEPARATOR, " ")),
            )
        ) from None
    elements: dict[str, str] = {}
    for element in message.element_strings:
        elements.setdefault(element.ai.ai, element.value)
    return _from_elements(log, elements)


def _from_elements(log: Log, elements: dict[str, str]) -> ScannedCode:
    if "00" in elements:
        return _pallet(log, elements["00"])
    gtin = elements.get("01") or elements.get("02")
    if gtin is None:
        raise UnreadableCodeError(
            detail=Message(N_("it names no product (AI 01) and no pallet (AI 00)"))
        )
    lot_code = elements.get("10")
    if lot_code is None:
        raise UnreadableCodeError(
            detail=Message(N_("it names the product {gtin} but no lot (AI 10)"), gtin=gtin)
        )
    serial = elements.get("21")
    try:
        check_label_id(LabelId(gtin, lot_code, serial or "0"))
    except LabelError as error:
        raise UnreadableCodeError(detail=error.params.get("detail", error.message)) from None
    scanned = _known_lot(log, CARTON, gtin, lot_code)
    if serial is None:
        return scanned
    with log.engine.connect() as connection:
        issued = issued_label(connection, gtin, serial)
    if issued is None or issued.issue.lot != scanned.lot:
        raise UnknownCodeError(
            detail=Message(
                N_("serial {serial} was never issued for lot {lot}"), serial=serial, lot=lot_code
            )
        )
    return ScannedCode(CARTON, scanned.lot, gtin, lot_code, serial=serial)


def _known_lot(
    log: Log,
    kind: str,
    gtin: str,
    lot_code: str,
    *,
    serial: str | None = None,
    signed: bool = False,
) -> ScannedCode:
    lot_id = f"lot:{gtin}/{lot_code}"
    with log.engine.connect() as connection:
        found = connection.execute(sa.select(LOT.c.id).where(LOT.c.id == lot_id)).first()
    if found is None:
        raise UnknownCodeError(
            detail=Message(N_("no lot {lot} of product {gtin}"), lot=lot_code, gtin=gtin)
        )
    return ScannedCode(kind, lot_id, gtin, lot_code, serial=serial, signed=signed)


def _pallet(log: Log, sscc: str) -> ScannedCode:
    if not _SSCC.fullmatch(sscc) or str(gs1_standard_check_digit(sscc[:-1])) != sscc[-1]:
        raise UnreadableCodeError(
            detail=Message(
                N_("{value} is not an 18-digit SSCC with a valid check digit"),
                value=excerpt(sscc),
            )
        )
    lot_id = shipment_with_sscc(log, sscc)
    if lot_id is None:
        raise UnknownCodeError(
            detail=Message(N_("no shipment on its way carries pallet {sscc}"), sscc=sscc)
        )
    gtin, _, lot_code = lot_id.removeprefix("lot:").partition("/")
    return ScannedCode(PALLET, lot_id, gtin, lot_code, sscc=sscc)


def shipment_with_sscc(log: Log, sscc: str) -> str | None:
    """The lot in transit whose ``ship`` entry named this SSCC, or None.

    Only shipments on their way are looked at (a pallet's SSCC is the label of one journey, and
    once received the pallet is broken down), so the lookup reads the few entries of the lots in
    transit rather than the whole log."""
    statement = (
        sa.select(LOT.c.id, ENTRY.c.data)
        .select_from(LOT.join(ENTRY, ENTRY.c.idx == LOT.c.shipment_entry))
        .where(LOT.c.shipment_entry.is_not(None))
        .order_by(LOT.c.shipment_entry.desc())
    )
    with log.engine.connect() as connection:
        for row in connection.execute(statement):
            if envelope_of(bytes(row.data))["payload"].get("sscc") == sscc:
                return str(row.id)
    return None
