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
from decimal import Decimal

from ledger.common.messages import N_, Message
from ledger.tlog.canonical import decimal_places

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
#: Kinds of product harvested from a plot: a plot's crop is one of them, and a pesticide is
#: registered for some of them.
CROP_KINDS = ("fresh_longan", "pink_banana")
CROP_NAMES = {"fresh_longan": N_("longan"), "pink_banana": N_("pink banana")}
#: Kinds of farm input (the master data ``input_product``), and which of them each event type
#: takes: a spray a pesticide, a vaccination a vaccine, a treatment a veterinary drug.
INPUT_CATEGORIES = ("pesticide", "fertiliser", "veterinary", "vaccine", "feed")
INPUT_CATEGORY_OF_EVENT = {
    "farm_input.pesticide": "pesticide",
    "farm_input.fertiliser": "fertiliser",
    "flock.vaccination": "vaccine",
    "flock.treatment": "veterinary",
    "flock.feed": "feed",
}
#: How many days after packing a product may be best before: fresh longan keeps three to four
#: weeks in cold storage, pink bananas about three weeks from harvest (ripened a few days), a
#: chilled chicken carcass two weeks, dried longan a year. Live animals have no best-before.
SHELF_LIFE_DAYS: dict[str, int | None] = {
    "fresh_longan": 35,
    "dried_longan": 365,
    "pink_banana": 21,
    "live_chicken": None,
    "chicken_carcass": 14,
}
#: A certificate (VietGAP, GlobalG.A.P., organic, the GI) is issued for at most this long;
#: VietGAP's is two years, the longest scheme's three, so five leaves room for a transition.
CERTIFICATE_MAX_YEARS = 5
#: How many days before and after the day of its event a date of ``data`` may be: a date
#: beyond is a typing error (0001-01-01, 2062 for 2026), not a fact. A best-before date has
#: its own window (after the pack day, within the product's ``SHELF_LIFE_DAYS``).
DATE_WINDOWS: dict[str, tuple[int, int]] = {
    "valid_from": (CERTIFICATE_MAX_YEARS * 366, 366),  # a certificate starts near its issue
    # ...and has not ended when it is recorded: an expired certificate certifies nothing.
    "valid_to": (0, (CERTIFICATE_MAX_YEARS + 1) * 366),
    "effective": (366, 366),  # a revocation takes effect near when it is recorded
    "period_start": (2 * 366, 0),  # energy is reported for a period that has begun
    "period_end": (2 * 366, 0),
    "agreed_on": (3 * 366, 31),  # money: agreed, due and paid near the event
    "due_on": (3 * 366, 2 * 366),
    "paid_on": (3 * 366, 31),
}


@dataclass(frozen=True)
class Unit:
    """A unit quantities are recorded in: the finest step (``places`` decimal places) and the
    largest value the ledger takes.

    Bounding both keeps every balance exact and short: sums and differences of amounts with at
    most ``places`` decimals never need more, so no balance outgrows the 38 digits a canonical
    decimal may have (a gram off 293.497 kg is 293.496 kg, never a 40-digit number).
    """

    code: str
    #: What readers call the unit (translated in messages).
    name: str
    places: int
    maximum: Decimal

    @property
    def step(self) -> Decimal:
        return Decimal(1).scaleb(-self.places)


def _unit(code: str, name: str, places: int, maximum: int) -> Unit:
    return Unit(code, name, places, Decimal(maximum))


#: Every unit an event's amounts are in. Lots are counted in their product's unit (``UNITS``).
MEASUREMENT_UNITS: dict[str, Unit] = {
    unit.code: unit
    for unit in (
        _unit("kg", N_("kg"), 3, 100_000_000),  # to the gram; 100,000 tonnes
        _unit("l", N_("litres"), 3, 10_000_000),  # to the millilitre
        _unit("head", N_("heads"), 0, 10_000_000),  # animals, whole
        _unit("box", N_("boxes"), 0, 10_000_000),  # packed units, whole
        _unit("m3", N_("m³"), 3, 10_000_000),  # to the litre
        _unit("kwh", N_("kWh"), 3, 1_000_000_000),  # to the watt-hour
        _unit("km", N_("km"), 3, 100_000),  # to the metre
        _unit("ha", N_("ha"), 4, 100_000),  # to the square metre
        _unit("m2", N_("m²"), 2, 1_000_000_000),
        _unit("hour", N_("hours"), 2, 10_000),
        _unit("celsius", N_("°C"), 2, 80),
        _unit("percent", N_("%"), 2, 100),
        # Amounts of money in any ISO 4217 currency: no currency has more than four decimals.
        _unit("money", N_("currency units"), 4, 1_000_000_000_000_000),
        # Doses and laboratory readings are in a unit the event names (ml/ha, mg/kg, …).
        _unit("dose", N_("dose units"), 6, 1_000_000),
        _unit("reading", N_("units of the reading"), 6, 1_000_000_000),
    )
}
#: What a lot quantity may be before the lot, and so its unit, is known: the product unit
#: with the finest step and the largest value (kg). The recording service then checks the
#: quantity against the lot's own unit (a flock is counted in whole heads).
LOT_QUANTITY = max(
    (MEASUREMENT_UNITS[code] for code in UNITS), key=lambda unit: (unit.places, unit.maximum)
)
assert all(
    LOT_QUANTITY.places >= MEASUREMENT_UNITS[code].places
    and LOT_QUANTITY.maximum >= MEASUREMENT_UNITS[code].maximum
    for code in UNITS
), "the schemas' check of a lot quantity must let every product unit through"


#: The messages of :func:`amount_problem`, by the kind of problem (a form's script shows them
#: as a number is typed).
AMOUNT_MESSAGES = {
    "too_large": N_("Quantities in {unit} are at most {limit} {unit}."),
    "whole": N_("Quantities in {unit} are whole numbers."),
    "too_fine": N_(
        "Quantities in {unit} are recorded to {step} {unit} at most ({places} decimals)."
    ),
}


def amount_problem(number: Decimal, unit: Unit) -> Message | None:
    """What is wrong with ``number`` as an amount in ``unit``, or None: beyond its largest
    value, or finer than its step. Both are read exactly, so ``1E-9999`` costs nothing."""
    if abs(number) > unit.maximum:
        return Message(
            AMOUNT_MESSAGES["too_large"],
            unit=unit.name,
            limit=unit.maximum,
        )
    if decimal_places(number) > unit.places:
        if unit.places == 0:
            return Message(AMOUNT_MESSAGES["whole"], unit=unit.name)
        return Message(
            AMOUNT_MESSAGES["too_fine"],
            unit=unit.name,
            step=unit.step,
            places=unit.places,
        )
    return None


CERTIFICATE_SCHEMES = ("vietgap", "vietgahp", "globalgap", "organic", "gi_hung_yen_longan")
#: What people call each scheme (translated where it is not a brand).
CERTIFICATE_SCHEME_NAMES = {
    "vietgap": N_("VietGAP"),
    "vietgahp": N_("VietGAHP"),
    "globalgap": N_("GLOBALG.A.P."),
    "organic": N_("Organic"),
    "gi_hung_yen_longan": N_("Geographical indication “Hưng Yên longan”"),
}

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
