"""What each supply-chain event carries, validated field by field.

A request to record an event is ``{type, event_time, data, idempotency_key?, late_reason?}``.
``data`` is checked by the type's schema below, which also classifies each field: public fields
go into the ledger entry; confidential (prices, money) and personal (names, contacts) fields are
marked with ``metadata={"classification": ...}`` and become private fields, which the ledger
stores as salted commitments and keeps out of its public bytes.

Quantities are decimal strings in the unit of the lot's product (kg or head), no finer than
the unit's step and no larger than its largest value
(``ledger.supplychain.vocabulary.MEASUREMENT_UNITS``); activity values carry a ``data_source``
(measured, estimated or default) so reports can say how good a figure is.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from biip import ParseError
from biip.sscc import Sscc as BiipSscc
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validates_schema

from ledger.common.messages import N_, Message
from ledger.supplychain.commands import Command
from ledger.supplychain.custody import VIETNAM
from ledger.supplychain.vocabulary import (
    CERTIFICATE_MAX_YEARS,
    CERTIFICATE_SCHEMES,
    DATA_SOURCES,
    DATE_WINDOWS,
    ENERGY_SOURCES,
    EVENT_TYPES,
    LOSS_CAUSES,
    LOT_QUANTITY,
    MEASUREMENT_UNITS,
    PRODUCT_KINDS,
    TRANSFORM_KINDS,
    VEHICLE_CLASSES,
    Unit,
)
from ledger.tlog.canonical import parse_time
from schemas.currencies import ISO_4217
from schemas.fields import (
    GS1_CSET82,
    CanonicalTime,
    Text,
    check_gln,
    check_subject_id,
    load_decimal,
)

PUBLIC = "public"
CONFIDENTIAL = "confidential"
PERSONAL = "personal"
MAX_LIST = 100

# --- fields ------------------------------------------------------------------------------------


def one_of(choices: tuple[str, ...] | list[str]) -> Any:
    """A validator of a choice; ``openapi`` on it (as on the others below) is how the API's
    description states the rule (web/api/openapi.py)."""

    def validate(value: str) -> None:
        if value not in choices:
            raise ValidationError(
                Message(N_("Must be one of: {choices}."), choices=", ".join(choices))
            )

    validate.openapi = {"enum": list(choices)}  # type: ignore[attr-defined]
    return validate


class StrictBoolean(fields.Boolean):
    """``true`` or ``false`` only: "yes", 1 or "on" are not silently taken for true."""

    truthy = frozenset({True})
    falsy = frozenset({False})


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


class Amount(fields.Field):
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


def between(low: int, high: int) -> Any:
    """A validator of an integer in ``[low, high]``."""

    def validate(value: int) -> None:
        if not low <= value <= high:
            raise ValidationError(
                Message(N_("Must be between {low} and {high}."), low=low, high=high)
            )

    validate.openapi = {"minimum": low, "maximum": high}  # type: ignore[attr-defined]
    return validate


def item_count(low: int = 1, high: int = 100) -> Any:
    """A validator of a list's length in ``[low, high]``."""

    def validate(items: list[Any]) -> None:
        if not low <= len(items) <= high:
            raise ValidationError(
                Message(N_("Between {low} and {high} items."), low=low, high=high)
            )

    validate.openapi = {"minItems": low, "maxItems": high}  # type: ignore[attr-defined]
    return validate


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


class Pseudonym(Text):
    """A pseudonymous id of a person (operator, vet, inspector): never a name."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_length=64,
            pattern=r"[A-Za-z0-9][A-Za-z0-9._-]*",
            pattern_hint="op-0042",
            **kwargs,
        )


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


def private(field: fields.Field, classification: str) -> fields.Field:
    field.metadata["classification"] = classification
    return field


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class TemperatureSummary(_Strict):
    """A temperature series kept off the log, summarised; the hash proves the series later."""

    min = Amount(unit="celsius", minimum=Decimal(-60), exclusive=False, required=True)
    max = Amount(unit="celsius", minimum=Decimal(-60), exclusive=False, required=True)
    mean = Amount(unit="celsius", minimum=Decimal(-60), exclusive=False, required=True)
    count = count(required=True)
    series_sha256 = Text(max_length=64, pattern=r"[0-9a-f]{64}", pattern_hint="lowercase hex")

    @validates_schema
    def ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if kwargs.get("partial"):
            return  # a correction changes some fields; the rest are as recorded
        low, mean, high = (Decimal(data[k]) for k in ("min", "mean", "max"))
        if not low <= mean <= high:
            raise ValidationError(Message(N_("Needs min ≤ mean ≤ max.")), "mean")


class LotQuantity(_Strict):
    lot = LotId(required=True)
    quantity = quantity(required=True)


class PackOutput(_Strict):
    lot = LotId(required=True)
    quantity = quantity(required=True)
    units = count()
    best_before = Date()


def _list(schema: type[Schema], low: int = 1, **kwargs: Any) -> fields.List:
    return fields.List(fields.Nested(schema), validate=item_count(low, MAX_LIST), **kwargs)


def _text_list(low: int = 1, **kwargs: Any) -> fields.List:
    return fields.List(Text(max_length=200), validate=item_count(low, MAX_LIST), **kwargs)


def _distinct_lots(items: list[str], name: str) -> None:
    seen: set[str] = set()
    for position, lot in enumerate(items):
        if lot in seen:
            raise ValidationError(
                {name: {position: [Message(N_("Lot {lot} is listed twice."), lot=lot)]}}
            )
        seen.add(lot)


# --- the event types ---------------------------------------------------------------------------


class FertiliserData(_Strict):
    plot = Gln(required=True)
    product = Text(max_length=200, required=True)
    n_pct = percent()
    p_pct = percent()
    k_pct = percent()
    quantity_kg = quantity("kg", required=True)
    data_source = data_source()


class PesticideData(_Strict):
    plot = Gln(required=True)
    product = Text(max_length=200, required=True)
    registration_no = Text(max_length=64, required=True)
    active_ingredients = _text_list(required=True)
    dose = quantity("dose", required=True)
    dose_unit = Text(max_length=32, required=True)
    area_ha = quantity("ha", required=True)
    phi_days = count(low=0, high=365, required=True)
    operator = Pseudonym(required=True)
    data_source = data_source()


class IrrigationData(_Strict):
    plot = Gln(required=True)
    volume_m3 = quantity("m3", required=True)
    data_source = data_source()


class EnergyUseData(_Strict):
    location = Gln(required=True)
    kwh = measure("kwh")
    energy_source = Choice(ENERGY_SOURCES)
    meter_reading_kwh = measure("kwh")
    diesel_l = measure("l")
    petrol_l = measure("l")
    period_start = Date()
    period_end = Date()
    data_source = data_source()

    @validates_schema
    def something_used(self, data: dict[str, Any], **kwargs: Any) -> None:
        if kwargs.get("partial"):
            return  # a correction changes some fields; the rest are as recorded
        if not any(k in data for k in ("kwh", "meter_reading_kwh", "diesel_l", "petrol_l")):
            raise ValidationError(
                Message(N_("Give kwh, meter_reading_kwh, diesel_l or petrol_l.")), "kwh"
            )
        if data.get("period_start", "") > data.get("period_end", "\uffff"):
            raise ValidationError(Message(N_("The period ends before it starts.")), "period_end")
        if "kwh" in data and "energy_source" not in data:
            raise ValidationError(
                Message(N_("Say whether the electricity is grid or solar.")), "energy_source"
            )


class PlacementData(_Strict):
    house = Gln(required=True)
    lot = LotId(required=True)
    breed = Text(max_length=100, required=True)
    head_count = count(required=True)


class FeedData(_Strict):
    flock = LotId(required=True)
    feed_type = Text(max_length=200, required=True)
    quantity_kg = quantity("kg", required=True)
    data_source = data_source()


class VaccinationData(_Strict):
    flock = LotId(required=True)
    product = Text(max_length=200, required=True)
    active_substance = Text(max_length=200, required=True)
    dose = quantity("dose", required=True)
    dose_unit = Text(max_length=32, required=True)
    withdrawal_days = count(low=0, high=365, load_default=0)
    vet = Pseudonym(required=True)


class TreatmentData(VaccinationData):
    withdrawal_days = count(low=0, high=365, required=True)


class FlockLossData(_Strict):
    flock = LotId(required=True)
    count = count(required=True)
    cause = Choice(LOSS_CAUSES, required=True)
    reason = Text(max_length=500)


class WeighingData(_Strict):
    flock = LotId(required=True)
    mean_kg = quantity("kg", required=True)
    sample_size = count(required=True)
    data_source = data_source()


class HarvestData(_Strict):
    plot = Gln(required=True)
    lot = LotId(required=True)
    quantity = quantity(required=True)
    data_source = data_source()


class SlaughterData(_Strict):
    flock = LotId(required=True)
    head_count = count(required=True)
    lot = LotId(required=True)
    carcass_kg = quantity("kg", required=True)
    site = Gln()
    supervisor_reason = Text(max_length=500)


class PackData(_Strict):
    input = LotId(required=True)
    outputs = _list(PackOutput, required=True)
    waste = measure(LOT_QUANTITY)

    @validates_schema
    def distinct(self, data: dict[str, Any], **kwargs: Any) -> None:
        if kwargs.get("partial"):
            return  # a correction changes some fields; the rest are as recorded
        lots = [output["lot"] for output in data.get("outputs", [])]
        _distinct_lots([data.get("input", ""), *lots], "outputs")


class MergeData(_Strict):
    inputs = _list(LotQuantity, low=2, required=True)
    output = LotId(required=True)

    @validates_schema
    def distinct(self, data: dict[str, Any], **kwargs: Any) -> None:
        if kwargs.get("partial"):
            return  # a correction changes some fields; the rest are as recorded
        _distinct_lots([item["lot"] for item in data.get("inputs", [])], "inputs")


class TransformData(_Strict):
    kind = Choice(TRANSFORM_KINDS, required=True)
    inputs = _list(LotQuantity, required=True)
    output = LotId(required=True)
    output_quantity = quantity(required=True)
    site = Gln()
    supervisor_reason = Text(max_length=500)

    @validates_schema
    def distinct(self, data: dict[str, Any], **kwargs: Any) -> None:
        if kwargs.get("partial"):
            return  # a correction changes some fields; the rest are as recorded
        _distinct_lots([item["lot"] for item in data.get("inputs", [])], "inputs")


class ShipData(_Strict):
    lot = LotId(required=True)
    quantity = quantity(required=True)
    receiver = Gln(required=True)
    vehicle_class = Choice(VEHICLE_CLASSES, required=True)
    refrigerated = StrictBoolean(required=True)
    distance_km = measure("km", required=True)
    fuel_l = measure("l")
    sscc = Sscc()
    transport_document = Text(max_length=64, required=True)
    temperature = fields.Nested(TemperatureSummary)
    split_lot = LotCode()
    data_source = data_source()


class ReceiveData(_Strict):
    lot = LotId(required=True)
    quantity = measure(LOT_QUANTITY)
    refused = StrictBoolean(load_default=False)
    refusal_reason = Text(max_length=500)
    shortfall_reason = Text(max_length=500)
    temperature = fields.Nested(TemperatureSummary)

    @validates_schema
    def consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        if kwargs.get("partial"):
            return  # a correction changes some fields; the rest are as recorded
        if data.get("refused"):
            if not data.get("refusal_reason"):
                raise ValidationError(
                    Message(N_("Say why the goods are refused.")), "refusal_reason"
                )
            if "quantity" in data:
                raise ValidationError(
                    Message(N_("A refusal returns everything; send no quantity.")), "quantity"
                )
        elif "quantity" not in data:
            raise ValidationError(Message(N_("Missing data for required field.")), "quantity")


class StoreData(_Strict):
    lot = LotId(required=True)
    direction = Choice(("in", "out"), required=True)
    site = Gln(required=True)
    temperature = fields.Nested(TemperatureSummary)


class CoolingData(_Strict):
    lot = LotId(required=True)
    site = Gln()
    temperature = fields.Nested(TemperatureSummary, required=True)


class _About(_Strict):
    lot = LotId()
    site = Gln()

    @validates_schema
    def one_subject(self, data: dict[str, Any], **kwargs: Any) -> None:
        if kwargs.get("partial"):
            return  # a correction changes some fields; the rest are as recorded
        if ("lot" in data) == ("site" in data):
            raise ValidationError(Message(N_("Give either a lot or a site.")), "lot")


class InspectData(_About):
    analyte = Text(max_length=200, required=True)
    value = measure("reading", required=True)
    unit = Text(max_length=32, required=True)
    mrl = measure("reading")
    lab = Text(max_length=200, required=True)
    method = Text(max_length=200)
    result = Choice(("pass", "fail"), required=True)


class SlaughterInspectionData(_Strict):
    lot = LotId(required=True)
    inspector = Pseudonym(required=True)
    result = Choice(("pass", "fail"), required=True)
    condemned_kg = measure("kg")
    notes = Text(max_length=2000, multiline=True)


class AuditData(_About):
    summary = Text(max_length=2000, multiline=True, required=True)
    severity = Choice(("minor", "major", "critical"))
    result = Choice(("pass", "fail"))


class ComplaintData(_Strict):
    lot = LotId(required=True)
    summary = Text(max_length=2000, multiline=True, required=True)
    complainant_contact = private(Text(max_length=200), PERSONAL)


class Money(_Strict):
    amount = measure("money", required=True)
    currency = Choice(sorted(ISO_4217), required=True)


class SellData(_Strict):
    lot = LotId(required=True)
    quantity = quantity(required=True)
    price = private(fields.Nested(Money), CONFIDENTIAL)


class LossData(_Strict):
    lot = LotId(required=True)
    quantity = quantity(required=True)
    stage = Choice(("farm", "transport", "storage", "processing", "retail"), required=True)
    reason = Text(max_length=500, required=True)


class LabelIssueData(_Strict):
    """Labels for a packed lot: the ledger allocates ``count`` serials of its GTIN."""

    lot = LotId(required=True)
    count = count(low=1, high=100_000, required=True)


class MoneyData(_Strict):
    lot = LotId(required=True)
    counterparty = Gln(required=True)
    amount = private(measure("money", required=True), CONFIDENTIAL)
    currency = private(Choice(sorted(ISO_4217), required=True), CONFIDENTIAL)
    agreed_on = private(Date(), CONFIDENTIAL)
    due_on = private(Date(), CONFIDENTIAL)
    paid_on = private(Date(), CONFIDENTIAL)


class TrainingData(_Strict):
    topic = Text(max_length=200, required=True)
    hours = quantity("hour", required=True)
    participant_count = count(required=True)
    participants = private(_text_list(), PERSONAL)


class RecallData(_Strict):
    """Recalls the lots named, or confirms the recall request of entry ``request`` (whose lot,
    reason and consumer advice it takes unless it gives its own)."""

    lots = fields.List(LotId(), validate=item_count(1, MAX_LIST))
    request = count(low=0, high=2**53 - 1)
    reason = Text(max_length=1000, multiline=True)
    consumer_action = Text(max_length=1000, multiline=True)

    @validates_schema
    def one_reference(self, data: dict[str, Any], **kwargs: Any) -> None:
        if kwargs.get("partial"):
            return  # a correction changes some fields; the rest are as recorded
        if ("lots" in data) == ("request" in data):
            raise ValidationError(Message(N_("Give either lots or request.")), "lots")
        if "lots" in data:
            for name in ("reason", "consumer_action"):
                if name not in data:
                    raise ValidationError(Message(N_("Missing data for required field.")), name)
            _distinct_lots(data["lots"], "lots")


class RecallRequestData(_Strict):
    """A holder asks the creator of a lot (or an authority) to recall it."""

    lot = LotId(required=True)
    reason = Text(max_length=1000, multiline=True, required=True)
    consumer_action = Text(max_length=1000, multiline=True)


class RecallDismissData(_Strict):
    """The lot's creator or an authority dismisses the recall request of entry ``request``."""

    request = count(low=0, high=2**53 - 1, required=True)
    reason = Text(max_length=1000, multiline=True, required=True)


class RecallLiftData(_Strict):
    """Names the recall by its entry index, or by a lot it recalled."""

    recall = count(low=0, high=2**53 - 1)
    lot = LotId()
    reason = Text(max_length=1000, multiline=True, required=True)

    @validates_schema
    def one_reference(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("recall" in data) == ("lot" in data):
            raise ValidationError(Message(N_("Give either recall or lot.")), "recall")


class HoldReleaseData(_Strict):
    """Releases the hold of entry ``hold`` (default: the lot's newest) from every lot it is on."""

    lot = LotId(required=True)
    hold = count(low=0, high=2**53 - 1)
    reason = Text(max_length=1000, multiline=True, required=True)


class CertificateIssueData(_Strict):
    scheme = Choice(CERTIFICATE_SCHEMES, required=True)
    number = Text(max_length=64, pattern=r"[A-Za-z0-9][A-Za-z0-9._-]*", required=True)
    body = Gln(required=True)
    holder = Gln(required=True)
    # Empty means every location of the holder.
    locations = fields.List(
        Gln(), validate=lambda items: item_count(1, MAX_LIST)(items) if items else None
    )
    products = fields.List(Choice(tuple(PRODUCT_KINDS)))
    valid_from = Date(required=True)
    valid_to = Date(required=True)

    @validates_schema
    def plausible_term(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "valid_from" not in data or "valid_to" not in data:
            return
        start = datetime.date.fromisoformat(data["valid_from"])
        latest = years_after(start, CERTIFICATE_MAX_YEARS)
        if data["valid_to"] > latest.isoformat():
            raise ValidationError(
                Message(
                    N_("A certificate is valid for at most {years} years: until {latest}."),
                    years=CERTIFICATE_MAX_YEARS,
                    latest=latest.isoformat(),
                ),
                "valid_to",
            )


class CertificateRevokeData(_Strict):
    certificate = Text(max_length=256, pattern=r"cert:[a-z_]+/\S+", required=True)
    reason = Text(max_length=1000, multiline=True, required=True)
    effective = Date(required=True)


class CorrectionData(_Strict):
    """Names the corrected entry by index, or by the idempotency key the caller sent with it."""

    corrects = count(low=0, high=2**53 - 1)
    corrects_key = Text(max_length=128, pattern=r"[\x21-\x7e]+", pattern_hint="visible ASCII")
    corrected_type = Choice(tuple(EVENT_TYPES), required=True)
    reason = Text(max_length=1000, multiline=True, required=True)
    changes = fields.Dict(required=True)

    @validates_schema
    def changes_are_valid(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("corrects" in data) == ("corrects_key" in data):
            raise ValidationError(Message(N_("Give either corrects or corrects_key.")), "corrects")
        changes = data.get("changes")
        schema = DATA_SCHEMAS.get(data.get("corrected_type", ""))
        if not changes or schema is None:
            if not changes:
                raise ValidationError(Message(N_("Give at least one corrected field.")), "changes")
            return
        whole: list[str] = []
        for name in changes:
            declared = schema._declared_fields.get(name)
            if declared is not None and declared.metadata.get("classification"):
                raise ValidationError(
                    {name: [Message(N_("Private fields are corrected off the public log."))]},
                    "changes",
                )
            if isinstance(declared, fields.Nested | fields.List):
                whole.append(name)  # replaced whole, so checked whole below
        try:
            loaded = schema(partial=True).load(changes)
            if whole:
                schema(partial=tuple(set(schema._declared_fields) - set(whole))).load(
                    {name: changes[name] for name in whole}
                )
        except ValidationError as error:
            raise ValidationError(error.messages, "changes") from None
        data["changes"] = loaded


DATA_SCHEMAS: dict[str, type[Schema]] = {
    "farm_input.fertiliser": FertiliserData,
    "farm_input.pesticide": PesticideData,
    "farm_input.irrigation": IrrigationData,
    "energy_use": EnergyUseData,
    "flock.placement": PlacementData,
    "flock.feed": FeedData,
    "flock.vaccination": VaccinationData,
    "flock.treatment": TreatmentData,
    "flock.loss": FlockLossData,
    "flock.weighing": WeighingData,
    "harvest": HarvestData,
    "slaughter": SlaughterData,
    "pack": PackData,
    "merge": MergeData,
    "transform": TransformData,
    "ship": ShipData,
    "receive": ReceiveData,
    "retail_receive": ReceiveData,
    "store": StoreData,
    "cooling": CoolingData,
    "inspect": InspectData,
    "slaughter_inspection": SlaughterInspectionData,
    "internal_audit": AuditData,
    "non_conformity": AuditData,
    "complaint": ComplaintData,
    "sell": SellData,
    "loss": LossData,
    "label.issue": LabelIssueData,
    "purchase": MoneyData,
    "payment": MoneyData,
    "training": TrainingData,
    "recall": RecallData,
    "recall.request": RecallRequestData,
    "recall.dismiss": RecallDismissData,
    "recall_lift": RecallLiftData,
    "hold_release": HoldReleaseData,
    "correction": CorrectionData,
    "cert.issue": CertificateIssueData,
    "cert.revoke": CertificateRevokeData,
}
assert set(DATA_SCHEMAS) == set(EVENT_TYPES), "every event type needs a data schema"


def classification(event_type: str, field_name: str) -> str:
    declared = DATA_SCHEMAS[event_type]._declared_fields.get(field_name)
    if declared is None:
        return PUBLIC
    return str(declared.metadata.get("classification", PUBLIC))


def private_fields(event_type: str) -> dict[str, str]:
    """The confidential and personal fields of a type, with their classification."""
    return {
        name: str(declared.metadata["classification"])
        for name, declared in DATA_SCHEMAS[event_type]._declared_fields.items()
        if declared.metadata.get("classification")
    }


class CommandSchema(_Strict):
    type = Choice(tuple(EVENT_TYPES), required=True)
    event_time = CanonicalTime(required=True)
    data = fields.Dict(required=True)
    idempotency_key = Text(max_length=128, pattern=r"[\x21-\x7e]+", pattern_hint="visible ASCII")
    late_reason = Text(max_length=500)

    @post_load
    def make(self, loaded: dict[str, Any], **kwargs: Any) -> Command:
        schema = _DATA_INSTANCES[loaded["type"]]
        try:
            data = schema.load(loaded["data"])
            check_date_windows(data, loaded["event_time"])
        except ValidationError as error:
            raise ValidationError({"data": error.messages}) from None
        secret = private_fields(loaded["type"])
        return Command(
            type=loaded["type"],
            event_time=loaded["event_time"],
            data={k: v for k, v in data.items() if k not in secret},
            private={k: v for k, v in data.items() if k in secret},
            idempotency_key=loaded.get("idempotency_key"),
            late_reason=loaded.get("late_reason"),
        )


_DATA_INSTANCES = {name: schema() for name, schema in DATA_SCHEMAS.items()}
_COMMAND = CommandSchema()


def load_command(raw: Any) -> Command:
    """Validate one event request; raises ``ValidationError`` naming each bad field."""
    if not isinstance(raw, Mapping):
        raise ValidationError({"$": [Message(N_("An event is a JSON object."))]})
    command: Command = _COMMAND.load(raw)
    return command
