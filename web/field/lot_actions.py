"""The actions a lot card offers, each an event form (:mod:`web.field.forms`) of that lot.

An action is offered only when the signed-in role may record its event type
(:data:`ledger.supplychain.vocabulary.EVENT_TYPES`) and the lot is in a state the recording
rules accept from that organisation: its holder ships, packs, merges, stores, cools, sells or
loses it and issues its labels; the receiver named by a shipment receives it; a processor
slaughters a flock it holds. The recording service checks all of it again: the card only
leaves out what would be refused.

:func:`card_forms` makes the forms of one card: the lot is fixed, the choices come from the
organisation's own sites and lots and the products of the lot's kind, and the defaults from
the lot (the whole quantity; after a count of the cartons, what the count says arrived).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from flask_babel import gettext
from marshmallow import ValidationError

from ledger.common.messages import N_, Message
from ledger.supplychain.accounts import Principal
from ledger.supplychain.custody import ACTIVE, IN_TRANSIT, ON_HOLD, RECALLED
from ledger.supplychain.fieldwork import FieldWork, LotLine
from ledger.supplychain.lot_card import LotCard
from ledger.supplychain.vocabulary import EVENT_TYPES, MEASUREMENT_UNITS, VEHICLE_CLASSES
from schemas.typed_numbers import typed_decimal
from web.field.farm import (
    VEHICLE_NAMES,
    lot_label,
    new_lot_code,
    plausibility_confirmation,
    running_on_lot,
)
from web.field.forms import (
    EventForm,
    FormContext,
    Option,
    Parsed,
    checkbox,
    choice,
    count,
    day,
    number,
    text,
)

#: Readings separated by semicolons or blanks: ``4,5; 5; 3,8``.
_READINGS = re.compile(r"[;\s]+")
MAX_READINGS = 500
#: Who a lot is shipped to: the chain after the farm.
SHIP_TO_ROLES = ("processor", "distributor", "collector", "retailer")
RECEIVE_OUTCOMES = {
    "all": N_("All of it arrived"),
    "shortfall": N_("Less arrived than was shipped"),
    "refused": N_("Refuse the goods"),
}
STORE_DIRECTIONS = {"in": N_("Into the store"), "out": N_("Out of the store")}
LOSS_STAGES = {
    "storage": N_("In storage"),
    "transport": N_("In transport"),
    "processing": N_("In processing"),
    "retail": N_("In the shop"),
    "farm": N_("On the farm"),
}
#: How the slug of a card's form begins (``lot-ship``): the rest is the action's name.
CARD_PREFIX = "lot-"
READINGS_HELP = N_("One reading, or several separated by semicolons: 4,5; 5; 3,8")
CODE_HELP = N_("Up to 20 letters, digits or - . /")


@dataclass(frozen=True)
class Situation:
    """What an action's availability depends on: who, and the lot as it stands."""

    principal: Principal
    card: LotCard
    #: How many other lots of the product the organisation holds and may merge this one with.
    companions: int = 0

    @property
    def lot(self) -> dict[str, Any]:
        return self.card.lot

    @property
    def kind(self) -> str | None:
        kind: str | None = self.card.product.get("kind")
        return kind

    @property
    def holds(self) -> bool:
        return bool(self.lot["holder"] == self.principal.organisation)

    @property
    def here(self) -> bool:
        """Held here and not on its way or used up (it may be blocked)."""
        return self.holds and self.lot["custody"] == ACTIVE

    @property
    def movable(self) -> bool:
        """Held here, neither recalled nor on hold: it may change hands or become other lots."""
        return self.here and self.lot["status"] not in (RECALLED, ON_HOLD)

    def may(self, event_type: str) -> bool:
        return (
            self.principal.organisation is not None
            and self.principal.role in EVENT_TYPES[event_type].roles
        )


@dataclass(frozen=True)
class Action:
    name: str
    event_type: str
    title: str
    offered: Callable[[Situation], bool]


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action(
            "receive",
            "receive",
            N_("Receive this shipment"),
            lambda s: (
                s.may("receive")
                and s.lot["custody"] == IN_TRANSIT
                and s.lot["receiver"] == s.principal.organisation
            ),
        ),
        Action("ship", "ship", N_("Ship"), lambda s: s.may("ship") and s.movable),
        Action(
            "pack",
            "pack",
            N_("Pack"),
            lambda s: s.may("pack") and s.movable and s.kind != "live_chicken",
        ),
        Action(
            "merge",
            "merge",
            N_("Merge with another lot"),
            lambda s: s.may("merge") and s.movable and s.companions > 0,
        ),
        Action(
            "slaughter",
            "slaughter",
            N_("Slaughter"),
            lambda s: s.may("slaughter") and s.movable and s.kind == "live_chicken",
        ),
        Action(
            "labels",
            "label.issue",
            N_("Issue labels"),
            lambda s: s.may("label.issue") and s.movable and bool(s.lot.get("units")),
        ),
        Action("store", "store", N_("Into or out of store"), lambda s: s.may("store") and s.here),
        Action("cooling", "cooling", N_("Cooling readings"), lambda s: s.may("cooling") and s.here),
        Action("sell", "sell", N_("Sell"), lambda s: s.may("sell") and s.movable),
        Action("loss", "loss", N_("Record a loss"), lambda s: s.may("loss") and s.here),
    )
}


def offered(situation: Situation) -> list[Action]:
    """The actions the signed-in role may take on the lot as it stands, in the card's order."""
    return [action for action in ACTIONS.values() if action.offered(situation)]


# --- what several fields make together ---------------------------------------------------------


def readings(typed: str, decimal_sign: str) -> list[Decimal]:
    """Temperatures as typed (``4,5; 5; -1``), each read as a number of °C."""
    parts = [part for part in _READINGS.split(typed.strip()) if part]
    if len(parts) > MAX_READINGS:
        raise ValidationError(
            Message(N_("At most {limit} readings at a time."), limit=MAX_READINGS)
        )
    found = []
    for part in parts:
        negative = part[0] in "-−"
        value = Decimal(
            typed_decimal(
                part[1:] if negative else part,
                MEASUREMENT_UNITS["celsius"],
                decimal_sign=decimal_sign,
            )
        )
        found.append(-value if negative else value)
    return found


def _temperature(form: EventForm, parsed: Parsed, ctx: FormContext, data: dict[str, Any]) -> None:
    """``data.temperature``, the summary of the readings typed."""
    typed = parsed.values.get("readings")
    if not isinstance(typed, str) or not typed:
        return
    try:
        found = readings(typed, ctx.decimal_sign)
    except ValidationError as error:
        for message in error.messages if isinstance(error.messages, list) else [error.messages]:
            parsed.add(
                "readings", message if isinstance(message, Message) else Message(str(message))
            )
        return
    mean = (sum(found, Decimal(0)) / len(found)).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    data["temperature"] = {
        "min": str(min(found)),
        "max": str(max(found)),
        "mean": format(mean.normalize(), "f"),
        "count": len(found),
    }


def _readings(label: str = N_("Temperature (°C)"), required: bool = False) -> Any:
    return text("readings", label, target="", required=required, help=READINGS_HELP)


def _options(names: dict[str, str]) -> Callable[[FormContext], list[Option]]:
    return lambda ctx: [Option(code, gettext(name)) for code, name in names.items()]


def _sites(kinds: tuple[str, ...]) -> Callable[[FormContext], list[Option]]:
    return lambda ctx: [Option(s.gln, s.name) for s in ctx.fieldwork.sites(ctx.organisation, kinds)]


def _products(kind: str | None) -> Callable[[FormContext], list[Option]]:
    return lambda ctx: [
        Option(p.gtin, p.name(ctx.language), p.unit) for p in ctx.fieldwork.products((kind or "",))
    ]


def _as_typed(canonical: str) -> Callable[[FormContext], str]:
    """A canonical decimal as a person of the form's language types it (``1,5`` in Vietnamese)."""
    return lambda ctx: canonical.replace(".", ctx.decimal_sign)


def _receivers(ctx: FormContext) -> list[Option]:
    return [
        Option(p.gln, p.name)
        for p in ctx.fieldwork.parties(SHIP_TO_ROLES, exclude=ctx.organisation)
    ]


def _new_lot(source: str, code: str, into: str) -> Callable[..., None]:
    """An assemble hook: ``data[into]`` is the lot of the product chosen in ``source`` (a
    GTIN field) with the code typed in ``code``."""

    def assemble(form: EventForm, parsed: Parsed, ctx: FormContext, data: dict[str, Any]) -> None:
        gtin, typed = parsed.values.get(source), parsed.values.get(code)
        new = f"lot:{gtin}/{typed}" if gtin and typed else None
        if into == "outputs":
            # The fields fill ``outputs.0.…`` as an object; a pack's outputs are a list.
            output = dict(data.pop("outputs", {}).get("0", {}))
            if new:
                output["lot"] = new
            data["outputs"] = [output]
        elif new:
            data[into] = new

    return assemble


def _all(*hooks: Callable[..., None]) -> Callable[..., None]:
    def assemble(form: EventForm, parsed: Parsed, ctx: FormContext, data: dict[str, Any]) -> None:
        for hook in hooks:
            hook(form, parsed, ctx, data)

    return assemble


def companions(fieldwork: FieldWork, organisation: str, card: LotCard) -> list[LotLine]:
    """The organisation's other lots of the card's product, in stock: what it may merge with."""
    return [
        line
        for line in fieldwork.held_lots(organisation)
        if line.gtin == card.product["gtin"] and line.id != card.lot["id"] and line.status == ACTIVE
    ]


# --- the forms of one card ---------------------------------------------------------------------


def card_forms(card: LotCard, counted: int | None = None) -> dict[str, EventForm]:
    """Every action's form for ``card`` (the card shows those :func:`offered` allows).

    ``counted``: the cartons a continuous scan counted; the receive form then defaults to what
    they say arrived."""
    return {
        "receive": _receive_form(card, counted),
        "ship": _ship_form(card),
        "pack": _pack_form(card),
        "merge": _merge_form(card),
        "slaughter": _slaughter_form(card),
        **_holder_forms(card),
    }


def _form(card: LotCard, name: str, fields: tuple[Any, ...], **kwargs: Any) -> EventForm:
    """The form of action ``name`` on the card's lot (``fixed`` defaults to the lot)."""
    action = ACTIONS[name]
    fixed = kwargs.pop("fixed", {"lot": card.lot["id"]})
    return EventForm(
        f"{CARD_PREFIX}{name}", action.event_type, action.title, fields, fixed=fixed, **kwargs
    )


def _receive_form(card: LotCard, counted: int | None) -> EventForm:
    unit, quantity = card.lot["unit"], str(card.lot["quantity"])
    outcome, received = _counted(card, counted)
    return _form(
        card,
        "receive",
        (
            choice(
                "outcome",
                N_("What arrived"),
                _options(RECEIVE_OUTCOMES),
                target="",
                default=outcome,
            ),
            number(
                "quantity",
                N_("Quantity received"),
                unit=unit,
                required=False,
                default=_as_typed(received),
                help=N_("Only for a shortfall."),
            ),
            text(
                "shortfall_reason",
                N_("Reason for the shortfall"),
                multiline=True,
                required=False,
            ),
            text("refusal_reason", N_("Reason for refusing"), multiline=True, required=False),
            _readings(),
        ),
        assemble=_all(_temperature, _receive_outcome(quantity)),
        errors_to={"refused": "outcome"},
    )


def _ship_form(card: LotCard) -> EventForm:
    lot_id, unit, quantity = card.lot["id"], card.lot["unit"], str(card.lot["quantity"])
    return _form(
        card,
        "ship",
        (
            choice("receiver", N_("Receiver"), _receivers),
            number("quantity", N_("Quantity"), unit=unit, default=_as_typed(quantity)),
            choice(
                "vehicle_class",
                N_("Vehicle"),
                _options({v: VEHICLE_NAMES[v] for v in VEHICLE_CLASSES}),
            ),
            text("transport_document", N_("Waybill or number plate")),
            number("distance_km", N_("Distance"), unit="km"),
            checkbox("refrigerated", N_("Refrigerated")),
            text(
                "sscc",
                N_("Pallet SSCC (18 digits)"),
                required=False,
                help=N_("Leave empty when the goods travel without a pallet label."),
            ),
            _readings(),
        ),
        fixed={"lot": lot_id, "data_source": "measured"},
        assemble=_temperature,
        errors_to={"temperature": "readings"},
    )


def _pack_form(card: LotCard) -> EventForm:
    lot_id, unit = card.lot["id"], card.lot["unit"]
    return _form(
        card,
        "pack",
        (
            choice(
                "output_gtin",
                N_("Packed product"),
                _products(card.product.get("kind")),
                target="",
            ),
            text(
                "output_code",
                N_("Code of the packed lot"),
                target="",
                default=new_lot_code,
                help=CODE_HELP,
            ),
            number("quantity", N_("Quantity packed"), unit=unit, target="outputs.0.quantity"),
            count(
                "units",
                N_("Number of boxes"),
                unit="box",
                target="outputs.0.units",
                required=False,
            ),
            day("best_before", N_("Best before"), target="outputs.0.best_before", required=False),
            number("waste", N_("Waste"), unit=unit, required=False),
        ),
        fixed={"input": lot_id},
        assemble=_new_lot("output_gtin", "output_code", "outputs"),
        errors_to={
            "outputs.0.lot": "output_code",
            "outputs": "output_code",
            "input": "quantity",
        },
    )


def _merge_form(card: LotCard) -> EventForm:
    lot_id, quantity, gtin = card.lot["id"], str(card.lot["quantity"]), card.product["gtin"]

    def mergeable(ctx: FormContext) -> list[Option]:
        return [
            Option(line.id, lot_label(line, ctx.language), line.unit)
            for line in companions(ctx.fieldwork, ctx.organisation, card)
        ]

    def merge_inputs(
        form_: EventForm, parsed: Parsed, ctx: FormContext, data: dict[str, Any]
    ) -> None:
        other = parsed.values.get("with")
        found = next(
            (line for line in ctx.fieldwork.held_lots(ctx.organisation) if line.id == other), None
        )
        data["inputs"] = [{"lot": lot_id, "quantity": quantity}]
        if found is not None:
            data["inputs"].append({"lot": found.id, "quantity": found.quantity})
        code = parsed.values.get("output_code")
        if code:
            data["output"] = f"lot:{gtin}/{code}"

    return _form(
        card,
        "merge",
        (
            choice("with", N_("Merge with"), mergeable, target=""),
            text(
                "output_code",
                N_("Code of the merged lot"),
                target="",
                default=new_lot_code,
                help=CODE_HELP,
            ),
        ),
        fixed={},
        assemble=merge_inputs,
        errors_to={"inputs": "with", "output": "output_code"},
    )


def _slaughter_form(card: LotCard) -> EventForm:
    lot_id = card.lot["id"]
    return _form(
        card,
        "slaughter",
        (
            count("head_count", N_("Birds slaughtered")),
            choice("carcass_gtin", N_("Carcass product"), _products("chicken_carcass"), target=""),
            text(
                "output_code",
                N_("Code of the carcass lot"),
                target="",
                default=new_lot_code,
                help=CODE_HELP,
            ),
            number("carcass_kg", N_("Carcass weight"), unit="kg"),
            choice("site", N_("Slaughterhouse"), _sites(("slaughterhouse",)), required=False),
            plausibility_confirmation(),
        ),
        fixed={"flock": lot_id},
        assemble=_new_lot("carcass_gtin", "output_code", "lot"),
        notices=running_on_lot(lot_id),
        errors_to={"lot": "output_code", "flock": "head_count"},
    )


def _holder_forms(card: LotCard) -> dict[str, EventForm]:
    """The forms that observe or use up the lot where it is: labels, store, cooling, sale, loss."""
    lot, unit = card.lot, card.lot["unit"]
    return {
        "labels": _form(
            card,
            "labels",
            (
                count(
                    "count", N_("Labels to issue"), unit="box", default=str(lot.get("units") or "")
                ),
            ),
        ),
        "store": _form(
            card,
            "store",
            (
                choice("direction", N_("Movement"), _options(STORE_DIRECTIONS), default="in"),
                choice("site", N_("Store"), _sites(())),
                _readings(),
            ),
            assemble=_temperature,
            errors_to={"temperature": "readings"},
        ),
        "cooling": _form(
            card,
            "cooling",
            (
                choice("site", N_("Where"), _sites(()), required=False),
                _readings(N_("Temperature readings (°C)"), True),
            ),
            assemble=_temperature,
            errors_to={"temperature": "readings"},
        ),
        "sell": _form(card, "sell", (number("quantity", N_("Quantity sold"), unit=unit),)),
        "loss": _form(
            card,
            "loss",
            (
                number("quantity", N_("Quantity lost"), unit=unit),
                choice("stage", N_("Where it was lost"), _options(LOSS_STAGES)),
                text("reason", N_("What happened"), multiline=True),
            ),
        ),
    }


def _receive_outcome(shipped: str) -> Callable[..., None]:
    """All of it (the quantity shipped), a shortfall (the quantity typed and its reason), or a
    refusal (no quantity, its reason): the three receipts the ledger takes."""

    def assemble(form: EventForm, parsed: Parsed, ctx: FormContext, data: dict[str, Any]) -> None:
        outcome = parsed.values.get("outcome")
        if outcome == "refused":
            data.pop("quantity", None)
            data.pop("shortfall_reason", None)
            data["refused"] = True
        elif outcome == "shortfall":
            data.pop("refusal_reason", None)
            if "quantity" not in data:
                parsed.add("quantity", Message(N_("Type the quantity that arrived.")))
        else:
            data.pop("refusal_reason", None)
            data.pop("shortfall_reason", None)
            data["quantity"] = shipped

    return assemble


def _counted(card: LotCard, counted: int | None) -> tuple[str, str]:
    """The receive form's outcome and quantity after a count of the cartons: all of it when
    every unit shipped was counted, else the share of the units counted (when exact)."""
    shipment = card.shipment
    if counted is None or shipment is None or not shipment.units:
        return "all", ""
    if counted >= shipment.units:
        return "all", ""
    received = shipment.quantity * counted / shipment.units
    if received != received.quantize(Decimal("0.001")):
        return "shortfall", ""
    return "shortfall", format(received.normalize(), "f") if received else "0"
