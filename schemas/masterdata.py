"""Master data as clients send it: organisations, locations, products and input products, with a
reason.

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
from ledger.supplychain.vocabulary import (
    CROP_KINDS,
    INPUT_CATEGORIES,
    LOCATION_KINDS,
    ORGANISATION_ROLES,
    PRODUCT_KINDS,
    UNITS,
)
from schemas.event_fields import (
    Amount,
    Choice,
    Gln,
    InputProductCode,
    StrictBoolean,
    count,
    item_count,
    measure,
    percent,
    quantity,
)
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
    #: What a farm plot grows (a kind of harvested product).
    crop = Choice(CROP_KINDS, allow_none=True)
    active = StrictBoolean(load_default=True)

    @validates_schema
    def crop_of_a_plot(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("crop") and data.get("kind") != "farm_plot":
            raise ValidationError(Message(N_("Only a farm plot has a crop.")), "crop")

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
    #: Plausibility bounds: beyond them an event needs ``plausibility_reason``.
    max_harvest_kg_per_ha = quantity("kg", allow_none=True)
    max_live_kg_per_head = quantity("kg", allow_none=True)
    max_carcass_kg_per_head = quantity("kg", allow_none=True)
    active = StrictBoolean(load_default=True)

    @validates_schema
    def bounds_of_the_kind(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Each bound is of the one kind of event it bounds: a harvest's of a crop, a
        weighing's of live birds, a slaughter's of carcasses."""
        for name, kinds in _BOUND_KINDS.items():
            if data.get(name) is not None and data.get("kind") not in kinds:
                raise ValidationError(
                    Message(
                        N_("Only products of the kinds {kinds} have {field}."),
                        kinds=", ".join(kinds),
                        field=name,
                    ),
                    name,
                )


_BOUND_KINDS = {
    "max_harvest_kg_per_ha": CROP_KINDS,
    "max_live_kg_per_head": ("live_chicken",),
    "max_carcass_kg_per_head": ("chicken_carcass",),
}


class ActiveIngredientInput(Schema):
    class Meta:
        unknown = RAISE

    name = Text(max_length=200, required=True)
    concentration = Text(max_length=64, allow_none=True)


#: What each category of input must say, and what it may not: a pesticide is registered for
#: crops and has a pre-harvest interval, a veterinary drug a withdrawal period, a fertiliser
#: its nutrients.
_REQUIRED = {
    "pesticide": ("registration_no", "active_ingredients", "crops", "phi_days"),
    "veterinary": ("registration_no", "active_ingredients", "withdrawal_days"),
    "vaccine": ("registration_no", "active_ingredients"),
    "fertiliser": (),
    "feed": (),
}
_ONLY_FOR = {
    "crops": ("pesticide",),
    "phi_days": ("pesticide",),
    "withdrawal_days": ("veterinary", "vaccine"),
    "n_pct": ("fertiliser",),
    "p_pct": ("fertiliser",),
    "k_pct": ("fertiliser",),
}


class InputProductInput(_Strict):
    code = fields.String()
    category = Choice(INPUT_CATEGORIES, required=True)
    name = Text(max_length=200, required=True)
    #: Vietnam's registration of a plant-protection product or veterinary drug.
    registration_no = Text(max_length=64, allow_none=True)
    active_ingredients = fields.List(
        fields.Nested(ActiveIngredientInput), validate=item_count(0, 20), load_default=list
    )
    crops = fields.List(Choice(CROP_KINDS), validate=item_count(0, len(CROP_KINDS)))
    phi_days = count(low=0, high=365, allow_none=True)
    withdrawal_days = count(low=0, high=365, allow_none=True)
    dose_unit = Text(max_length=32, allow_none=True)
    n_pct = percent(allow_none=True)
    p_pct = percent(allow_none=True)
    k_pct = percent(allow_none=True)
    active = StrictBoolean(load_default=True)

    @validates_schema
    def facts_of_the_category(self, data: dict[str, Any], **kwargs: Any) -> None:
        category = data.get("category")
        if category is None:
            return
        errors: dict[str, list[Message]] = {}
        for name in _REQUIRED[category]:
            if data.get(name) in (None, [], ""):
                errors[name] = [
                    Message(N_("A {category} needs {field}."), category=category, field=name)
                ]
        for name, categories in _ONLY_FOR.items():
            if data.get(name) not in (None, []) and category not in categories:
                errors[name] = [
                    Message(
                        N_("Only a {categories} has {field}."),
                        categories=" / ".join(categories),
                        field=name,
                    )
                ]
        if errors:
            raise ValidationError(errors)


class ClientsInput(Schema):
    """The organisations that may act at a site, set by its owner."""

    class Meta:
        unknown = RAISE

    clients = fields.List(Gln(), required=True, validate=lambda items: len(items) <= 500)
    reason = Text(max_length=500, required=True, load_only=True)


def load_code(value: str) -> str:
    """An input product's code from the address, checked as the events check it."""
    try:
        return str(InputProductCode().deserialize(value))
    except ValidationError as error:
        raise ValidationError({"code": error.messages}) from None


def load_gtin(value: str) -> str:
    try:
        return check_gtin(value)
    except ValidationError as error:
        raise ValidationError({"gtin": error.messages}) from None


INPUT_SCHEMAS: dict[str, type[Schema]] = {
    "organisation": OrganisationInput,
    "location": LocationInput,
    "product": ProductInput,
    "input_product": InputProductInput,
}
