"""The fields supply-chain data is made of: choices, GLNs and lots, amounts in units, counts,
dates and their windows around an event, pseudonyms and SSCCs.

Quantities are decimal strings in the unit of the lot's product (kg or head), no finer than
the unit's step and no larger than its largest value
(``ledger.supplychain.vocabulary.MEASUREMENT_UNITS``); activity values carry a ``data_source``
(measured, estimated or default) so reports can say how good a figure is.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Generic, TypeVar

from biip import ParseError
from biip.sscc import Sscc as BiipSscc
from marshmallow import ValidationError, fields

from ledger.common.messages import N_, Message
from ledger.supplychain.custody import VIETNAM
from ledger.supplychain.photos import MAX_PHOTOS_PER_EVENT
from ledger.supplychain.vocabulary import (
    DATA_SOURCES,
    DATE_WINDOWS,
    LOT_QUANTITY,
    MEASUREMENT_UNITS,
    Unit,
)
from ledger.tlog.canonical import parse_time
from schemas.fields import GS1_CSET82, Text, check_gln, check_subject_id, load_decimal

Checked = TypeVar("Checked")


class Rule(Generic[Checked]):
    """A marshmallow validator that also states its rule in JSON Schema: ``openapi`` is how the
    API's description shows it (web/api/openapi.py)."""

    def __init__(self, check: Callable[[Checked], None], openapi: dict[str, Any]) -> None:
        self.check = check
        self.openapi = openapi

    def __call__(self, value: Checked) -> None:
        self.check(value)

    def __deepcopy__(self, memo: dict[int, Any]) -> Rule[Checked]:
        return self  # immutable, shared by every copy of the schema that holds it, as a function is


def one_of(choices: tuple[str, ...] | list[str]) -> Rule[str]:
    """A validator of a choice."""

    def validate(value: str) -> None:
        if value not in choices:
            raise ValidationError(
                Message(N_("Must be one of: {choices}."), choices=", ".join(choices))
            )

    return Rule(validate, {"enum": list(choices)})


class StrictBoolean(fields.Boolean):
    """``true`` or ``false`` only: "yes", 1 or "on" are not silently taken for true."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(truthy={True}, falsy={False}, **kwargs)


class Choice(fields.String):
    """One of ``choices``, which the OpenAPI document lists as the field's ``enum``."""

    def __init__(self, choices: tuple[str, ...] | list[str], **kwargs: Any) -> None:
        metadata = {"enum": list(choices), **kwargs.pop("metadata", {})}
        super().__init__(validate=one_of(choices), metadata=metadata, **kwargs)


class Gln(fields.String):
    """A GLN (13 digits, check digit validated)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return check_gln(super()._deserialize(value, attr, data, **kwargs).strip())


class LotId(fields.String):
    """``lot:<GTIN-14>/<lot>``, or the object ``{"gtin": …, "lot": …}``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, Mapping):
            gtin, code = value.get("gtin"), value.get("lot")
            if not isinstance(gtin, str) or not isinstance(code, str):
                raise ValidationError(Message(N_('A lot is {"gtin": "…", "lot": "…"}.')))
            value = f"lot:{gtin}/{code}"
        text = check_subject_id(super()._deserialize(value, attr, data, **kwargs))
        if not text.startswith("lot:"):
            raise ValidationError(
                Message(N_('{value!r} is not a lot id "lot:<GTIN-14>/<lot>".'), value=text)
            )
        return text


class LotCode(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not GS1_CSET82.fullmatch(text):
            raise ValidationError(
                Message(
                    N_("Lot {lot!r} must be 1 to 20 characters of the GS1 character set 82."),
                    lot=text,
                )
            )
        return text


class Amount(fields.Field[str]):
    """A canonical decimal within bounds (quantities are above zero unless ``minimum`` says).

    With a ``unit`` (a code of :data:`~ledger.supplychain.vocabulary.MEASUREMENT_UNITS`, or
    :data:`~ledger.supplychain.vocabulary.LOT_QUANTITY` for a lot's quantity before its unit is
    known) the value is refused when finer than the unit's step or larger than its largest value,
    and the unit's largest value is the default ``maximum``.
    """

    def __init__(
        self,
        *,
        unit: str | Unit | None = None,
        minimum: Decimal | None = Decimal(0),
        exclusive: bool = True,
        maximum: Decimal | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.unit = MEASUREMENT_UNITS[unit] if isinstance(unit, str) else unit
        self.minimum = minimum
        self.exclusive = exclusive
        if maximum is None and self.unit is None and minimum is not None:
            maximum = Decimal("1e12")
        self.maximum = maximum

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = load_decimal(value, self.unit)
        number = Decimal(text)
        if self.minimum is not None:
            if self.exclusive and number <= self.minimum:
                raise ValidationError(
                    Message(N_("Must be greater than {limit}."), limit=self.minimum)
                )
            if not self.exclusive and number < self.minimum:
                raise ValidationError(Message(N_("Must be at least {limit}."), limit=self.minimum))
        if self.maximum is not None and number > self.maximum:
            raise ValidationError(Message(N_("Must be at most {limit}."), limit=self.maximum))
        return text


def quantity(unit: str | Unit = LOT_QUANTITY, **kwargs: Any) -> Amount:
    """An amount above zero: of a lot (in its product's unit) unless ``unit`` says."""
    return Amount(unit=unit, **kwargs)


def measure(unit: str | Unit | None = None, **kwargs: Any) -> Amount:
    """A measured value that may be zero."""
    return Amount(unit=unit, minimum=Decimal(0), exclusive=False, **kwargs)


def percent(**kwargs: Any) -> Amount:
    return Amount(unit="percent", minimum=Decimal(0), exclusive=False, **kwargs)


def between(low: int, high: int) -> Rule[int]:
    """A validator of an integer in ``[low, high]``."""

    def validate(value: int) -> None:
        if not low <= value <= high:
            raise ValidationError(
                Message(N_("Must be between {low} and {high}."), low=low, high=high)
            )

    return Rule(validate, {"minimum": low, "maximum": high})


def item_count(low: int = 1, high: int = 100) -> Rule[list[Any]]:
    """A validator of a list's length in ``[low, high]``."""

    def validate(items: list[Any]) -> None:
        if not low <= len(items) <= high:
            raise ValidationError(
                Message(N_("Between {low} and {high} items."), low=low, high=high)
            )

    return Rule(validate, {"minItems": low, "maxItems": high})


def count(low: int = 1, high: int = 10_000_000, **kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=between(low, high), **kwargs)


class Date(fields.String):
    """A calendar date ``YYYY-MM-DD`` between the years 1900 and 2999, as event times are;
    :data:`~ledger.supplychain.vocabulary.DATE_WINDOWS` bounds each field further around its
    event."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text, re.ASCII):
                raise ValueError
            datetime.date.fromisoformat(text)
        except ValueError:
            raise ValidationError(
                Message(N_("{value!r} is not a date such as 2026-07-15."), value=text)
            ) from None
        if not "1900" <= text[:4] <= "2999":
            raise ValidationError(
                Message(N_("{value!r} is not between the years 1900 and 2999."), value=text)
            )
        return text


def years_after(day: datetime.date, years: int) -> datetime.date:
    """The same day ``years`` later (28 February for a 29 February without one)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def check_date_windows(data: Mapping[str, Any], event_time: str) -> None:
    """Refuse a date of ``data`` outside its :data:`~ledger.supplychain.vocabulary.DATE_WINDOWS`
    around the day (in Hưng Yên) of the event."""
    day = parse_time(event_time).astimezone(VIETNAM).date()
    for name, (before, after) in DATE_WINDOWS.items():
        value = data.get(name)
        if not isinstance(value, str):
            continue
        earliest, latest = (
            day - datetime.timedelta(days=before),
            day + datetime.timedelta(days=after),
        )
        if not earliest.isoformat() <= value <= latest.isoformat():
            raise ValidationError(
                {
                    name: [
                        Message(
                            N_(
                                "For an event on {day}, this date is between {earliest} and "
                                "{latest}."
                            ),
                            day=day.isoformat(),
                            earliest=earliest.isoformat(),
                            latest=latest.isoformat(),
                        )
                    ]
                }
            )


class _Code(Text):
    """An id people type: letters, digits, ``.``, ``_`` and ``-``, at most 64 characters."""

    hint: str

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_length=64,
            pattern=r"[A-Za-z0-9][A-Za-z0-9._-]*",
            pattern_hint=self.hint,
            **kwargs,
        )


class Pseudonym(_Code):
    """A pseudonymous id of a person (operator, vet, inspector): never a name."""

    hint = "op-0042"


class InputProductCode(_Code):
    """The code of an input product (master data)."""

    hint = "abamectin-18ec"


class Sscc(fields.String):
    """A Serial Shipping Container Code (18 digits, check digit validated by biip)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not re.fullmatch(r"[0-9]{18}", text):
            raise ValidationError(Message(N_("{value!r} is not an 18-digit SSCC."), value=text))
        try:
            BiipSscc.parse(text)
        except ParseError:
            raise ValidationError(
                Message(N_("SSCC {value} has a wrong check digit."), value=text)
            ) from None
        return text


def data_source() -> Choice:
    return Choice(DATA_SOURCES, required=True)


def photo_hashes() -> fields.List[str]:
    """The photos an entry attaches, by the SHA-256 (lowercase hex) of the bytes kept off the
    ledger (``POST /api/v1/photos`` answers it); optional, a few at most, each once."""
    counted = item_count(1, MAX_PHOTOS_PER_EVENT)

    def validate(hashes: list[str]) -> None:
        counted(hashes)
        seen: set[str] = set()
        for position, sha in enumerate(hashes):
            if sha in seen:
                raise ValidationError(
                    {position: [Message(N_("Photo {photo} is listed twice."), photo=sha)]}
                )
            seen.add(sha)

    return fields.List(
        Text(max_length=64, pattern=r"[0-9a-f]{64}", pattern_hint="SHA-256, lowercase hex"),
        validate=Rule(validate, counted.openapi),
    )
