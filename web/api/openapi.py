"""The OpenAPI description as strict as the schemas that validate requests.

The schemas in :mod:`schemas` decide what the server accepts; this module tells apispec what
their fields mean in JSON Schema, so that clients and fuzzers learn the same rules: text is
non-empty and bounded (with its pattern), choices are enums, GTINs, GLNs and lot ids have their
shapes and ``format``s (``gtin``, ``gln``, ``lot-id``: the check digit is beyond JSON Schema),
decimals are canonical strings within their bounds, and an event request is one of the event
types, told apart by ``type``, each with its own ``data`` schema (the one that validates it).
"""

from __future__ import annotations

import re
from copy import deepcopy
from decimal import Decimal
from typing import Any

from flask_smorest import Api
from marshmallow import Schema, fields
from werkzeug.routing import PathConverter

from ledger.supplychain.vocabulary import ORGANISATION_ROLES, PRODUCT_KINDS
from schemas import event_data, event_fields, events, masterdata
from schemas.api import GtinField
from schemas.fields import CanonicalTime, OrganisationId, SubjectId, Text

GTIN = {"type": "string", "pattern": "^[0-9]{14}$", "format": "gtin"}
GLN = {"type": "string", "pattern": "^[0-9]{13}$", "format": "gln"}
INPUT_PRODUCT_CODE = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"}
#: A lot code as a path segment: GS1 character set 82 without '/' (a path cannot carry it) and
#: '%' (percent-escapes are decoded).
LOT_CODE = {"type": "string", "pattern": "^[!\"&'()*+,\\-.0-9:;<=>?A-Z_a-z]{1,20}$"}
LOT_ID = {
    "type": "string",
    "format": "lot-id",
    "pattern": "^lot:[0-9]{14}/[!\"&'()*+,\\-.0-9:;<=>?A-Z_a-z]{1,20}$",
}
TIME = {
    "type": "string",
    "format": "date-time",
    "pattern": (
        "^(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
        "(\\.[0-9]{1,3})?(Z|[+-][0-9]{2}:[0-9]{2})$"
    ),
}
#: A day in the years the schemas take (1900–2999; each field narrows that in words).
DATE = {
    "type": "string",
    "format": "date",
    "pattern": "^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
}
#: Text outside a pattern: no control characters (newlines only where ``multiline``).
_ONE_LINE = "^[^\\x00-\\x1f\\x7f]*$"
_LINES = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$"
#: Most decimals a canonical decimal string may have on either side of the point.
_MOST_DIGITS = 38


def _fraction(places: int | None) -> str:
    """An optional fraction of at most ``places`` decimals that count: trailing zeros are
    taken (``1.50``, ``1.000``), as the server takes them."""
    if places == 0:
        return "(\\.0+)?"
    most = _MOST_DIGITS if places is None else places
    return f"(\\.([0-9]{{0,{most - 1}}}[1-9]0*|0+))?"


def _magnitudes(bound: Decimal | None, places: int | None) -> str:
    """Decimals above zero and at most ``bound``, as alternatives of a pattern.

    A bound of the form d·10^k (every bound the schemas use) is stated exactly: fewer digits, or
    as many with a smaller first digit, with any fraction; or the bound itself. Other bounds are
    stated by their number of digits (looser, never refusing what the server takes)."""
    fraction = _fraction(places)
    most = _MOST_DIGITS if places is None else places
    below_one = [] if places == 0 else [f"0\\.[0-9]{{0,{most - 1}}}[1-9]0*"]
    if bound is None:
        return "|".join([f"[1-9][0-9]{{0,{_MOST_DIGITS - 1}}}{fraction}", *below_one])
    digits = str(int(bound))
    first, rest = int(digits[0]), digits[1:]
    k = len(rest)
    if bound != int(bound) or rest.strip("0"):
        return "|".join([f"[1-9][0-9]{{0,{k}}}{fraction}", *below_one])
    shorter = [f"[1-9][0-9]{{0,{k - 1}}}{fraction}"] if k else []
    same = [f"[1-{first - 1}][0-9]{{{k}}}{fraction}"] if first > 1 else []
    return "|".join([*shorter, *same, f"{digits}(\\.0+)?", *below_one])


def decimal_pattern(
    minimum: Decimal | None, exclusive: bool, maximum: Decimal | None, places: int | None
) -> str:
    """The canonical decimal strings (see :func:`ledger.tlog.canonical.canonical_decimal`) in a
    range, with at most ``places`` decimals, as the pattern of a JSON Schema string."""
    alternatives = []
    if maximum is None or maximum > 0:
        alternatives.append(_magnitudes(maximum, places))
    if minimum is None or minimum < 0:
        negatives = _magnitudes(None if minimum is None else -minimum, places)
        alternatives.append(f"-({negatives})")
    if (minimum is None or minimum < 0 or (minimum == 0 and not exclusive)) and (
        maximum is None or maximum >= 0
    ):
        alternatives.append("0(\\.0+)?")
    return "^(" + "|".join(alternatives) + ")$"


def _either(first: str, second: str) -> dict[str, Any]:
    return {
        "oneOf": [
            {"required": [first], "not": {"required": [second]}},
            {"required": [second], "not": {"required": [first]}},
        ]
    }


_INPUT_PRODUCT_RULE = (
    "input_product names an active input product of the event's category (a spray's registered "
    "for the plot's crop); the facts the event carries must agree with it, an interval at least "
    "as long as its registration's (422 otherwise, naming the field)."
)
_PLAUSIBILITY_RULE = (
    "Beyond its product's plausibility bound (max_harvest_kg_per_ha times the plot's area_ha, "
    "max_live_kg_per_head, max_carcass_kg_per_head) the event needs plausibility_reason (422 "
    "implausible_quantity otherwise)."
)


#: The rules across fields that the schemas' ``validates_schema`` methods check, where JSON
#: Schema can state them. Not stated (and said in ``description``): a temperature's min ≤ mean ≤
#: max, a period's start before its end, lots named once, a correction's changes valid for the
#: corrected type.
RULES: dict[type[Schema], dict[str, Any]] = {
    event_data.EnergyUseData: {
        "description": "period_start is not after period_end.",
        "allOf": [
            {
                "anyOf": [
                    {"required": [name]}
                    for name in ("kwh", "meter_reading_kwh", "diesel_l", "petrol_l")
                ]
            },
            {"anyOf": [{"not": {"required": ["kwh"]}}, {"required": ["energy_source"]}]},
        ],
    },
    event_data.ReceiveData: {
        "oneOf": [
            {
                "properties": {"refused": {"enum": [True]}},
                "required": ["refused", "refusal_reason"],
                "not": {"required": ["quantity"]},
            },
            {
                "properties": {"refused": {"enum": [False]}},
                "required": ["quantity"],
            },
        ]
    },
    event_data.InspectData: _either("lot", "site"),
    event_data.AuditData: _either("lot", "site"),
    event_data.RecallData: {
        "oneOf": [
            {
                "required": ["lots", "reason", "consumer_action"],
                "not": {"required": ["request"]},
            },
            {"required": ["request"], "not": {"required": ["lots"]}},
        ],
        "properties": {"lots": {"uniqueItems": True}},
    },
    event_data.RecallLiftData: _either("recall", "lot"),
    event_data.CorrectionData: {
        **_either("corrects", "corrects_key"),
        "description": "changes holds fields of the corrected type, valid for it.",
    },
    event_data.TemperatureSummary: {"description": "min ≤ mean ≤ max."},
    event_data.PackData: {"description": "Each lot is named once."},
    event_data.MergeData: {"description": "Each lot is named once."},
    event_data.TransformData: {"description": "Each lot is named once."},
    **{
        schema: {"description": _INPUT_PRODUCT_RULE}
        for schema in (
            event_data.PesticideData,
            event_data.FertiliserData,
            event_data.VaccinationData,
            event_data.TreatmentData,
            event_data.FeedData,
        )
    },
    **{
        schema: {"description": _PLAUSIBILITY_RULE}
        for schema in (event_data.HarvestData, event_data.WeighingData, event_data.SlaughterData)
    },
}


#: The rules of master data beyond its fields. A change needs a ``reason`` (only a new record
#: or an unchanged one may go without, which the description cannot tell apart).
MASTER_DATA_RULES: dict[type[Schema], dict[str, Any]] = {
    masterdata.OrganisationInput: {
        "required": ["reason"],
        "properties": {"roles": {"minItems": 1, "maxItems": len(ORGANISATION_ROLES)}},
    },
    masterdata.LocationInput: {
        "required": ["reason"],
        "description": (
            "latitude and longitude come together, within ±90 and ±180. Only a farm_plot has "
            "a crop."
        ),
        "properties": {
            "latitude": {
                "nullable": False,
                "anyOf": [
                    {
                        "type": "string",
                        "maxLength": _MOST_DIGITS + 1,
                        "pattern": (
                            "^(0(\\.0+)?|-?(0\\.[0-9]*[1-9][0-9]*|([1-9]|[1-8][0-9])(\\.[0-9]+)?"
                            "|90(\\.0+)?))$"
                        ),
                    },
                    {"type": "integer", "minimum": -90, "maximum": 90},
                ],
            },
            "longitude": {
                "nullable": False,
                "anyOf": [
                    {
                        "type": "string",
                        "maxLength": _MOST_DIGITS + 1,
                        "pattern": (
                            "^(0(\\.0+)?|-?(0\\.[0-9]*[1-9][0-9]*"
                            "|([1-9]|[1-9][0-9]|1[0-7][0-9])(\\.[0-9]+)?|180(\\.0+)?))$"
                        ),
                    },
                    {"type": "integer", "minimum": -180, "maximum": 180},
                ],
            },
        },
        "anyOf": [
            {"required": ["latitude", "longitude"]},
            {"not": {"anyOf": [{"required": ["latitude"]}, {"required": ["longitude"]}]}},
        ],
    },
    masterdata.ProductInput: {
        "required": ["reason"],
        "description": (
            "Plausibility bounds, each of one kind of product: max_harvest_kg_per_ha of a crop "
            "(fresh_longan, pink_banana), max_live_kg_per_head of live_chicken, "
            "max_carcass_kg_per_head of chicken_carcass."
        ),
        "properties": {"gtin": GTIN},
        "oneOf": [
            {"properties": {"kind": {"enum": [kind]}, "unit": {"enum": [unit]}}}
            for kind, unit in PRODUCT_KINDS.items()
        ],
    },
    masterdata.InputProductInput: {
        "required": ["reason"],
        "description": (
            "A farm input as registered. A pesticide needs registration_no, active_ingredients, "
            "crops and phi_days; a veterinary drug registration_no, active_ingredients and "
            "withdrawal_days; a vaccine registration_no and active_ingredients. Only a pesticide "
            "has crops and phi_days, only a veterinary drug or vaccine withdrawal_days, only a "
            "fertiliser n_pct, p_pct and k_pct."
        ),
        "properties": {"code": INPUT_PRODUCT_CODE},
    },
}


def _merge(into: dict[str, Any], rules: dict[str, Any]) -> None:
    """``rules`` added to a component: lists of required names joined, properties refined."""
    for key, value in rules.items():
        if key == "required":
            into[key] = sorted({*into.get(key, []), *value})
        elif isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = deepcopy(value)


def path_parameter(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"in": "path", "name": name, "required": True, "schema": schema}


GTIN_IN_PATH = path_parameter("gtin", GTIN)
LOT_IN_PATH = path_parameter("code", LOT_CODE)
LOT_PATH = [GTIN_IN_PATH, LOT_IN_PATH]


class LotCodeConverter(PathConverter):
    """A lot code in ``/lots/<gtin>/<code>``: any path, so that a code with '/' is answered
    with a reason rather than a 404, except one ending in a sub-resource that takes no GET, so
    that ``OPTIONS …/label-prints`` allows what that path allows."""

    regex = "[^/].*?(?<!/label-prints)"


def _decimal(field: event_fields.Amount) -> dict[str, Any]:
    unit = field.unit
    maximum = field.maximum
    if unit is not None:
        maximum = unit.maximum if maximum is None else min(maximum, unit.maximum)
    minimum = field.minimum
    if unit is not None and minimum is None:
        minimum = -unit.maximum
    pattern = decimal_pattern(minimum, field.exclusive, maximum, unit.places if unit else None)
    text = {
        "type": "string",
        "format": "decimal",
        "pattern": pattern,
        # At most 38 digits in all, trailing zeros included (the canonical rule).
        "maxLength": _MOST_DIGITS + 1,
    }
    # A JSON integer is taken too (exact everywhere); a number with a fraction is not.
    whole: dict[str, Any] = {"type": "integer"}
    if minimum is not None:
        whole["minimum"] = int(minimum)
        if field.exclusive:
            whole["exclusiveMinimum"] = True
    if maximum is not None:
        whole["maximum"] = int(maximum)
    return {"anyOf": [text, whole]}


def field_properties(self: Any, field: fields.Field[Any], **kwargs: Any) -> dict[str, Any]:
    """An apispec attribute function: what a field of :mod:`schemas` accepts, in JSON Schema."""
    found: dict[str, Any] = {}
    if isinstance(field, Text):
        found["minLength"] = 1
        found["maxLength"] = field.max_length
        if field.pattern is not None:
            # "Not a space" stops at control characters too, as the text's own check does.
            pattern = field.pattern.pattern.replace("\\S", "[^\\s\\x00-\\x1f\\x7f]")
            found["pattern"] = f"^(?:{pattern})$"
        else:
            found["pattern"] = _LINES if field.multiline else _ONE_LINE
    elif isinstance(field, event_fields.Gln):
        found.update(GLN)
    elif isinstance(field, GtinField):
        found.update(GTIN)
    elif isinstance(field, event_fields.LotId):
        found.update(LOT_ID)
    elif isinstance(field, event_fields.LotCode):
        found.update(LOT_CODE)
    elif isinstance(field, event_fields.Amount):
        found.update(_decimal(field))
    elif isinstance(field, CanonicalTime):
        found.update(TIME)
    elif isinstance(field, event_fields.Date):
        found.update(DATE)
    elif isinstance(field, event_fields.Sscc):
        found.update({"type": "string", "pattern": "^[0-9]{18}$", "format": "sscc"})
    elif isinstance(field, OrganisationId):
        found.update({"type": "string", "pattern": "^org:[0-9]{13}$", "format": "organisation-id"})
    elif isinstance(field, SubjectId):
        found.update({"type": "string", "minLength": 3, "maxLength": 256})
    for validator in field.validators:
        found.update(getattr(validator, "openapi", {}))
    return found


def _name(api: Api, schema: type[Schema]) -> str:
    name: str = api.ma_plugin.converter.schema_name_resolver(schema)
    return name


def _describe_corrections(api: Api, named: dict[type[Schema], str]) -> None:
    """A correction's ``changes``: some public fields of the corrected type, each valid for it."""
    schemas = api.spec.components.schemas
    variants = []
    for event_type, schema in event_data.DATA_SCHEMAS.items():
        if schema is event_data.CorrectionData:
            continue
        whole = schemas[named[schema]]
        public = event_data.private_fields(event_type)
        changes = {
            "type": "object",
            "properties": {
                name: deepcopy(value)
                for name, value in whole["properties"].items()
                if name not in public
            },
            "additionalProperties": False,
            "minProperties": 1,
        }
        variants.append(
            {
                "properties": {
                    "corrected_type": {"type": "string", "enum": [event_type]},
                    "changes": changes,
                }
            }
        )
    correction = schemas[named[event_data.CorrectionData]]
    correction["allOf"] = [{"oneOf": correction.pop("oneOf")}, {"oneOf": variants}]


def describe_events(api: Api) -> None:
    """``Command``: one of the event types, told apart by ``type``, each with its ``data``.

    Each type's ``data`` is the schema :mod:`schemas.event_data` validates it with (shared by the
    types that share one), registered once under its own name."""
    spec = api.spec
    converter = api.ma_plugin.converter
    named: dict[type[Schema], str] = {}
    for schema in dict.fromkeys(event_data.DATA_SCHEMAS.values()):
        name = _name(api, schema)
        if name not in spec.components.schemas:
            spec.components.schema(name, schema=schema)
        named[schema] = name
    for schema, rules in (RULES | MASTER_DATA_RULES).items():
        _merge(spec.components.schemas[_name(api, schema)], rules)
    _describe_corrections(api, named)
    command = converter.schema2jsonschema(events.CommandSchema)
    mapping = {}
    for event_type, schema in event_data.DATA_SCHEMAS.items():
        variant = deepcopy(command)
        variant["properties"]["type"] = {"type": "string", "enum": [event_type]}
        variant["properties"]["data"] = {"$ref": f"#/components/schemas/{named[schema]}"}
        name = "Command-" + re.sub(r"[^A-Za-z0-9_.-]", "_", event_type)
        spec.components.schema(name, variant)
        mapping[event_type] = f"#/components/schemas/{name}"
    spec.components.schemas["Command"] = {
        "description": "An event to record: its type decides what data it carries.",
        "oneOf": [{"$ref": reference} for reference in mapping.values()],
        "discriminator": {"propertyName": "type", "mapping": mapping},
    }


def init_api(api: Api) -> None:
    api.ma_plugin.converter.add_attribute_function(field_properties)
