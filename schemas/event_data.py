"""What each supply-chain event type carries in its ``data``, validated field by field.

Each type's schema also classifies its fields: public fields go into the ledger entry;
confidential (prices, money) and personal (names, contacts) fields are marked with
``metadata={"classification": ...}`` and become private fields, which the ledger stores as
salted commitments and keeps out of its public bytes.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, TypeVar

from marshmallow import RAISE, Schema, ValidationError, fields, validates_schema

from ledger.common.messages import N_, Message
from ledger.supplychain.vocabulary import (
    CERTIFICATE_MAX_YEARS,
    CERTIFICATE_SCHEMES,
    ENERGY_SOURCES,
    EVENT_TYPES,
    LOSS_CAUSES,
    LOT_QUANTITY,
    PRODUCT_KINDS,
    TRANSFORM_KINDS,
    VEHICLE_CLASSES,
)
from schemas.currencies import ISO_4217
from schemas.event_fields import (
    Amount,
    Choice,
    Date,
    Gln,
    InputProductCode,
    LotCode,
    LotId,
    Pseudonym,
    Sscc,
    StrictBoolean,
    count,
    data_source,
    item_count,
    measure,
    percent,
    photo_hashes,
    quantity,
    years_after,
)
from schemas.fields import Text

PUBLIC = "public"
CONFIDENTIAL = "confidential"
PERSONAL = "personal"
MAX_LIST = 100


AnyField = TypeVar("AnyField", bound=fields.Field[Any])


def private(field: AnyField, classification: str) -> AnyField:
    field.metadata = {**field.metadata, "classification": classification}
    return field


class StrictSchema(Schema):
    """Refuses a field it does not declare: a misspelt field is an error, never silently lost."""

    class Meta:
        unknown = RAISE


class TemperatureSummary(StrictSchema):
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


class LotQuantity(StrictSchema):
    lot = LotId(required=True)
    quantity = quantity(required=True)


class PackOutput(StrictSchema):
    lot = LotId(required=True)
    quantity = quantity(required=True)
    units = count()
    best_before = Date()


def _list(schema: type[Schema], low: int = 1, **kwargs: Any) -> fields.List[dict[str, Any]]:
    return fields.List(fields.Nested(schema), validate=item_count(low, MAX_LIST), **kwargs)


def _text_list(low: int = 1, **kwargs: Any) -> fields.List[str]:
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


#: Why a quantity beyond its product's plausibility bound is right (see
#: ``ledger.supplychain.recording.plausibility``).
PLAUSIBILITY_REASON_LENGTH = 500


def _plausibility_reason() -> Text:
    return Text(max_length=PLAUSIBILITY_REASON_LENGTH)


class FertiliserData(StrictSchema):
    plot = Gln(required=True)
    #: The input product chosen from master data; the facts below are copied from it.
    input_product = InputProductCode()
    product = Text(max_length=200, required=True)
    n_pct = percent()
    p_pct = percent()
    k_pct = percent()
    quantity_kg = quantity("kg", required=True)
    data_source = data_source()
    photos = photo_hashes()


class PesticideData(StrictSchema):
    plot = Gln(required=True)
    input_product = InputProductCode()
    product = Text(max_length=200, required=True)
    registration_no = Text(max_length=64, required=True)
    active_ingredients = _text_list(required=True)
    dose = quantity("dose", required=True)
    dose_unit = Text(max_length=32, required=True)
    area_ha = quantity("ha", required=True)
    phi_days = count(low=0, high=365, required=True)
    operator = Pseudonym(required=True)
    data_source = data_source()
    photos = photo_hashes()


class IrrigationData(StrictSchema):
    plot = Gln(required=True)
    volume_m3 = quantity("m3", required=True)
    data_source = data_source()


class EnergyUseData(StrictSchema):
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


class PlacementData(StrictSchema):
    house = Gln(required=True)
    lot = LotId(required=True)
    breed = Text(max_length=100, required=True)
    head_count = count(required=True)
    photos = photo_hashes()


class FeedData(StrictSchema):
    flock = LotId(required=True)
    input_product = InputProductCode()
    feed_type = Text(max_length=200, required=True)
    quantity_kg = quantity("kg", required=True)
    data_source = data_source()


class VaccinationData(StrictSchema):
    flock = LotId(required=True)
    input_product = InputProductCode()
    product = Text(max_length=200, required=True)
    active_substance = Text(max_length=200, required=True)
    dose = quantity("dose", required=True)
    dose_unit = Text(max_length=32, required=True)
    withdrawal_days = count(low=0, high=365, load_default=0)
    vet = Pseudonym(required=True)
    photos = photo_hashes()


class TreatmentData(VaccinationData):
    withdrawal_days = count(low=0, high=365, required=True)


class FlockLossData(StrictSchema):
    flock = LotId(required=True)
    count = count(required=True)
    cause = Choice(LOSS_CAUSES, required=True)
    reason = Text(max_length=500)
    photos = photo_hashes()


class WeighingData(StrictSchema):
    flock = LotId(required=True)
    mean_kg = quantity("kg", required=True)
    sample_size = count(required=True)
    data_source = data_source()
    photos = photo_hashes()
    plausibility_reason = _plausibility_reason()


class HarvestData(StrictSchema):
    plot = Gln(required=True)
    lot = LotId(required=True)
    quantity = quantity(required=True)
    data_source = data_source()
    photos = photo_hashes()
    plausibility_reason = _plausibility_reason()


class SlaughterData(StrictSchema):
    flock = LotId(required=True)
    head_count = count(required=True)
    lot = LotId(required=True)
    carcass_kg = quantity("kg", required=True)
    site = Gln()
    supervisor_reason = Text(max_length=500)
    plausibility_reason = _plausibility_reason()


class PackData(StrictSchema):
    input = LotId(required=True)
    outputs = _list(PackOutput, required=True)
    waste = measure(LOT_QUANTITY)

    @validates_schema
    def distinct(self, data: dict[str, Any], **kwargs: Any) -> None:
        if kwargs.get("partial"):
            return  # a correction changes some fields; the rest are as recorded
        lots = [output["lot"] for output in data.get("outputs", [])]
        _distinct_lots([data.get("input", ""), *lots], "outputs")


class MergeData(StrictSchema):
    inputs = _list(LotQuantity, low=2, required=True)
    output = LotId(required=True)

    @validates_schema
    def distinct(self, data: dict[str, Any], **kwargs: Any) -> None:
        if kwargs.get("partial"):
            return  # a correction changes some fields; the rest are as recorded
        _distinct_lots([item["lot"] for item in data.get("inputs", [])], "inputs")


class TransformData(StrictSchema):
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


class ShipData(StrictSchema):
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


class ReceiveData(StrictSchema):
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


class StoreData(StrictSchema):
    lot = LotId(required=True)
    direction = Choice(("in", "out"), required=True)
    site = Gln(required=True)
    temperature = fields.Nested(TemperatureSummary)


class CoolingData(StrictSchema):
    lot = LotId(required=True)
    site = Gln()
    temperature = fields.Nested(TemperatureSummary, required=True)


class _About(StrictSchema):
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


class SlaughterInspectionData(StrictSchema):
    lot = LotId(required=True)
    inspector = Pseudonym(required=True)
    result = Choice(("pass", "fail"), required=True)
    condemned_kg = measure("kg")
    notes = Text(max_length=2000, multiline=True)


class AuditData(_About):
    summary = Text(max_length=2000, multiline=True, required=True)
    severity = Choice(("minor", "major", "critical"))
    result = Choice(("pass", "fail"))


class ComplaintData(StrictSchema):
    lot = LotId(required=True)
    summary = Text(max_length=2000, multiline=True, required=True)
    complainant_contact = private(Text(max_length=200), PERSONAL)


class Money(StrictSchema):
    amount = measure("money", required=True)
    currency = Choice(sorted(ISO_4217), required=True)


class SellData(StrictSchema):
    lot = LotId(required=True)
    quantity = quantity(required=True)
    price = private(fields.Nested(Money), CONFIDENTIAL)


class LossData(StrictSchema):
    lot = LotId(required=True)
    quantity = quantity(required=True)
    stage = Choice(("farm", "transport", "storage", "processing", "retail"), required=True)
    reason = Text(max_length=500, required=True)


class LabelIssueData(StrictSchema):
    """Labels for a packed lot: the ledger allocates ``count`` serials of its GTIN."""

    lot = LotId(required=True)
    count = count(low=1, high=100_000, required=True)


class MoneyData(StrictSchema):
    lot = LotId(required=True)
    counterparty = Gln(required=True)
    amount = private(measure("money", required=True), CONFIDENTIAL)
    currency = private(Choice(sorted(ISO_4217), required=True), CONFIDENTIAL)
    agreed_on = private(Date(), CONFIDENTIAL)
    due_on = private(Date(), CONFIDENTIAL)
    paid_on = private(Date(), CONFIDENTIAL)


class TrainingData(StrictSchema):
    topic = Text(max_length=200, required=True)
    hours = quantity("hour", required=True)
    participant_count = count(required=True)
    participants = private(_text_list(), PERSONAL)


class RecallData(StrictSchema):
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


class RecallRequestData(StrictSchema):
    """A holder asks the creator of a lot (or an authority) to recall it."""

    lot = LotId(required=True)
    reason = Text(max_length=1000, multiline=True, required=True)
    consumer_action = Text(max_length=1000, multiline=True)


class RecallDismissData(StrictSchema):
    """The lot's creator or an authority dismisses the recall request of entry ``request``."""

    request = count(low=0, high=2**53 - 1, required=True)
    reason = Text(max_length=1000, multiline=True, required=True)


class RecallLiftData(StrictSchema):
    """Names the recall by its entry index, or by a lot it recalled."""

    recall = count(low=0, high=2**53 - 1)
    lot = LotId()
    reason = Text(max_length=1000, multiline=True, required=True)

    @validates_schema
    def one_reference(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("recall" in data) == ("lot" in data):
            raise ValidationError(Message(N_("Give either recall or lot.")), "recall")


class HoldReleaseData(StrictSchema):
    """Releases the hold of entry ``hold`` (default: the lot's newest) from every lot it is on."""

    lot = LotId(required=True)
    hold = count(low=0, high=2**53 - 1)
    reason = Text(max_length=1000, multiline=True, required=True)


class CertificateIssueData(StrictSchema):
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


class CertificateRevokeData(StrictSchema):
    certificate = Text(max_length=256, pattern=r"cert:[a-z_]+/\S+", required=True)
    reason = Text(max_length=1000, multiline=True, required=True)
    effective = Date(required=True)


class CorrectionData(StrictSchema):
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
