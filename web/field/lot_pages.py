"""The lot card: what a scan opens, and the actions the signed-in role may take on the lot.

``GET /field/lots/<lot>`` shows the product and holder by name, the quantity available, the
status (a recall or hold in red, with its reason), the latest events in words, and one form per
action of :mod:`web.field.lot_actions` the role may take; ``POST`` to the same address records
one of them (the form's ``action`` says which). ``<lot>`` is the lot's id (``lot:<GTIN>/<code>``)
or ``<GTIN>/<code>``. A refused form is shown again with each message on its field and nothing
recorded; a recorded one returns to the card (the new lot's, after a pack, merge or slaughter).
"""

from __future__ import annotations

from decimal import Decimal
from string import Formatter
from typing import Any

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import get_locale, get_translations
from marshmallow import ValidationError

from ledger.common.errors import InvalidInputError, LedgerError
from ledger.common.messages import N_, Message
from ledger.supplychain.accounts import Principal
from ledger.supplychain.errors import ForbiddenError
from ledger.supplychain.lot_card import (
    CardEvent,
    LotCard,
    held_lots,
    lot_card,
    organisations,
    own_sites,
    products,
)
from ledger.supplychain.vocabulary import LOCATION_KINDS, MEASUREMENT_UNITS, PRODUCTION_LOCATIONS
from schemas.events import load_command
from schemas.fields import check_subject_id
from web.account_pages import form_csrf_ok
from web.field.lot_actions import ACTIONS, Action, Field, Situation, offered, read_values
from web.field.scan import local_now, sign_in_first, signed_in
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
}
REFUSED_RECEIPT = N_("Refused and returned: {refusal_reason}")


def lot_id_of(value: str) -> str:
    """The lot id of a path or form value: ``lot:<GTIN>/<code>`` or ``<GTIN>/<code>``."""
    text = value if value.startswith("lot:") else f"lot:{value}"
    return check_subject_id(text)


def _decimal_sign() -> str:
    return "." if str(get_locale() or "vi") == "en" else ","


def _situation(principal: Principal, card: LotCard) -> Situation:
    engine = services().log.engine
    organisation = principal.organisation
    english = str(get_locale() or "vi") == "en"
    if organisation is None:
        return Situation(principal, card)
    others = [
        (gln, name or translate(Message(N_("a household farm ({gln})"), gln=gln), names=False))
        for gln, name in organisations(engine, principal)
        if gln != organisation
    ]
    today = local_now().date().isoformat()
    mergeable = [
        (lot["id"], named(lot["id"]), str(lot["quantity"]))
        for lot in held_lots(engine, organisation, card.product["gtin"], today)
        if lot["id"] != card.lot["id"]
    ]
    kinds = tuple(kind for kind in LOCATION_KINDS if kind not in PRODUCTION_LOCATIONS)
    return Situation(
        principal,
        card,
        organisations=others,
        sites=own_sites(engine, organisation, kinds),
        products=[(g, en if english else vi, k) for g, vi, en, k in products(engine)],
        mergeable=mergeable,
    )


@bp.get("/lots/<path:lot>")
def card(lot: str) -> Any:
    principal = signed_in()
    if principal is None:
        return sign_in_first()
    return _render(principal, lot_id_of(lot))


@bp.post("/lots/<path:lot>")
def act(lot: str) -> Any:
    """Record one action of the card; refused, the card again with the form's messages."""
    principal = signed_in()
    if principal is None:
        return sign_in_first()
    if not form_csrf_ok():
        raise ForbiddenError(N_("The form has expired; open the page again."))
    lot_id = lot_id_of(lot)
    card = lot_card(services().log, lot_id, local_now().date().isoformat())
    situation = _situation(principal, card)
    action = ACTIONS.get(request.form.get("action", ""))
    if action is None or action not in offered(situation):
        raise ForbiddenError(N_("This action is not open to you on lot {lot}."), lot=lot_id)
    fields = action.fields(situation)
    values, errors = read_values(fields, request.form, _decimal_sign())
    problem: Any = None
    if not errors:
        try:
            created = _record(principal, situation, action, values)
        except _Refused as refused:
            errors, problem = refused.errors, refused.problem
        else:
            return redirect(url_for("field_lots.card", lot=created, done=action.name), 303)
    return _render(
        principal,
        lot_id,
        failed=(action.name, _by_field(errors, fields), problem, request.form),
        status=422,
    )


class _Refused(Exception):
    def __init__(self, errors: dict[str, Any], problem: Any) -> None:
        super().__init__()
        self.errors, self.problem = errors, problem


def _record(
    principal: Principal, situation: Situation, action: Action, values: dict[str, Any]
) -> str:
    """Record the action's command; the lot whose card comes next (the new one, if any)."""
    raw = {
        "type": action.event_type,
        "event_time": local_now().isoformat(timespec="milliseconds"),
        "data": action.build(situation, values),
    }
    recorder = services().recorder
    try:
        recorded = recorder.record(principal, load_command(raw))
        follow = situation.lot["id"]
        created = [lot for lot in recorded.lots if lot != situation.lot["id"]]
        if created and action.name != "ship":
            follow = created[0]
        if action.name == "pack" and values.get("issue_labels") and values.get("outputs.0.units"):
            issue = {"lot": follow, "count": values["outputs.0.units"]}
            recorder.record(principal, load_command({**raw, "type": "label.issue", "data": issue}))
        return follow
    except ValidationError as error:
        messages: Any = error.messages
        tree = messages.get("data", messages) if isinstance(messages, dict) else {"$": messages}
        raise _Refused(tree if isinstance(tree, dict) else {"$": tree}, None) from None
    except InvalidInputError as error:
        tree = error.errors.get("data", error.errors)
        raise _Refused(tree if isinstance(tree, dict) else {}, error.message) from None
    except LedgerError as error:
        raise _Refused({}, error.message) from None


def _flatten(tree: Any, prefix: str = "") -> dict[str, list[Any]]:
    if isinstance(tree, dict):
        found: dict[str, list[Any]] = {}
        for key, value in tree.items():
            for path, messages in _flatten(
                value, f"{prefix}.{key}" if prefix else str(key)
            ).items():
                found.setdefault(path, []).extend(messages)
        return found
    return {prefix: list(tree) if isinstance(tree, list | tuple) else [tree]}


def _by_field(errors: dict[str, Any], fields: list[Any]) -> dict[str, list[str]]:
    """Each message on the field whose data path it names; the others under ``$``."""
    shown: dict[str, list[str]] = {}
    names = [item.name for item in fields]
    for path, messages in _flatten(errors).items():
        target = next(
            (
                name
                for name in names
                if path == name or path.startswith(f"{name}.") or _alias(path) == name
            ),
            "$",
        )
        shown.setdefault(target, []).extend(str(m) for m in translate(messages))
    return shown


def _alias(path: str) -> str:
    """The form field a data path comes from where they are named apart (the output lots)."""
    return {
        "outputs.0.lot": "output_code",
        "output": "output_code",
        "lot": "output_code",
        "inputs.1.lot": "with",
        "inputs": "with",
        "flock": "head_count",
    }.get(path, path)


def _render(principal: Principal, lot_id: str, failed: Any = None, status: int = 200) -> Any:
    card = lot_card(services().log, lot_id, local_now().date().isoformat())
    situation = _situation(principal, card)
    actions = offered(situation)
    done = ACTIONS.get(request.args.get("done", ""))
    return (
        render_template(
            "field/lot_card.html",
            card=card,
            lot_name=named(card.lot["id"]),
            product_name=card.product["name_en" if _decimal_sign() == "." else "name_vi"],
            holder=named(f"org:{card.lot['holder']}"),
            receiver=named(f"org:{card.shipment.receiver}") if card.shipment else None,
            unit_name=_unit_name(card.lot["unit"]),
            blocks=[
                {"kind": b.kind, "reason": b.reason, "when": format_moment(b.event_time)}
                for b in card.blocks
            ],
            events=[_in_words(event, card.lot["unit"]) for event in card.events],
            actions=[
                (
                    action,
                    _words(action.title),
                    [_bound(action, f) for f in action.fields(situation)],
                )
                for action in actions
            ],
            failed=failed,
            prefill=_tally_prefill(card, request.args.get("counted", "")),
            done=_words(done.title) if done else None,
            csrf=session.get("csrf", ""),
            tally_url=url_for("field_scan.scan", receive=card.lot["id"])
            if any(action.name == "receive" for action in actions)
            else None,
        ),
        status,
    )


def _words(msgid: str) -> str:
    """A msgid of this module's lists in the reader's language, as plain (escaped) text."""
    return str(get_translations().gettext(msgid))


def _unit_name(code: str | None) -> str:
    unit = MEASUREMENT_UNITS.get(code or "")
    return _words(unit.name) if unit else (code or "")


def _bound(action: Action, item: Field) -> dict[str, Any]:
    """A field as the template shows it: its words translated, its id on the page."""
    return {
        "id": f"{action.name}-{item.name.replace('.', '-')}",
        "name": item.name,
        "kind": item.kind,
        "label": _words(item.label),
        "unit": _unit_name(item.unit) if item.unit else None,
        "required": item.required,
        "choices": [(value, _words(label)) for value, label in item.choices],
        "hint": _words(item.hint) if item.hint else None,
        "default": item.default,
    }


def _tally_prefill(card: LotCard, counted: str) -> dict[str, str] | None:
    """The receive form as a finished count leaves it: all of it when every unit was counted,
    else a shortfall of the units missing (in the lot's unit, when one unit's share is exact)."""
    shipment = card.shipment
    if shipment is None or not counted.isdigit() or len(counted) > 9 or not shipment.units:
        return None
    count = int(counted)
    if count >= shipment.units:
        return {"outcome": "all"}
    received = shipment.quantity * count / shipment.units
    shown = (
        format(received.normalize(), "f") if received == received.quantize(Decimal("0.001")) else ""
    )
    if _decimal_sign() == ",":
        shown = shown.replace(".", ",")
    return {"outcome": "shortfall", "quantity": shown}


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
        "what": text or translate(Message(N_("Event {type}"), type=event.type)),
        "when": format_moment(event.event_time),
        "who": named(event.actor),
    }
