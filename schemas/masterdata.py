"""Master data as clients send it: organisations, locations and products, with a reason.

Every change says why (``reason``), which goes into the record's version history. A client may
send back the body it read: the key, ``version`` (checked, so that a change made meanwhile is
not overwritten), and the read-only ``certificates`` and ``restricted`` are accepted; absent
values may be null.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypedDict

from marshmallow import RAISE, Schema, ValidationError, fields, validates_schema

from ledger.common.messages import N_, Message
from ledger.supplychain.places import DIVISIONS
from ledger.supplychain.vocabulary import LOCATION_KINDS, ORGANISATION_ROLES, PRODUCT_KINDS, UNITS
from schemas.event_fields import Amount, Choice, Gln, StrictBoolean, measure
from schemas.fields import Text, check_gtin


#: GSO codes, with or without their leading zeros (``1`` is province ``01``).
class _GsoCode(TypedDict):
    """How a statistics office (GSO) code of a division is checked."""

    max_length: int
    pattern: str
    pattern_hint: str


_PROVINCE: _GsoCode = {
    "max_length": 2,
    "pattern": r"[0-9]{1,2}",
    "pattern_hint": "the GSO code, e.g. 33",
}
_DISTRICT: _GsoCode = {
    "max_length": 3,
    "pattern": r"[0-9]{1,3}",
    "pattern_hint": "the GSO code, e.g. 332",
}
_COMMUNE: _GsoCode = {
    "max_length": 5,
    "pattern": r"[0-9]{1,5}",
    "pattern_hint": "the GSO code, e.g. 12361",
}


class _Strict(Schema):
    class Meta:
        unknown = RAISE

    reason = Text(max_length=500, load_only=True)
    #: The version the client read; a PUT of an older one is refused (409).
    version = fields.Integer(strict=True, validate=lambda v: v >= 0)
    #: What a GET adds and a PUT ignores.
    restricted = StrictBoolean()


def _roles(items: list[str]) -> None:
    if not 1 <= len(items) <= len(ORGANISATION_ROLES):
        raise ValidationError(Message(N_("Give at least one role.")))


class OrganisationInput(_Strict):
    gln = Gln()
    name = Text(max_length=200, required=True)
    roles = fields.List(Choice(ORGANISATION_ROLES), required=True, validate=_roles)
    member_of = Gln(allow_none=True)
    #: The edition of the divisions the codes belong to; a new record's default is 2025, a
    #: change that leaves it out keeps the record's edition.
    divisions = Choice(DIVISIONS, allow_none=True)
    province_code = Text(allow_none=True, **_PROVINCE)
    district_code = Text(allow_none=True, **_DISTRICT)
    commune_code = Text(allow_none=True, **_COMMUNE)
    active = StrictBoolean(load_default=True)
    certificates = fields.List(fields.Dict())


class LocationInput(_Strict):
    gln = Gln()
    organisation = Gln(required=True)
    kind = Choice(LOCATION_KINDS, required=True)
    name = Text(max_length=200, required=True)
    divisions = Choice(DIVISIONS, allow_none=True)
    #: In the 2025 edition, the area (former district) of the commune: filled in when left out.
    district_code = Text(allow_none=True, **_DISTRICT)
    commune_code = Text(allow_none=True, **_COMMUNE)
    in_gi_area = StrictBoolean(load_default=False)
    area_ha = measure(allow_none=True)
    usable_area_m2 = measure(allow_none=True)
    latitude = Amount(minimum=None, maximum=None, allow_none=True)
    longitude = Amount(minimum=None, maximum=None, allow_none=True)
    #: Organisations the owner lets act here (a cold store's or packhouse's clients).
    clients = fields.List(Gln(), validate=lambda items: len(items) <= 500)
    active = StrictBoolean(load_default=True)

    @validates_schema
    def coordinates(self, data: dict[str, Any], **kwargs: Any) -> None:
        for name in ("latitude", "longitude"):
            if data.get(name) is None:
                data.pop(name, None)
        if ("latitude" in data) != ("longitude" in data):
            raise ValidationError(Message(N_("Give both latitude and longitude.")), "latitude")
        if "latitude" in data and not (
            -90 <= Decimal(data["latitude"]) <= 90 and -180 <= Decimal(data["longitude"]) <= 180
        ):
            raise ValidationError(Message(N_("Not a position on Earth.")), "latitude")


class ProductInput(_Strict):
    gtin = fields.String()
    kind = Choice(tuple(PRODUCT_KINDS), required=True)
    unit = Choice(UNITS, required=True)
    name_vi = Text(max_length=200, required=True)
    name_en = Text(max_length=200, required=True)
    active = StrictBoolean(load_default=True)


class ClientsInput(Schema):
    """The organisations that may act at a site, set by its owner."""

    class Meta:
        unknown = RAISE

    clients = fields.List(Gln(), required=True, validate=lambda items: len(items) <= 500)
    reason = Text(max_length=500, required=True, load_only=True)


def load_gtin(value: str) -> str:
    try:
        return check_gtin(value)
    except ValidationError as error:
        raise ValidationError({"gtin": error.messages}) from None


INPUT_SCHEMAS: dict[str, type[Schema]] = {
    "organisation": OrganisationInput,
    "location": LocationInput,
    "product": ProductInput,
}
