"""What a form's template is given: each field with its value as typed, its problems and the
value understood, in the reader's language; and the strings the page's script shows as a
number is typed, taken from the same catalogue (never a second copy kept by hand)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from flask_babel import gettext

from ledger.common.messages import N_, excerpt
from ledger.supplychain.vocabulary import AMOUNT_MESSAGES, MEASUREMENT_UNITS, Unit
from schemas.typed_numbers import TYPED_MESSAGES
from web.field.forms import (
    CHECKBOX,
    COUNT,
    NUMBER,
    PHOTO,
    EventForm,
    Field,
    FormContext,
    Option,
    Parsed,
    unit_of,
)
from web.i18n import format_quantity, translate


@dataclass(frozen=True)
class FieldView:
    """One field as the template draws it."""

    field: Field
    value: str
    errors: list[str]
    understood: str
    options: list[Option] = dataclass_field(default_factory=list)
    hidden: bool = False
    unit: Unit | None = None
    #: A photo field's photos already sent and kept, by hash.
    kept: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def kind(self) -> str:
        return self.field.kind

    @property
    def unit_name(self) -> str:
        return str(gettext(self.unit.name)) if self.unit is not None else ""


def unit_name(code: str | None) -> str:
    """A unit's name in the reader's language (the pages' ``unit`` filter)."""
    if not code:
        return ""
    unit = MEASUREMENT_UNITS.get(code)
    return str(gettext(unit.name)) if unit is not None else code


def understood(canonical: Any, unit: Unit | None) -> str:
    """A parsed number as the form says it understood it: "1,5 kg"."""
    if canonical in (None, ""):
        return ""
    shown = format_quantity(str(canonical))
    return f"{shown} {gettext(unit.name)}" if unit is not None else str(shown)


#: Above a form whose every problem is on a field.
CHECK_THE_FIELDS = N_("Check the fields marked below.")


def _kept(name: str, parsed: Parsed | None) -> list[str]:
    if parsed is None:
        return []
    found = parsed.values.get(name)
    if isinstance(found, list):
        return [str(sha) for sha in found]
    return [sha for sha in parsed.typed.get(f"{name}_kept", "").split() if len(sha) == 64]


def number_messages() -> dict[str, str]:
    """The messages of a number being typed, translated, by the kind of problem: the script's
    data attributes (the same templates :func:`schemas.typed_numbers.typed_decimal` raises)."""
    return {
        kind: gettext(template) for kind, template in {**TYPED_MESSAGES, **AMOUNT_MESSAGES}.items()
    }


def form_view(
    form: EventForm, ctx: FormContext, parsed: Parsed | None, submission: str
) -> dict[str, Any]:
    """The template's variables for ``form``, fresh (``parsed`` None) or as posted."""
    views = []
    for item in form.all_fields:
        if parsed is None:
            value = item.initial(ctx)
            errors: list[str] = []
            canonical: Any = None
        else:
            value = parsed.typed.get(item.name, "")
            errors = [str(translate(m)) for m in parsed.errors.get(item.name, [])]
            canonical = parsed.understood.get(item.name, parsed.values.get(item.name))
        options = item.options(ctx) if item.options is not None else []
        chosen = parsed.typed if parsed is not None else {}
        unit = unit_of(form, item, chosen, ctx) if item.kind in (NUMBER, COUNT) else None
        views.append(
            FieldView(
                item,
                value,
                errors,
                understood(canonical, unit) if unit is not None and not errors else "",
                options,
                hidden=item.on_demand and not value and not errors,
                unit=unit,
                kept=tuple(_kept(item.name, parsed)),
            )
        )
    typed = parsed.typed if parsed is not None else {v.name: v.value for v in views}
    notices = form.notices(form, typed, ctx) if form.notices is not None else []
    general = [str(translate(m)) for m in parsed.general] if parsed is not None else []
    if parsed is not None and parsed.errors and not general:
        general = [str(gettext(CHECK_THE_FIELDS))]
    return {
        "form": form,
        "fields": views,
        "general": general,
        "notices": [str(translate(m)) for m in notices],
        "submission": submission,
        "number_messages": number_messages(),
        "decimal_sign": ctx.decimal_sign,
        "units": {
            code: (unit.places, str(unit.maximum)) for code, unit in MEASUREMENT_UNITS.items()
        },
    }


#: How many of a form's values "my records" shows beside it.
SUMMARY_VALUES = 4


def summary(form: EventForm, typed: dict[str, str], ctx: FormContext) -> list[str]:
    """A few of the values a form was sent with, as the person reads them: a choice by what
    the list called it (a plot by its name), a number as typed with its unit."""
    shown: list[str] = []
    for item in form.fields:
        value = typed.get(item.name, "").strip()
        if not value or item.kind in (PHOTO, CHECKBOX) or len(shown) >= SUMMARY_VALUES:
            continue
        if item.options is not None:
            value = next((o.label for o in item.options(ctx) if o.value == value), value)
        elif item.kind in (NUMBER, COUNT) and item.unit:
            value = f"{value} {unit_name(item.unit)}"
        shown.append(excerpt(value, 60))
    return shown
