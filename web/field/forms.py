"""Event forms declared as data: what a person types becomes the JSON the API takes.

A form is an :class:`EventForm`: the event type it records and its fields, each a
:class:`Field` made by one of the constructors below. Declaring one is all a page needs::

    from ledger.common.messages import N_
    from web.field.forms import EventForm, choice, number, text, own_lots

    LOSS = EventForm(
        slug="loss",                      # the form is at /field/record/loss
        event_type="loss",                # what it records; who may use it comes from the type
        title=N_("Record a loss"),
        fields=(
            choice("lot", N_("Lot"), own_lots()),           # options from the user's own data
            number("quantity", N_("Quantity"), unit="kg"),  # typed as people type, unit named
            text("reason", N_("Why"), required=True),
        ),
    )
    register(LOSS)                        # web.field.pages serves every registered form

Every form gets the time of the event (``when``, now in Hưng Yên by default), a hidden
submission id (a form posted twice records once) and the CSRF token. :func:`parse` reads the
posted fields into ``{type, event_time, data}``: numbers through
:func:`schemas.typed_numbers.typed_decimal` (``1,5`` and ``1.5``; ``1.500`` refused as
ambiguous), counts as whole numbers, local times with the +07:00 offset, checkboxes as true
or false. A field's ``target`` is its dotted place in ``data`` (``temperature.min``); a field
with ``target=""`` is read but left for the form's ``assemble`` hook, which builds what needs
several fields (a lot id from a product and a lot code) or copies master-data facts (a spray's
registration number). ``errors_to`` sends a schema or ledger error of a data path to the field
that should show it. :func:`web.field.pages.handle_form` does the rest: the one service call,
the errors mapped back onto the fields, the values re-shown as typed beside the value
understood ("1,5 kg").
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from marshmallow import ValidationError

from ledger.common.messages import N_, Message
from ledger.supplychain.accounts import Principal
from ledger.supplychain.custody import VIETNAM
from ledger.supplychain.fieldwork import FieldWork
from ledger.supplychain.vocabulary import EVENT_TYPES, LOT_QUANTITY, MEASUREMENT_UNITS, Unit
from schemas.typed_numbers import typed_decimal

SELECT = "select"
NUMBER = "number"
COUNT = "count"
DATE = "date"
DATETIME = "datetime"
TEXT = "text"
TEXTAREA = "textarea"
CHECKBOX = "checkbox"
PHOTO = "photo"

#: What a browser may send in one field: far more than any field takes, so that the schema's
#: own limit names the problem, yet a bounded copy is what gets echoed and stored.
MAX_TYPED = 20_000
#: More combining marks in a row, after NFC, than a name or a note needs (Vietnamese needs
#: none then: NFC composes its two marks into the letter): a longer run is a flood that hides
#: the letters it sits on.
MAX_COMBINING_RUN = 2
_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})")


@dataclass(frozen=True)
class Option:
    """One choice of a select: the value posted and what the person reads."""

    value: str
    label: str
    #: The unit of what the option names (a lot's), for the quantity beside it.
    unit: str | None = None


@dataclass(frozen=True)
class FormContext:
    """What a form reads while it is shown or parsed: who, in which language, when."""

    principal: Principal
    language: str
    now: datetime
    fieldwork: FieldWork
    #: Further services a form's hooks may use (input products, intervals), by name.
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def organisation(self) -> str:
        return self.principal.organisation or ""

    @property
    def today(self) -> date:
        return self.now.astimezone(VIETNAM).date()

    @property
    def decimal_sign(self) -> str:
        return "." if self.language == "en" else ","


Options = Callable[[FormContext], list[Option]]
Default = Callable[[FormContext], str]


@dataclass(frozen=True)
class Field:
    """One input of a form. Make them with :func:`choice`, :func:`number`, :func:`count`,
    :func:`day`, :func:`moment`, :func:`text`, :func:`checkbox` or :func:`photo`."""

    name: str
    label: str
    kind: str
    required: bool = True
    #: Dotted place in ``data``; ``""`` for a field only the form's ``assemble`` reads.
    target: str | None = None
    unit: str | None = None
    options: Options | None = None
    default: str | Default | None = None
    help: str | None = None
    #: Shown only when it has a value or an error (the ledger asked for it): a reason for a
    #: late record, the confirmation of an implausible quantity.
    on_demand: bool = False
    multiline: bool = False
    #: For a number without a unit of its own: the select whose chosen option names the unit
    #: (a quantity of the lot chosen, in kg or heads).
    unit_from: str | None = None

    @property
    def path(self) -> str:
        return self.name if self.target is None else self.target

    @property
    def measurement(self) -> Unit:
        return MEASUREMENT_UNITS[self.unit] if self.unit else LOT_QUANTITY

    def initial(self, ctx: FormContext) -> str:
        if callable(self.default):
            return self.default(ctx)
        return self.default or ""


def choice(name: str, label: str, options: Options, **kwargs: Any) -> Field:
    return Field(name, label, SELECT, options=options, **kwargs)


def number(name: str, label: str, *, unit: str | None = None, **kwargs: Any) -> Field:
    """A decimal in ``unit`` (a code of ``MEASUREMENT_UNITS``; none: the lot's unit)."""
    return Field(name, label, NUMBER, unit=unit, **kwargs)


def count(name: str, label: str, *, unit: str = "head", **kwargs: Any) -> Field:
    """A whole number (heads, birds weighed, days)."""
    return Field(name, label, COUNT, unit=unit, **kwargs)


def day(name: str, label: str, **kwargs: Any) -> Field:
    return Field(name, label, DATE, **kwargs)


def moment(name: str, label: str, **kwargs: Any) -> Field:
    return Field(name, label, DATETIME, **kwargs)


def text(name: str, label: str, *, multiline: bool = False, **kwargs: Any) -> Field:
    return Field(name, label, TEXTAREA if multiline else TEXT, multiline=multiline, **kwargs)


def checkbox(name: str, label: str, **kwargs: Any) -> Field:
    return Field(name, label, CHECKBOX, required=False, **kwargs)


def photo(name: str = "photo", label: str = N_("Photo"), **kwargs: Any) -> Field:
    """Photos taken with the camera, attached to the record by hash (``data.photos``); a photo
    sent with a form that came back is kept for the next post of it."""
    return Field(name, label, PHOTO, required=False, target="photos", **kwargs)


#: The time of every event, first on every form.
WHEN = moment("when", N_("When"), target="", default=lambda ctx: local_now_text(ctx.now))
LATE_REASON = text("late_reason", N_("Why it is recorded late"), target="", on_demand=True)
EVENT_TIME_PATHS = {"event_time": "when", "late_reason": "late_reason"}


@dataclass
class Parsed:
    """A posted form: the values as typed, what they were understood as, and problems."""

    typed: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    understood: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[Message]] = field(default_factory=dict)
    #: Problems that belong to no one field, shown above the form.
    general: list[Message] = field(default_factory=list)

    def add(self, name: str, message: Message) -> None:
        self.errors.setdefault(name, []).append(message)


Assemble = Callable[["EventForm", Parsed, FormContext, dict[str, Any]], None]
Notices = Callable[["EventForm", Mapping[str, str], FormContext], list[Message]]


@dataclass(frozen=True)
class EventForm:
    """A form that records one event type (see the module's docstring)."""

    slug: str
    event_type: str
    title: str
    fields: tuple[Field, ...]
    #: Builds what several fields make together, after they parsed; may add errors.
    assemble: Assemble | None = None
    #: What the ledger will say before the form is sent (a running interval), for the values.
    notices: Notices | None = None
    #: A data path the schema or the ledger names, and the field that shows its problem.
    errors_to: Mapping[str, str] = field(default_factory=dict)
    intro: str | None = None
    #: Fixed values (``{"data path": value}``) a page adds, e.g. the lot of a lot card.
    fixed: Mapping[str, Any] = field(default_factory=dict)

    @property
    def all_fields(self) -> tuple[Field, ...]:
        return (WHEN, *self.fields, LATE_REASON)

    #: The roles offered the form, if fewer than the event type allows (a farm's hand-over).
    only_roles: frozenset[str] = frozenset()

    @property
    def roles(self) -> frozenset[str]:
        allowed = EVENT_TYPES[self.event_type].roles
        return allowed & self.only_roles if self.only_roles else allowed

    def field_named(self, name: str) -> Field | None:
        return next((f for f in self.all_fields if f.name == name), None)

    def field_for(self, path: str) -> str | None:
        """The field that shows a problem of ``path`` (a data path, or ``event_time``)."""
        for candidate in _prefixes(path):
            if candidate in self.errors_to:
                return self.errors_to[candidate]
            if candidate in EVENT_TIME_PATHS:
                return EVENT_TIME_PATHS[candidate]
            for item in self.all_fields:
                if item.target != "" and item.path == candidate:
                    return item.name
        return None


def _prefixes(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)]


REGISTRY: dict[str, EventForm] = {}


def register(form: EventForm) -> EventForm:
    if form.slug in REGISTRY:
        raise ValueError(f"two forms are called {form.slug}")
    REGISTRY[form.slug] = form
    return form


def new_submission_id() -> str:
    return str(uuid.uuid4())


def submission_id(raw: str) -> str | None:
    """The form's submission id if it is a UUID (as this module made it), else None."""
    try:
        return str(uuid.UUID(raw[:64]))
    except ValueError:
        return None


def local_now_text(now: datetime) -> str:
    """``now`` in Hưng Yên as a ``datetime-local`` input shows it (to the minute)."""
    return now.astimezone(VIETNAM).strftime("%Y-%m-%dT%H:%M")


# --- reading a posted form ---------------------------------------------------------------------


def clean_text(raw: str) -> str:
    """What a text field holds: NFC, bounded, blanks around it dropped; a flood of combining
    marks refused (the schema then checks length, control characters and patterns)."""
    value = unicodedata.normalize("NFC", raw[:MAX_TYPED]).strip()
    run = 0
    for character in value:
        run = run + 1 if unicodedata.combining(character) else 0
        if run > MAX_COMBINING_RUN:
            raise ValidationError(
                Message(N_("Too many accent marks on one letter; type the text again."))
            )
    return value


def parse(form: EventForm, posted: Mapping[str, str], ctx: FormContext) -> Parsed:
    """The posted fields as values; problems a field alone shows are in ``errors``."""
    parsed = Parsed({})
    for item in form.all_fields:
        raw = str(posted.get(item.name, ""))[:MAX_TYPED]
        parsed.typed[item.name] = raw
        if item.kind == PHOTO:
            continue
        try:
            value = _read(item, raw, ctx, unit_of(form, item, posted, ctx))
        except ValidationError as error:
            for message in messages_of(error.messages):
                parsed.add(item.name, message)
            continue
        if value is None:
            if item.required and not item.on_demand:
                parsed.add(item.name, Message(N_("Missing data for required field.")))
            continue
        parsed.values[item.name] = value
        if item.kind == NUMBER:
            parsed.understood[item.name] = value
    return parsed


def unit_of(
    form: EventForm, item: Field, chosen: Mapping[str, str], ctx: FormContext
) -> Unit | None:
    """The unit of a number field: its own, or that of the option chosen in its
    ``unit_from`` select (None while none is chosen)."""
    if item.unit or item.unit_from is None:
        return item.measurement
    source = form.field_named(item.unit_from)
    if source is None or source.options is None:
        return None
    picked = str(chosen.get(item.unit_from, ""))
    unit = next((o.unit for o in source.options(ctx) if o.value == picked), None)
    return MEASUREMENT_UNITS.get(unit or "")


def _read(item: Field, raw: str, ctx: FormContext, unit: Unit | None) -> Any:
    if item.kind == CHECKBOX:
        return raw != ""
    value = clean_text(raw)
    if not value:
        return None
    if item.kind == SELECT:
        if item.options is not None and value not in {o.value for o in item.options(ctx)}:
            raise ValidationError(Message(N_("Choose one of the list.")))
        return value
    if item.kind == NUMBER:
        return typed_decimal(value, unit or LOT_QUANTITY, decimal_sign=ctx.decimal_sign)
    if item.kind == COUNT:
        canonical = typed_decimal(value, unit, decimal_sign=ctx.decimal_sign)
        if "." in canonical:
            raise ValidationError(Message(N_("Type a whole number, such as 12.")))
        return int(canonical)
    if item.kind == DATE:
        return _date(value)
    if item.kind == DATETIME:
        return _local_time(value)
    return value


def _date(value: str) -> str:
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValidationError(
            Message(N_("{value} is not a date; choose one such as 15/07/2026."), value=value)
        ) from None


def _local_time(value: str) -> str:
    """A ``datetime-local`` value as an RFC 3339 time in Hưng Yên (+07:00)."""
    match = _TIME.fullmatch(value[:16]) if len(value) in (16, 19) else None
    try:
        if match is None:
            raise ValueError
        year, month, day_, hour, minute = (int(part) for part in match.groups())
        local = datetime(year, month, day_, hour, minute, tzinfo=VIETNAM)
    except ValueError:
        raise ValidationError(
            Message(N_("{value} is not a time; choose a day and a time."), value=value)
        ) from None
    return local.isoformat(timespec="milliseconds")


def messages_of(tree: Any) -> list[Message]:
    """Every message of an error tree, in order."""
    if isinstance(tree, Message):
        return [tree]
    if isinstance(tree, str):
        return [Message(tree)]
    if isinstance(tree, dict):
        return [m for value in tree.values() for m in messages_of(value)]
    if isinstance(tree, list | tuple):
        return [m for value in tree for m in messages_of(value)]
    return []


def request_of(form: EventForm, parsed: Parsed, ctx: FormContext, key: str) -> dict[str, Any]:
    """The API request the parsed values make (``data`` through the form's ``assemble``)."""
    data: dict[str, Any] = {}
    for item in form.fields:
        if item.target == "" or item.name not in parsed.values:
            continue
        put(data, item.path, parsed.values[item.name])
    for path, value in form.fixed.items():
        put(data, path, value)
    if form.assemble is not None:
        form.assemble(form, parsed, ctx, data)
    raw: dict[str, Any] = {
        "type": form.event_type,
        "event_time": parsed.values.get("when", ""),
        "data": data,
        "idempotency_key": f"form-{key}",
    }
    if parsed.values.get("late_reason"):
        raw["late_reason"] = parsed.values["late_reason"]
    return raw


def put(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``data``'s value at a dotted ``path``, making the objects on the way."""
    *parents, last = path.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


def place_errors(form: EventForm, parsed: Parsed, tree: Any, path: str = "") -> None:
    """A schema's or the ledger's error tree, onto the fields that show each problem."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            name = str(key)
            if name == "$":
                place_errors(form, parsed, value, path)
                continue
            inner = name if not path else f"{path}.{name}"
            if inner == "data":
                inner = ""
            place_errors(form, parsed, value, inner)
        return
    target = form.field_for(path) if path else None
    for message in messages_of(tree):
        if target is None:
            if message not in parsed.general:
                parsed.general.append(message)
        elif message not in parsed.errors.get(target, []):
            parsed.add(target, message)
