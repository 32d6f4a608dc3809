"""The domain's vocabulary: event types, their EPCIS 2.0 meaning, and who may record them.

Version 1 of the vocabulary. A later issue may add event types or optional fields without
changing this number; changing what an existing field means would need version 2, recorded in
every payload (``"v"``) so that old entries keep their meaning.

Business steps are CBV 2.0 values where the CBV has one (``commissioning``, ``shipping``,
``receiving``, …); cooling, ripening, drying and the farm practices have none, so they are URIs of
our own under :data:`OWN_VOCABULARY`, as EPCIS 2.0 allows for extensions.
"""

from __future__ import annotations

from dataclasses import dataclass

VOCABULARY_VERSION = 1
OWN_VOCABULARY = "https://id.hungyen-trace.vn/voc/"

# --- organisations, locations, products ------------------------------------------------------

ORGANISATION_ROLES = (
    "cooperative",
    "farm",
    "collector",
    "distributor",
    "processor",
    "retailer",
    "certification_body",
    "auditor",
    "authority",
)
LOCATION_KINDS = (
    "farm_plot",
    "chicken_house",
    "packhouse",
    "dryer",
    "ripening_chamber",
    "cold_store",
    "slaughterhouse",
    "warehouse",
    "store",
)
#: Kinds of location where things grow (plants) or are raised (animals).
PRODUCTION_LOCATIONS = ("farm_plot", "chicken_house")
UNITS = ("kg", "head")
PRODUCT_KINDS = {
    "fresh_longan": "kg",
    "dried_longan": "kg",
    "pink_banana": "kg",
    "live_chicken": "head",
    "chicken_carcass": "kg",
}
CERTIFICATE_SCHEMES = ("vietgap", "vietgahp", "globalgap", "organic", "gi_hung_yen_longan")

# --- accounts ----------------------------------------------------------------------------------

ACCOUNT_ROLES = ("farmer", "distributor", "processor", "retailer", "auditor", "admin")
#: Roles whose accounts act for one organisation (auditors and admins may have none).
ORGANISATION_ACCOUNT_ROLES = ("farmer", "distributor", "processor", "retailer")
#: Roles that act for the authorities: they recall any lot, inspect any site, read every record.
AUTHORITY_ROLES = frozenset({"auditor", "admin"})

# --- activity data -----------------------------------------------------------------------------

DATA_SOURCES = ("measured", "estimated", "default")
VEHICLE_CLASSES = ("motorbike", "van", "rigid_truck", "refrigerated_truck")
ENERGY_SOURCES = ("grid", "solar")
LOSS_CAUSES = ("mortality", "cull")
TRANSFORM_KINDS = ("drying", "ripening")

# --- EPCIS ------------------------------------------------------------------------------------

OBJECT = "ObjectEvent"
AGGREGATION = "AggregationEvent"
TRANSFORMATION = "TransformationEvent"
TRANSACTION = "TransactionEvent"


def own(term: str) -> str:
    """A business step of our own vocabulary, as a URI."""
    return f"{OWN_VOCABULARY}bizstep-{term}"


@dataclass(frozen=True)
class EventType:
    """One kind of event: its EPCIS shape and business step, and which account roles may record
    it (object-level rules, such as holding the lot, are checked by the recording service)."""

    name: str
    epcis_type: str
    action: str
    biz_step: str
    roles: frozenset[str]


_FARM = frozenset({"farmer"})
_HOLDERS = frozenset({"farmer", "distributor", "processor", "retailer"})
_CHAIN = frozenset({"distributor", "processor", "retailer"})
_PROCESSORS = frozenset({"processor"})
_OVERSIGHT = frozenset({"auditor", "admin"})


def _types(*types: EventType) -> dict[str, EventType]:
    return {t.name: t for t in types}


EVENT_TYPES: dict[str, EventType] = _types(
    # farm inputs on plots
    EventType("farm_input.fertiliser", OBJECT, "OBSERVE", own("fertilising"), _FARM),
    EventType("farm_input.pesticide", OBJECT, "OBSERVE", own("spraying"), _FARM),
    EventType("farm_input.irrigation", OBJECT, "OBSERVE", own("irrigating"), _FARM),
    EventType(
        "energy_use",
        OBJECT,
        "OBSERVE",
        own("energy_use"),
        frozenset({"farmer", "distributor", "processor", "retailer"}),
    ),
    # flocks
    EventType("flock.placement", OBJECT, "ADD", "commissioning", _FARM),
    EventType("flock.feed", OBJECT, "OBSERVE", own("feeding"), _FARM),
    EventType("flock.vaccination", OBJECT, "OBSERVE", own("vaccinating"), _FARM),
    EventType("flock.treatment", OBJECT, "OBSERVE", own("treating"), _FARM),
    EventType("flock.loss", OBJECT, "OBSERVE", "destroying", _FARM),
    EventType("flock.weighing", OBJECT, "OBSERVE", "inspecting", _FARM),
    # creating lots
    EventType("harvest", OBJECT, "ADD", "commissioning", _FARM),
    EventType("slaughter", TRANSFORMATION, "", "commissioning", _PROCESSORS),
    # lots into lots
    EventType("pack", TRANSFORMATION, "", "packing", _HOLDERS),
    EventType("merge", TRANSFORMATION, "", "commissioning", _HOLDERS),
    EventType("transform", TRANSFORMATION, "", own("processing"), _PROCESSORS),
    # custody
    EventType("ship", OBJECT, "OBSERVE", "shipping", _HOLDERS),
    EventType("receive", OBJECT, "OBSERVE", "receiving", _HOLDERS),
    EventType("retail_receive", OBJECT, "OBSERVE", "receiving", frozenset({"retailer"})),
    EventType("store", OBJECT, "OBSERVE", "storing", _HOLDERS),
    EventType("cooling", OBJECT, "OBSERVE", own("cooling"), _HOLDERS),
    # checks
    EventType("inspect", OBJECT, "OBSERVE", "inspecting", _HOLDERS | _OVERSIGHT),
    EventType("slaughter_inspection", OBJECT, "OBSERVE", "inspecting", _PROCESSORS | _OVERSIGHT),
    EventType("internal_audit", OBJECT, "OBSERVE", "inspecting", _HOLDERS | _OVERSIGHT),
    EventType("non_conformity", OBJECT, "OBSERVE", "inspecting", _HOLDERS | _OVERSIGHT),
    EventType("complaint", OBJECT, "OBSERVE", own("complaint"), _CHAIN),
    # serialised labels of a packed lot: instance identifiers associated with its units
    EventType("label.issue", OBJECT, "ADD", "commissioning", _HOLDERS),
    # leaving the chain
    EventType("sell", OBJECT, "DELETE", "retail_selling", _HOLDERS),
    EventType("loss", OBJECT, "DELETE", "destroying", _HOLDERS),
    # money (confidential: private fields)
    EventType("purchase", TRANSACTION, "ADD", own("purchasing"), _HOLDERS),
    EventType("payment", TRANSACTION, "ADD", own("paying"), _HOLDERS),
    EventType("training", OBJECT, "OBSERVE", own("training"), _HOLDERS | _OVERSIGHT),
    # oversight
    EventType("recall", OBJECT, "OBSERVE", "holding", _HOLDERS | _OVERSIGHT),
    # a holder asks the lot's creator to recall it; the creator or an authority decides
    EventType("recall.request", OBJECT, "OBSERVE", own("recall_requesting"), _HOLDERS),
    EventType("recall.dismiss", OBJECT, "OBSERVE", own("recall_dismissing"), _HOLDERS | _OVERSIGHT),
    EventType("recall_lift", OBJECT, "OBSERVE", "inspecting", _OVERSIGHT),
    EventType("hold_release", OBJECT, "OBSERVE", "inspecting", _OVERSIGHT),
    EventType("correction", OBJECT, "OBSERVE", own("correcting"), _HOLDERS | _OVERSIGHT),
    EventType("cert.issue", OBJECT, "ADD", own("certifying"), _OVERSIGHT),
    EventType("cert.revoke", OBJECT, "DELETE", own("certifying"), _OVERSIGHT),
)


def event_type(name: str) -> EventType:
    """The type named ``name``; callers validate names first, so a miss is a programming error."""
    return EVENT_TYPES[name]
