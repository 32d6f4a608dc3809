"""Shapes of the REST API's answers and query parameters (rendered by flask-smorest)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields

from ledger.supplychain.custody import ACTIVE, DEPLETED, IN_TRANSIT, LOT_STATUSES
from schemas.event_fields import Amount, Choice, Gln, between, item_count
from schemas.events import CommandSchema
from schemas.fields import CanonicalTime, Text, check_gtin

MAX_BATCH = 1000


class Query(Schema):
    class Meta:
        unknown = RAISE


class ErrorSchema(Schema):
    """Every error answer: a stable code, a message in the caller's language, field errors."""

    code = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Dict(required=True)


# --- events ------------------------------------------------------------------------------------


class RecordedSchema(Schema):
    index = fields.Integer(required=True)
    leaf_hash = fields.String(required=True)
    recorded_at = fields.String(required=True)
    type = fields.String(required=True)
    repeated = fields.Boolean(required=True)
    lots = fields.List(fields.String(), required=True)
    warnings = fields.List(fields.String(), required=True)


class BatchSchema(Query):
    events = fields.List(
        fields.Nested(CommandSchema), required=True, validate=item_count(1, MAX_BATCH)
    )


class BatchResultSchema(Schema):
    results = fields.List(fields.Nested(RecordedSchema), required=True)


# --- lots --------------------------------------------------------------------------------------


class GtinField(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return check_gtin(super()._deserialize(value, attr, data, **kwargs))


class LotSchema(Schema):
    id = fields.String(required=True)
    gtin = fields.String(required=True)
    lot = fields.String(required=True)
    holder = fields.String(required=True)
    creator = fields.String(required=True)
    quantity = fields.String(required=True)
    created_quantity = fields.String(required=True)
    unit = fields.String(required=True)
    #: The most pressing of recalled, on hold, depleted, expired, in transit, active.
    status = fields.String(required=True, metadata={"enum": list(LOT_STATUSES)})
    #: Custody alone, whatever blocks the lot: what ships, receives and sells go by.
    custody = fields.String(required=True, metadata={"enum": [ACTIVE, IN_TRANSIT, DEPLETED]})
    receiver = fields.String(allow_none=True, required=True)
    recalled_by = fields.Integer(allow_none=True, required=True)
    on_hold_by = fields.Integer(allow_none=True, required=True)
    created_entry = fields.Integer(required=True)
    created_event_time = fields.String(required=True)
    best_before = fields.String(allow_none=True, required=True)
    units = fields.Integer(allow_none=True, required=True)
    origin = fields.List(fields.Dict(), required=True)


class RecallRequestSchema(Schema):
    entry = fields.Integer(required=True)
    lot = fields.String(required=True)
    requested_by = fields.String(required=True)
    reason = fields.String(required=True)
    consumer_action = fields.String(allow_none=True, required=True)
    status = fields.String(required=True)
    decided_by_entry = fields.Integer(allow_none=True, required=True)


class RecallRequestQuery(Query):
    status = Choice(("open", "confirmed", "dismissed", "all"), load_default="open")
    limit = fields.Integer(load_default=100, validate=between(1, 500))


class LotDetailSchema(LotSchema):
    #: Open recall requests on the lot and on what it was made or split from.
    recall_requests = fields.List(fields.Nested(RecallRequestSchema), required=True)


class LotQuerySchema(Query):
    gtin = GtinField()
    lot = Text(max_length=20)
    holder = Gln()
    status = Choice(LOT_STATUSES)
    created_from = CanonicalTime()
    created_to = CanonicalTime()
    after = Text(max_length=256)
    limit = fields.Integer(load_default=50, validate=between(1, 200))


class LotPageSchema(Schema):
    items = fields.List(fields.Nested(LotSchema), required=True)
    next_after = fields.String(allow_none=True, required=True)


class EventsQuerySchema(Query):
    after = fields.Integer(load_default=-1, validate=between(-1, 2**53 - 1))
    limit = fields.Integer(load_default=100, validate=between(1, 1000))


class CorrectionSchema(Schema):
    index = fields.Integer(required=True)
    reason = fields.String(required=True)
    changes = fields.Dict(required=True)


class LotEventSchema(Schema):
    index = fields.Integer(required=True)
    leaf_hash = fields.String(required=True)
    type = fields.String(required=True)
    biz_step = fields.String(required=True)
    event_time = fields.String(required=True)
    recorded_at = fields.String(required=True)
    actor = fields.String(required=True)
    role = fields.String(required=True)
    payload = fields.Dict(required=True)
    corrections = fields.List(fields.Nested(CorrectionSchema), required=True)
    corrected_payload = fields.Dict(required=True)


class LotEventsSchema(Schema):
    lot = fields.String(required=True)
    events = fields.List(fields.Nested(LotEventSchema), required=True)
    next_after = fields.Integer(allow_none=True, required=True)


class EdgeSchema(Schema):
    parent = fields.String(required=True)
    child = fields.String(required=True)
    entry = fields.Integer(required=True)
    quantity = fields.String(required=True)


class InputSchema(Schema):
    entry = fields.Integer(required=True)
    type = fields.String(required=True)
    event_time_utc = fields.String(required=True)


class OriginSchema(Schema):
    lot = fields.String(required=True)
    source = fields.String(required=True)
    facts = fields.List(fields.Dict(), required=True)
    inputs = fields.List(fields.Nested(InputSchema), required=True)


class TraceBackSchema(Schema):
    lot = fields.String(required=True)
    lots = fields.List(fields.Nested(LotSchema), required=True)
    edges = fields.List(fields.Nested(EdgeSchema), required=True)
    origins = fields.List(fields.Nested(OriginSchema), required=True)
    truncated = fields.Boolean(required=True)


class TraceForwardSchema(Schema):
    lot = fields.String(required=True)
    lots = fields.List(fields.Nested(LotSchema), required=True)
    edges = fields.List(fields.Nested(EdgeSchema), required=True)
    holders = fields.List(fields.String(), required=True)
    truncated = fields.Boolean(required=True)


# --- master data -------------------------------------------------------------------------------


class CertificateSchema(Schema):
    id = fields.String(required=True)
    scheme = fields.String(required=True)
    number = fields.String(required=True)
    holder = fields.String(required=True)
    valid_from = fields.String(required=True)
    valid_to = fields.String(required=True)
    revoked_on = fields.String(allow_none=True, required=True)


class OrganisationSchema(Schema):
    gln = fields.String(required=True)
    #: Null where the caller may not read a household's name (``restricted``).
    name = fields.String(allow_none=True, required=True)
    roles = fields.List(fields.String(), required=True)
    member_of = fields.String(allow_none=True, required=True)
    #: "2025" or "pre-2025": the edition of the divisions the codes belong to.
    divisions = fields.String(required=True)
    province_code = fields.String(allow_none=True, required=True)
    district_code = fields.String(allow_none=True, required=True)
    commune_code = fields.String(allow_none=True, required=True)
    active = fields.Boolean(required=True)
    version = fields.Integer(required=True)
    #: Held by the organisation, or by its cooperative for its members.
    certificates = fields.List(fields.Nested(CertificateSchema), required=True)
    #: True when a household's personal fields are left out for this caller.
    restricted = fields.Boolean(required=True)


class LocationSchema(Schema):
    gln = fields.String(required=True)
    organisation = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(allow_none=True, required=True)
    divisions = fields.String(required=True)
    district_code = fields.String(allow_none=True, required=True)
    commune_code = fields.String(allow_none=True, required=True)
    in_gi_area = fields.Boolean(required=True)
    area_ha = fields.String(allow_none=True, required=True)
    usable_area_m2 = fields.String(allow_none=True, required=True)
    latitude = fields.String(allow_none=True, required=True)
    longitude = fields.String(allow_none=True, required=True)
    clients = fields.List(fields.String(), required=True)
    crop = fields.String(allow_none=True, required=True)
    active = fields.Boolean(required=True)
    version = fields.Integer(required=True)
    restricted = fields.Boolean(required=True)


class ProductSchema(Schema):
    gtin = fields.String(required=True)
    kind = fields.String(required=True)
    unit = fields.String(required=True)
    name_vi = fields.String(required=True)
    name_en = fields.String(required=True)
    max_harvest_kg_per_ha = fields.String(allow_none=True, required=True)
    max_live_kg_per_head = fields.String(allow_none=True, required=True)
    max_carcass_kg_per_head = fields.String(allow_none=True, required=True)
    active = fields.Boolean(required=True)
    version = fields.Integer(required=True)
    restricted = fields.Boolean(required=True)


class ActiveIngredientSchema(Schema):
    name = fields.String(required=True)
    concentration = fields.String(allow_none=True, required=True)


class InputProductSchema(Schema):
    """A farm input as registered: public product facts."""

    code = fields.String(required=True)
    category = fields.String(required=True)
    name = fields.String(required=True)
    registration_no = fields.String(allow_none=True, required=True)
    active_ingredients = fields.List(fields.Nested(ActiveIngredientSchema), required=True)
    crops = fields.List(fields.String(), required=True)
    phi_days = fields.Integer(allow_none=True, required=True)
    withdrawal_days = fields.Integer(allow_none=True, required=True)
    dose_unit = fields.String(allow_none=True, required=True)
    n_pct = fields.String(allow_none=True, required=True)
    p_pct = fields.String(allow_none=True, required=True)
    k_pct = fields.String(allow_none=True, required=True)
    active = fields.Boolean(required=True)
    version = fields.Integer(required=True)
    restricted = fields.Boolean(required=True)


class MasterPageQuery(Query):
    #: The last key of the page before: a GLN, a GTIN or an input product's code.
    after = Text(max_length=64)
    limit = fields.Integer(load_default=100, validate=between(1, 500))


class VersionSchema(Schema):
    version = fields.Integer(required=True)
    data = fields.Dict(required=True)
    changed_by = fields.String(required=True)
    changed_at = fields.String(required=True)
    reason = fields.String(required=True)


# --- sessions ----------------------------------------------------------------------------------


class LoginSchema(Query):
    username = Text(max_length=64, required=True)
    password = fields.String(required=True, load_only=True, validate=lambda v: len(v) <= 1024)


class PasswordChangeSchema(Query):
    current_password = fields.String(
        required=True, load_only=True, validate=lambda v: len(v) <= 1024
    )
    new_password = fields.String(required=True, load_only=True, validate=lambda v: len(v) <= 1024)


class SessionSchema(Schema):
    username = fields.String(required=True)
    role = fields.String(required=True)
    organisation = fields.String(allow_none=True, required=True)
    csrf_token = fields.String(required=True)


# --- labels ------------------------------------------------------------------------------------


class LabelIssueSchema(Schema):
    entry = fields.Integer(required=True)
    first_serial = fields.String(required=True)
    last_serial = fields.String(required=True)
    count = fields.Integer(required=True)
    issuer = fields.String(required=True)
    label_key = fields.String(required=True)


class LotLabelsSchema(Schema):
    lot = fields.String(required=True)
    issued = fields.Integer(required=True)
    issues = fields.List(fields.Nested(LabelIssueSchema), required=True)


class AreaSchema(Query):
    """Where a shopper scanned a label, shared by choice; rounded before it is kept."""

    url = fields.String(required=True, validate=lambda v: len(v) <= 512)
    #: Decimal strings by the canonical rule, as everywhere: no "+", spaces or exponents.
    latitude = Amount(minimum=None, maximum=None, required=True)
    longitude = Amount(minimum=None, maximum=None, required=True)


class ScanSerialSchema(Schema):
    serial = fields.String(required=True)
    scans = fields.Integer(required=True)
    devices = fields.Integer(required=True)
    days = fields.Integer(required=True)
    areas = fields.Integer(required=True)
    most_clients_in_a_day = fields.Integer(required=True)
    first_day = fields.String(allow_none=True, required=True)
    last_day = fields.String(allow_none=True, required=True)
    may_be_copied = fields.Boolean(required=True)
    warning = fields.String(allow_none=True, required=True)


class ScanDaySchema(Schema):
    day = fields.String(required=True)
    scans = fields.Integer(required=True)


class LotScansSchema(Schema):
    lot = fields.String(required=True)
    scans = fields.Integer(required=True)
    serials_scanned = fields.Integer(required=True)
    may_be_copied = fields.List(fields.Nested(ScanSerialSchema), required=True)
    per_day = fields.List(fields.Nested(ScanDaySchema), required=True)
    serials = fields.List(fields.Nested(ScanSerialSchema), required=True)
