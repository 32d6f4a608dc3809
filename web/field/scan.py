"""The scan page of a handover: the camera reads a code, the lot's card opens.

``/field/scan`` has two modes:

* **one code**: the camera (or the always-present manual entry, a plain GET form that works
  without JavaScript) hands in a code, and :func:`labels.handover.read_code` says which lot it
  names; the page redirects to that lot's card, or says what was wrong with the code;
* **continuous receive** (``?receive=<lot>``): the receiver of a shipment scans its cartons one
  after the other; the tally is the distinct labelled serials of that shipment scanned so far,
  against the units shipped. A serial scanned twice, or a label of another lot, is flagged and
  not counted. The tally travels with the page (a hidden field the server checks again on every
  scan), so it needs no server-side state and works without JavaScript; the page's script posts
  each scan and updates the tally in place while the camera keeps running.

The camera needs a secure context (HTTPS, or ``localhost``); the page says so when it is not.
Browsers without a ``BarcodeDetector`` that reads QR codes get the vendored ZXing-C++ reader,
loaded only when the camera opens. This is the one page whose Content-Security-Policy allows
WebAssembly (:data:`web.security.WASM_ENDPOINTS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for

from labels.handover import read_code
from ledger.common.errors import LedgerError
from ledger.common.messages import N_, Message
from ledger.supplychain.accounts import Principal
from ledger.supplychain.custody import IN_TRANSIT, VIETNAM
from ledger.supplychain.errors import ForbiddenError
from ledger.supplychain.lot_card import LotCard, lot_card, serial_ranges
from schemas.fields import check_subject_id
from web.account_pages import form_csrf_ok
from web.field.pages import signed_in_principal
from web.i18n import named, translate
from web.services import services

bp = Blueprint("field_scan", __name__, url_prefix="/field")

#: The most serials one tally carries: a pallet of cartons is a few hundred.
MAX_TALLY = 5000
_SERIALS = re.compile(r"[0-9]{1,20}(?: [0-9]{1,20})*")


def local_now() -> datetime:
    """Now by the ledger's clock, in Hưng Yên's time."""
    return services().log.clock.now().astimezone(VIETNAM)


def lot_id_of(value: str) -> str:
    """The lot id of a path or form value: ``lot:<GTIN>/<code>`` or ``<GTIN>/<code>``."""
    text = value if value.startswith("lot:") else f"lot:{value}"
    return check_subject_id(text)


def card_url(lot_id: str) -> str:
    return url_for("field_lots.card", lot=lot_id)


@bp.get("/scan")
def scan() -> Any:
    """One code: read it and open its lot's card. With ``receive``: the continuous tally."""
    principal = signed_in_principal()
    if not isinstance(principal, Principal):
        return principal
    if "receive" in request.args:
        return _tally_page(principal, request.args.get("receive", ""), None)
    code = request.args.get("code")
    error = None
    status = 200
    if code is not None:
        try:
            scanned = read_code(services().log, code)
        except LedgerError as refused:
            error, status = translate(refused.message), refused.status
        else:
            return redirect(card_url(scanned.lot), 303)
    return render_template("field/scan.html", error=error, tally=None, **_camera()), status


@bp.post("/scan")
def scan_into_tally() -> Any:
    """One more carton of the shipment in continuous mode (the form, or the page's script)."""
    principal = signed_in_principal()
    if not isinstance(principal, Principal):
        return principal
    if not form_csrf_ok():
        raise ForbiddenError(N_("The form has expired; open the page again."))
    return _tally_page(principal, request.form.get("receive", ""), request.form)


def _camera() -> dict[str, Any]:
    """What the page's script needs: where the barcode reader and its wasm are."""
    return {
        "ponyfill": url_for("static", filename="vendor/barcode-detector-3.2.2/ponyfill.js"),
        "wasm": url_for("static", filename="vendor/zxing-wasm-3.1.3/zxing_reader.wasm"),
        "csrf": session.get("csrf", ""),
    }


@dataclass
class Tally:
    """The cartons of one shipment scanned so far, and what the last scan said."""

    lot: str
    units: int | None
    serials: list[str] = field(default_factory=list)
    #: "counted", "duplicate", "other_lot", "not_labelled" or "refused"; None before any scan.
    last: str | None = None
    message: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "lot": self.lot,
            "units": self.units,
            "count": len(self.serials),
            "serials": " ".join(self.serials),
            "last": self.last,
            "message": self.message,
        }


def _shipment_card(principal: Principal, lot_id: str) -> LotCard:
    """The card of a shipment in transit to the principal's organisation, or a refusal."""
    card = lot_card(services().log, lot_id_of(lot_id), local_now().date().isoformat())
    if (
        card.lot["custody"] != IN_TRANSIT
        or card.shipment is None
        or card.shipment.receiver != principal.organisation
    ):
        raise ForbiddenError(
            N_("Lot {lot} is not on its way to you: only its receiver counts its cartons."),
            lot=card.lot["id"],
        )
    return card


def _tally_page(principal: Principal, lot_id: str, form: Any) -> Any:
    card = _shipment_card(principal, lot_id)
    assert card.shipment is not None
    tally = Tally(card.lot["id"], card.shipment.units)
    if form is not None:
        tally.serials = _checked_serials(card, form.get("serials", ""))
        _count(tally, card, form.get("code", ""))
    if request.accept_mimetypes.best == "application/json":
        return jsonify(tally.as_json())
    return render_template(
        "field/scan.html",
        error=tally.message if tally.last not in (None, "counted") else None,
        tally=tally,
        card=card,
        lot_name=named(card.lot["id"]),
        **_camera(),
    )


def _checked_serials(card: LotCard, text: str) -> list[str]:
    """The serials the page says were counted, each again checked to be one the ledger issued
    for the shipment's lots: the page is the client's, the ledger is not."""
    text = text.strip()
    if not text:
        return []
    if len(text) > MAX_TALLY * 21 or not _SERIALS.fullmatch(text):
        return []
    ranges = serial_ranges(services().log.engine, card.labelled_lots)
    serials = list(dict.fromkeys(text.split()))
    return [s for s in serials if any(low <= int(s) <= high for low, high in ranges)]


def _count(tally: Tally, card: LotCard, code: str) -> None:
    """Read one scanned code into the tally and say what became of it."""
    try:
        scanned = read_code(services().log, code)
    except LedgerError as refused:
        tally.last, tally.message = "refused", translate(refused.message)
        return
    if scanned.lot not in card.labelled_lots:
        tally.last = "other_lot"
        tally.message = translate(
            Message(
                N_("This carton is of lot {other}, not of this shipment ({lot}): set it apart."),
                other=scanned.lot,
                lot=card.lot["id"],
            )
        )
    elif scanned.serial is None:
        tally.last = "not_labelled"
        tally.message = translate(
            Message(N_("This code names the lot but no unit: scan the label of each carton."))
        )
    elif scanned.serial in tally.serials:
        tally.last = "duplicate"
        tally.message = translate(
            Message(
                N_("Serial {serial} was scanned already: it is counted once."),
                serial=scanned.serial,
            )
        )
    elif len(tally.serials) >= MAX_TALLY:
        tally.last = "refused"
        tally.message = translate(
            Message(N_("A tally counts at most {limit} cartons."), limit=MAX_TALLY)
        )
    else:
        tally.serials.append(scanned.serial)
        tally.last = "counted"
        tally.message = translate(
            Message(
                N_("Serial {serial} counted: {count} of {units}."),
                serial=scanned.serial,
                count=len(tally.serials),
                units=tally.units if tally.units is not None else "?",
            )
        )
