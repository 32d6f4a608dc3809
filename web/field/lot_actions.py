"""The actions a lot card offers, each a form that becomes one ledger command.

An action is offered only when the signed-in role may record its event type
(:data:`ledger.supplychain.vocabulary.EVENT_TYPES`) and the lot is in a state the recording
rules accept from that organisation: its holder ships, packs, merges, stores, sells or loses
it; the receiver named by a shipment receives it; a processor slaughters a flock it holds. The
recording service checks all of it again: the card only leaves out what would be refused.

Each form's fields are named by the path of the ``data`` value they fill, so a refusal of the
schema or of the recording rules lands on the field it names. Numbers are read as people type
them (:func:`schemas.typed_numbers.typed_decimal`), choices come from the ledger's own lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from marshmallow import ValidationError

from ledger.common.messages import N_, Message
from ledger.supplychain.accounts import Principal
from ledger.supplychain.custody import ACTIVE, IN_TRANSIT, ON_HOLD, RECALLED
from ledger.supplychain.lot_card import STORAGE_KINDS, LotCard
from ledger.supplychain.vocabulary import EVENT_TYPES, MEASUREMENT_UNITS, VEHICLE_CLASSES

#: One reading or several, separated by semicolons or spaces: ``4,5; 5; 3,8``.
_READINGS = re.compile(r"[;\s]+")
MAX_READINGS = 500


@dataclass(frozen=True)
class Field:
    """One input of an action's form."""

    name: str
    label: str
    #: text, textarea, number (a decimal in ``unit``), count (a whole number), select, radio,
    #: checkbox, readings (temperatures), date.
    kind: str = "text"
    unit: str | None = None
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    default: str = ""
    hint: str | None = None


@dataclass(frozen=True)
class Situation:
    """What an action's availability and choices depend on."""

    principal: Principal
    card: LotCard
    organisations: list[tuple[str, str]] = field(default_factory=list)
    #: The organisation's sites: ``(GLN, name, kind)``.
    sites: list[tuple[str, str, str]] = field(default_factory=list)
    #: Every product: ``(GTIN, name, kind)``.
    products: list[tuple[str, str, str]] = field(default_factory=list)
    #: Other lots of the product held here: ``(lot id, name, quantity)``.
    mergeable: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def lot(self) -> dict[str, Any]:
        return self.card.lot

    def products_of(self, kind: str | None) -> tuple[tuple[str, str], ...]:
        return tuple((gtin, name) for gtin, name, of in self.products if of == kind)

    def sites_of(self, *kinds: str) -> tuple[tuple[str, str], ...]:
        return tuple((gln, name) for gln, name, of in self.sites if of in kinds)

    @property
    def holds(self) -> bool:
        return self.lot["holder"] == self.principal.organisation

    @property
    def movable(self) -> bool:
        """Held here, not on its way, not used up, neither recalled nor on hold."""
        return (
            self.holds
            and self.lot["custody"] == ACTIVE
            and self.lot["status"]
            not in (
                RECALLED,
                ON_HOLD,
            )
        )


@dataclass(frozen=True)
class Action:
    name: str
    event_type: str
    title: str
    offered: Callable[[Situation], bool]
    fields: Callable[[Situation], list[Field]]
    #: The form's values (numbers already canonical) as the event's ``data``.
    build: Callable[[Situation, dict[str, Any]], dict[str, Any]]


def _may(situation: Situation, event_type: str) -> bool:
    return (
        situation.principal.organisation is not None
        and situation.principal.role in EVENT_TYPES[event_type].roles
    )


def _temperature(values: dict[str, Any], name: str = "temperature") -> dict[str, Any]:
    readings: list[Decimal] | None = values.get(name)
    if not readings:
        return {}
    mean = (sum(readings, Decimal(0)) / len(readings)).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    return {
        "temperature": {
            "min": str(min(readings)),
            "max": str(max(readings)),
            "mean": format(mean.normalize(), "f"),
            "count": len(readings),
        }
    }


def _lot_in(situation: Situation, code: str) -> str:
    return f"lot:{situation.card.product['gtin']}/{code}"


def _present(values: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: values[name] for name in names if values.get(name) not in (None, "")}


# --- the forms ---------------------------------------------------------------------------------

_CODE_HINT = N_("Up to 20 letters, digits or - . /")
_TEMPERATURE = Field(
    "temperature",
    N_("Temperature (°C)"),
    "readings",
    hint=N_("One reading, or several separated by semicolons: 4,5; 5; 3,8"),
)


def _ship_fields(situation: Situation) -> list[Field]:
    return [
        Field(
            "receiver",
            N_("Receiver"),
            "select",
            required=True,
            choices=tuple(situation.organisations),
        ),
        Field(
            "quantity",
            N_("Quantity"),
            "number",
            situation.lot["unit"],
            True,
            default=str(situation.lot["quantity"]),
        ),
        Field(
            "vehicle_class",
            N_("Vehicle"),
            "select",
            required=True,
            choices=tuple((v, VEHICLE_NAMES[v]) for v in VEHICLE_CLASSES),
        ),
        Field("transport_document", N_("Waybill or number plate"), required=True),
        Field("distance_km", N_("Distance"), "number", "km", True),
        Field("refrigerated", N_("Refrigerated"), "checkbox"),
        Field(
            "sscc",
            N_("Pallet SSCC (18 digits)"),
            hint=N_("Leave empty when the goods travel without a pallet label."),
        ),
        _TEMPERATURE,
    ]


def _ship(situation: Situation, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "lot": situation.lot["id"],
        **_present(
            values,
            "receiver",
            "quantity",
            "vehicle_class",
            "transport_document",
            "distance_km",
            "sscc",
        ),
        "refrigerated": bool(values.get("refrigerated")),
        "data_source": "measured",
        **_temperature(values),
    }


RECEIVE_OUTCOMES = (
    ("all", N_("All of it arrived")),
    ("shortfall", N_("Less arrived than was shipped")),
    ("refused", N_("Refuse the goods")),
)


def _receive_fields(situation: Situation) -> list[Field]:
    return [
        Field(
            "outcome",
            N_("What arrived"),
            "radio",
            required=True,
            choices=RECEIVE_OUTCOMES,
            default="all",
        ),
        Field(
            "quantity",
            N_("Quantity received"),
            "number",
            situation.lot["unit"],
            hint=N_("Only for a shortfall."),
        ),
        Field("shortfall_reason", N_("Reason for the shortfall"), "textarea"),
        Field("refusal_reason", N_("Reason for refusing"), "textarea"),
        _TEMPERATURE,
    ]


def _receive(situation: Situation, values: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"lot": situation.lot["id"], **_temperature(values)}
    outcome = values.get("outcome")
    if outcome == "refused":
        return {**data, "refused": True, **_present(values, "refusal_reason")}
    if outcome == "shortfall":
        return {**data, **_present(values, "quantity", "shortfall_reason")}
    return {**data, "quantity": str(situation.lot["quantity"])}


def _pack_fields(situation: Situation) -> list[Field]:
    return [
        Field(
            "output_gtin",
            N_("Packed product"),
            "select",
            required=True,
            choices=situation.products_of(_kind(situation)),
        ),
        Field("output_code", N_("Code of the packed lot"), required=True, hint=_CODE_HINT),
        Field("outputs.0.quantity", N_("Quantity packed"), "number", situation.lot["unit"], True),
        Field("outputs.0.units", N_("Number of boxes"), "count"),
        Field("outputs.0.best_before", N_("Best before"), "date"),
        Field("waste", N_("Waste"), "number", situation.lot["unit"]),
        Field("issue_labels", N_("Issue a label for each box"), "checkbox", default="on"),
    ]


def _pack(situation: Situation, values: dict[str, Any]) -> dict[str, Any]:
    output = {
        "lot": f"lot:{values.get('output_gtin', '')}/{values.get('output_code', '')}",
        **{
            key.removeprefix("outputs.0."): value
            for key, value in _present(
                values, "outputs.0.quantity", "outputs.0.units", "outputs.0.best_before"
            ).items()
        },
    }
    return {"input": situation.lot["id"], "outputs": [output], **_present(values, "waste")}


def _merge_fields(situation: Situation) -> list[Field]:
    return [
        Field(
            "with",
            N_("Merge with"),
            "select",
            required=True,
            choices=tuple((lot, name) for lot, name, _ in situation.mergeable),
        ),
        Field("output_code", N_("Code of the merged lot"), required=True, hint=_CODE_HINT),
    ]


def _merge(situation: Situation, values: dict[str, Any]) -> dict[str, Any]:
    other = values.get("with", "")
    quantities = {lot: quantity for lot, _, quantity in situation.mergeable}
    return {
        "inputs": [
            {"lot": situation.lot["id"], "quantity": str(situation.lot["quantity"])},
            # A lot not on the list is refused by the schema or the rules, on this field.
            {"lot": other, "quantity": quantities.get(other, "0")},
        ],
        "output": _lot_in(situation, values.get("output_code", "")),
    }


def _slaughter_fields(situation: Situation) -> list[Field]:
    return [
        Field("head_count", N_("Birds slaughtered"), "count", required=True),
        Field(
            "carcass_gtin",
            N_("Carcass product"),
            "select",
            required=True,
            choices=situation.products_of("chicken_carcass"),
        ),
        Field("output_code", N_("Code of the carcass lot"), required=True, hint=_CODE_HINT),
        Field("carcass_kg", N_("Carcass weight"), "number", "kg", True),
        Field("site", N_("Slaughterhouse"), "select", choices=situation.sites_of("slaughterhouse")),
    ]


def _slaughter(situation: Situation, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "flock": situation.lot["id"],
        "lot": f"lot:{values.get('carcass_gtin', '')}/{values.get('output_code', '')}",
        **_present(values, "head_count", "carcass_kg", "site"),
    }


STORE_DIRECTIONS = (("in", N_("Into the store")), ("out", N_("Out of the store")))


def _store_fields(situation: Situation) -> list[Field]:
    return [
        Field(
            "direction",
            N_("Movement"),
            "radio",
            required=True,
            choices=STORE_DIRECTIONS,
            default="in",
        ),
        Field(
            "site", N_("Store"), "select", required=True, choices=situation.sites_of(*STORAGE_KINDS)
        ),
        _TEMPERATURE,
    ]


def _store(situation: Situation, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "lot": situation.lot["id"],
        **_present(values, "direction", "site"),
        **_temperature(values),
    }


def _cooling_fields(situation: Situation) -> list[Field]:
    return [
        Field("site", N_("Where"), "select", choices=situation.sites_of(*STORAGE_KINDS)),
        Field(
            "temperature",
            N_("Temperature readings (°C)"),
            "readings",
            required=True,
            hint=N_("One reading, or several separated by semicolons: 4,5; 5; 3,8"),
        ),
    ]


def _cooling(situation: Situation, values: dict[str, Any]) -> dict[str, Any]:
    return {"lot": situation.lot["id"], **_present(values, "site"), **_temperature(values)}


def _sell_fields(situation: Situation) -> list[Field]:
    return [Field("quantity", N_("Quantity sold"), "number", situation.lot["unit"], True)]


def _sell(situation: Situation, values: dict[str, Any]) -> dict[str, Any]:
    return {"lot": situation.lot["id"], **_present(values, "quantity")}


LOSS_STAGES = (
    ("storage", N_("In storage")),
    ("transport", N_("In transport")),
    ("processing", N_("In processing")),
    ("retail", N_("In the shop")),
    ("farm", N_("On the farm")),
)


def _loss_fields(situation: Situation) -> list[Field]:
    return [
        Field("quantity", N_("Quantity lost"), "number", situation.lot["unit"], True),
        Field("stage", N_("Where it was lost"), "select", required=True, choices=LOSS_STAGES),
        Field("reason", N_("What happened"), "textarea", required=True),
    ]


def _loss(situation: Situation, values: dict[str, Any]) -> dict[str, Any]:
    return {"lot": situation.lot["id"], **_present(values, "quantity", "stage", "reason")}


def _label_fields(situation: Situation) -> list[Field]:
    units = situation.lot.get("units")
    return [Field("count", N_("Labels to issue"), "count", required=True, default=str(units or ""))]


def _labels(situation: Situation, values: dict[str, Any]) -> dict[str, Any]:
    return {"lot": situation.lot["id"], **_present(values, "count")}


def _kind(situation: Situation) -> str | None:
    kind: str | None = situation.card.product.get("kind")
    return kind


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action(
            "receive",
            "receive",
            N_("Receive this shipment"),
            lambda s: (
                _may(s, "receive")
                and s.lot["custody"] == IN_TRANSIT
                and s.lot["receiver"] == s.principal.organisation
            ),
            _receive_fields,
            _receive,
        ),
        Action(
            "ship", "ship", N_("Ship"), lambda s: _may(s, "ship") and s.movable, _ship_fields, _ship
        ),
        Action(
            "pack",
            "pack",
            N_("Pack"),
            lambda s: _may(s, "pack") and s.movable and _kind(s) != "live_chicken",
            _pack_fields,
            _pack,
        ),
        Action(
            "merge",
            "merge",
            N_("Merge with another lot"),
            lambda s: _may(s, "merge") and s.movable and bool(s.mergeable),
            _merge_fields,
            _merge,
        ),
        Action(
            "slaughter",
            "slaughter",
            N_("Slaughter"),
            lambda s: _may(s, "slaughter") and s.movable and _kind(s) == "live_chicken",
            _slaughter_fields,
            _slaughter,
        ),
        Action(
            "store",
            "store",
            N_("Into or out of store"),
            lambda s: (
                _may(s, "store")
                and s.holds
                and s.lot["custody"] == ACTIVE
                and bool(s.sites_of(*STORAGE_KINDS))
            ),
            _store_fields,
            _store,
        ),
        Action(
            "cooling",
            "cooling",
            N_("Cooling readings"),
            lambda s: _may(s, "cooling") and s.holds and s.lot["custody"] == ACTIVE,
            _cooling_fields,
            _cooling,
        ),
        Action(
            "sell", "sell", N_("Sell"), lambda s: _may(s, "sell") and s.movable, _sell_fields, _sell
        ),
        Action(
            "loss",
            "loss",
            N_("Record a loss"),
            lambda s: _may(s, "loss") and s.holds and s.lot["custody"] == ACTIVE,
            _loss_fields,
            _loss,
        ),
        Action(
            "labels",
            "label.issue",
            N_("Issue labels"),
            lambda s: _may(s, "label.issue") and s.movable and bool(s.lot.get("units")),
            _label_fields,
            _labels,
        ),
    )
}
VEHICLE_NAMES = {
    "motorbike": N_("Motorbike"),
    "van": N_("Van"),
    "rigid_truck": N_("Truck"),
    "refrigerated_truck": N_("Refrigerated truck"),
}


def offered(situation: Situation) -> list[Action]:
    """The actions the signed-in role may take on the lot as it stands, in the card's order."""
    return [action for action in ACTIONS.values() if action.offered(situation)]


# --- reading a submitted form ------------------------------------------------------------------


def read_values(
    fields_: list[Field], form: Any, decimal_sign: str
) -> tuple[dict[str, Any], dict[str, list[Message]]]:
    """The form's values by field, numbers and readings read as typed; the fields' errors."""
    from schemas.typed_numbers import typed_decimal

    values: dict[str, Any] = {}
    errors: dict[str, list[Message]] = {}
    for item in fields_:
        raw = form.get(item.name, "")
        if not isinstance(raw, str):
            raw = ""
        text = raw.strip()
        try:
            if item.kind == "checkbox":
                values[item.name] = bool(text)
            elif not text:
                if item.required:
                    raise ValidationError(Message(N_("Fill in this field.")))
                values[item.name] = None
            elif item.kind == "number":
                values[item.name] = typed_decimal(
                    text, MEASUREMENT_UNITS.get(item.unit or ""), decimal_sign=decimal_sign
                )
            elif item.kind == "count":
                values[item.name] = _whole_number(text)
            elif item.kind == "readings":
                values[item.name] = _readings(text, decimal_sign)
            elif item.choices and text not in {value for value, _ in item.choices}:
                raise ValidationError(Message(N_("Choose one of the options.")))
            else:
                values[item.name] = raw
        except ValidationError as error:
            errors[item.name] = _messages(error)
    return values, errors


def _messages(error: ValidationError) -> list[Message]:
    found = error.messages if isinstance(error.messages, list) else [error.messages]
    return [m if isinstance(m, Message) else Message(str(m)) for m in found]


def _whole_number(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,9}", text):
        raise ValidationError(
            Message(N_("{value} is not a whole number: type digits only, such as 12."), value=text)
        )
    return int(text)


def _readings(text: str, decimal_sign: str) -> list[Decimal]:
    from schemas.typed_numbers import typed_decimal

    parts = [part for part in _READINGS.split(text) if part]
    if len(parts) > MAX_READINGS:
        raise ValidationError(
            Message(N_("At most {limit} readings at a time."), limit=MAX_READINGS)
        )
    readings = []
    for part in parts:
        negative = part.startswith(("-", "−"))
        number = Decimal(
            typed_decimal(
                part.lstrip("-−"), MEASUREMENT_UNITS["celsius"], decimal_sign=decimal_sign
            )
        )
        readings.append(-number if negative else number)
    return readings
