"""The lot card: what a scan opens, and the actions the signed-in role may take on the lot.

``GET /field/lots/<lot>`` shows the product and holder by name, the quantity available, the
status (a recall or hold in red, with its reason), the latest events in words with local
times, and a button per action of :mod:`web.field.lot_actions` the role may take on the lot as
it stands, nothing else (a packed lot's card after the pack goes on to issuing its labels).
``?action=<name>`` adds that action's form (an event form of
:mod:`web.field.forms`, handled by :func:`web.field.pages.handle_form`: the one service call,
the problems on their fields, nothing recorded on bad input); once it recorded, the card again,
as the lot now stands. ``<lot>`` is the lot's id (``lot:<GTIN>/<code>``, escaped as one path
segment by :func:`web.field.pages.lot_path` or not) or ``<GTIN>/<code>``.

The photos of the harvests the lot came from are there too, to those who may see them, with
"show on the label page" for those who may decide it (``POST /field/photos/<sha256>/label-page``).
"""

from __future__ import annotations

from decimal import Decimal
from string import Formatter
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from werkzeug.wrappers import Response as BaseResponse

from ledger.common.errors import InvalidInputError
from ledger.common.messages import N_, Message
from ledger.supplychain.accounts import Principal
from ledger.supplychain.errors import ForbiddenError
from ledger.supplychain.lot_card import CardEvent, LotCard, lot_card
from web.account_pages import form_csrf_ok
from web.field.lot_actions import ACTIONS, Situation, card_forms, companions, offered
from web.field.pages import EXPIRED, handle_form, signed_in_principal
from web.field.rendering import unit_name
from web.field.scan import local_now, lot_id_of
from web.i18n import format_moment, named, translate
from web.services import services

bp = Blueprint("field_lots", __name__, url_prefix="/field")

#: What each kind of event says on the card, from its data.
EVENT_WORDS = {
    "harvest": N_("Harvested {quantity} {unit}"),
    "ship": N_("Shipped {quantity} {unit} to {receiver}"),
    "receive": N_("Received {quantity} {unit}"),
    "retail_receive": N_("Received {quantity} {unit} at the shop"),
    "pack": N_("Packed"),
    "merge": N_("Merged"),
    "slaughter": N_("Slaughtered {head_count} birds"),
    "store": N_("Store movement at {site}"),
    "cooling": N_("Cooling readings: {low} to {high} °C"),
    "sell": N_("Sold {quantity} {unit}"),
    "loss": N_("Lost {quantity} {unit}: {reason}"),
    "label.issue": N_("{count} labels issued"),
    "recall": N_("Recalled: {reason}"),
    "flock.placement": N_("Flock placed: {head_count} birds"),
    "inspect": N_("Inspected: {analyte}, {result}"),
    "farm_input.fertiliser": N_("Fertilised with {product}"),
    "farm_input.pesticide": N_("Sprayed with {product}"),
    "farm_input.irrigation": N_("Irrigated"),
    "energy_use": N_("Energy use recorded"),
    "flock.feed": N_("Fed: {feed_type}"),
    "flock.vaccination": N_("Vaccinated with {product}"),
    "flock.treatment": N_("Treated with {product}"),
    "flock.loss": N_("Birds lost: {count}"),
    "flock.weighing": N_("Weighed a sample of {sample_size} birds"),
    "transform": N_("Processed"),
    "slaughter_inspection": N_("Slaughter inspected"),
    "internal_audit": N_("Internal audit"),
    "non_conformity": N_("Non-conformity recorded"),
    "complaint": N_("Complaint recorded"),
    # Money is confidential: the card says that it happened, never an amount.
    "purchase": N_("Purchase recorded"),
    "payment": N_("Payment recorded"),
    "training": N_("Training recorded"),
    "recall.request": N_("Recall requested: {reason}"),
    "recall.dismiss": N_("Recall request dismissed: {reason}"),
    "recall_lift": N_("Recall lifted: {reason}"),
    "hold_release": N_("Hold released"),
    "correction": N_("A record corrected"),
    "cert.issue": N_("Certificate issued"),
    "cert.revoke": N_("Certificate revoked"),
}
#: What an event of a type without words of its own says (never its code).
SOME_EVENT = N_("Recorded")
REFUSED_RECEIPT = N_("Refused and returned: {refusal_reason}")


@bp.route("/lots/<path:lot>", methods=["GET", "POST"])
def card(lot: str) -> Any:
    principal = signed_in_principal()
    if not isinstance(principal, Principal):
        return principal
    lot_id = lot_id_of(lot)
    found = lot_card(services().log, lot_id, local_now().date().isoformat())
    others = companions(services().fieldwork, principal.organisation or "", found)
    situation = Situation(principal, found, len(others))
    actions = offered(situation)
    page = {**_page(found, actions), "photos": services().photos.lot_photos(principal, lot_id)}
    name = request.args.get("action")
    if name is None:
        if request.method == "POST":
            abort(405)
        return render_template("field/lot_card.html", **page, form=None)
    if name not in {action.name for action in actions}:
        abort(403)
    counted = request.args.get("counted", "")
    form = card_forms(
        found,
        int(counted) if counted.isascii() and counted.isdigit() and len(counted) < 9 else None,
    )[name]
    answer = handle_form(
        form,
        template="field/lot_card.html",
        page={**page, "chosen": name, "form_action": request.full_path.rstrip("?")},
        card_lot=lot_id,
    )
    if isinstance(answer, BaseResponse) and answer.status_code == 303 and request.method == "POST":
        # Recorded: the card of the lot it made (a packed lot, whose labels are issued there),
        # else this one's again, as the lot now stands.
        made = _made(name, found)
        # A pack of counted boxes goes on to their labels: the form to issue them, filled in.
        then = "labels" if name == "pack" and request.form.get("units") else None
        return redirect(url_for("field_lots.card", lot=made or lot_id, done=name, action=then), 303)
    return answer


@bp.post("/photos/<sha256>/label-page")
def photo_on_label_page(sha256: str) -> Any:
    """Show a harvest's photo on the label page (``public=1``) or take it off (``public=0``),
    then the card of the lot it was shown on (``lot``) again. The photo service decides who
    may (the holder or the producer of the harvested lot); private stays the default."""
    principal = signed_in_principal()
    if not isinstance(principal, Principal):
        return principal
    if not form_csrf_ok():
        raise ForbiddenError(EXPIRED)
    lot_id = lot_id_of(request.form.get("lot", ""))
    public = request.form.get("public")
    if public not in ("0", "1"):
        raise InvalidInputError(errors={"public": [Message(N_("Choose shown or not shown."))]})
    services().photos.set_public(principal, sha256, public == "1")
    return redirect(f"{url_for('field_lots.card', lot=lot_id)}#photo-{sha256}", 303)


#: The form fields that name the lot an action makes: its product's GTIN and its code.
MADE_BY = {
    "pack": ("output_gtin", "output_code"),
    "merge": ("", "output_code"),
    "slaughter": ("carcass_gtin", "output_code"),
}


def _made(action: str, found: LotCard) -> str | None:
    """The lot a recorded pack, merge or slaughter made, from the form that made it."""
    if action not in MADE_BY:
        return None
    gtin_field, code_field = MADE_BY[action]
    gtin = request.form.get(gtin_field, "") if gtin_field else found.product["gtin"]
    code = request.form.get(code_field, "").strip()
    return f"lot:{gtin}/{code}" if gtin and code else None


def _page(found: LotCard, actions: list[Any]) -> dict[str, Any]:
    english = str(get_locale() or "vi") == "en"
    lot = found.lot
    done = request.args.get("done")
    return {
        "card": found,
        "lot_name": named(lot["id"]),
        "product_name": found.product["name_en" if english else "name_vi"],
        "holder": named(f"org:{lot['holder']}"),
        "receiver": named(f"org:{found.shipment.receiver}") if found.shipment else None,
        "unit_name": unit_name(lot["unit"]),
        "blocks": [
            {"kind": b.kind, "reason": b.reason, "when": format_moment(b.event_time)}
            for b in found.blocks
        ],
        "events": [_in_words(event, lot["unit"]) for event in found.events],
        "actions": actions,
        "done": ACTIONS[done].title if done in ACTIONS else None,
        "chosen": None,
        "tally_url": url_for("field_scan.scan", receive=lot["id"])
        if any(action.name == "receive" for action in actions)
        else None,
    }


def _in_words(event: CardEvent, unit: str) -> dict[str, Any]:
    """One event as the card says it: what happened, when (local time), who."""
    data = event.data
    params: dict[str, Any] = {
        key: Decimal(value)
        if key in ("quantity", "carcass_kg") and isinstance(value, str)
        else value
        for key, value in data.items()
        if isinstance(value, str | int) and not isinstance(value, bool)
    }
    params["unit"] = unit
    temperature = data.get("temperature") or {}
    params["low"], params["high"] = temperature.get("min", "?"), temperature.get("max", "?")
    template = REFUSED_RECEIPT if data.get("refused") else EVENT_WORDS.get(event.type)
    needed = {name for _, name, _, _ in Formatter().parse(template or "") if name}
    text = translate(Message(template, **params)) if template and needed <= set(params) else None
    return {
        "index": event.index,
        "what": text or translate(Message(SOME_EVENT)),
        "when": format_moment(event.event_time),
        "who": named(event.actor),
    }
