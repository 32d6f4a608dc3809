"""The farmer's forms: one per event type a farmer records, each offering only the farmer's own
plots, houses and flocks and the products of the right kind.

Importing the module registers the forms (:func:`web.field.forms.register`).
"""

from __future__ import annotations

import secrets
from typing import Any

from ledger.common.messages import N_
from ledger.supplychain.vocabulary import DATA_SOURCES, ENERGY_SOURCES, LOSS_CAUSES, VEHICLE_CLASSES
from web.field.forms import (
    EventForm,
    FormContext,
    Option,
    Parsed,
    checkbox,
    choice,
    count,
    day,
    number,
    register,
    text,
)
from web.field.rendering import unit_name
from web.i18n import format_quantity

PLANT_KINDS = ("fresh_longan", "pink_banana")
FLOCK_KINDS = ("live_chicken",)
#: Who a farm hands its harvest or flock over to.
RECEIVER_ROLES = ("processor", "distributor", "collector")

DATA_SOURCE_NAMES = {
    "measured": N_("measured"),
    "estimated": N_("estimated"),
    "default": N_("a usual value"),
}
ENERGY_SOURCE_NAMES = {"grid": N_("grid electricity"), "solar": N_("solar")}
LOSS_CAUSE_NAMES = {"mortality": N_("died"), "cull": N_("culled")}
VEHICLE_NAMES = {
    "motorbike": N_("motorbike"),
    "van": N_("van"),
    "rigid_truck": N_("truck"),
    "refrigerated_truck": N_("refrigerated truck"),
}


def _named(names: dict[str, str], codes: tuple[str, ...]) -> Any:
    from flask_babel import gettext

    return lambda ctx: [Option(code, gettext(names[code])) for code in codes]


def _sites(kinds: tuple[str, ...]) -> Any:
    return lambda ctx: [
        Option(site.gln, site.name) for site in ctx.fieldwork.sites(ctx.organisation, kinds)
    ]


own_plots = _sites(("farm_plot",))
own_houses = _sites(("chicken_house",))
own_sites = _sites(())


def lot_label(lot: Any, language: str) -> str:
    amount = f"{format_quantity(lot.quantity)} {unit_name(lot.unit)}"
    return f"{lot.code} · {lot.product(language)} · {amount}"


def own_lots(kinds: tuple[str, ...] = ()) -> Any:
    """The lots the user's organisation holds with something left (of ``kinds``)."""
    return lambda ctx: [
        Option(lot.id, lot_label(lot, ctx.language), lot.unit)
        for lot in ctx.fieldwork.held_lots(ctx.organisation, kinds)
    ]


def products(kinds: tuple[str, ...]) -> Any:
    return lambda ctx: [
        Option(item.gtin, item.name(ctx.language), item.unit)
        for item in ctx.fieldwork.products(kinds)
    ]


def receivers(ctx: FormContext) -> list[Option]:
    return [
        Option(party.gln, party.name)
        for party in ctx.fieldwork.parties(RECEIVER_ROLES, exclude=ctx.organisation)
    ]


def new_lot_code(ctx: FormContext) -> str:
    """A lot code to keep or change: the day and four random characters (GS1 set 82)."""
    return f"{ctx.today:%y%m%d}-{secrets.token_hex(2).upper()}"


def _data_source() -> Any:
    return choice(
        "data_source",
        N_("The amount is"),
        _named(DATA_SOURCE_NAMES, DATA_SOURCES),
        default="measured",
    )


def _new_lot(form: EventForm, parsed: Parsed, ctx: FormContext, data: dict[str, Any]) -> None:
    """``data.lot`` from the product and the lot code chosen."""
    product, code = parsed.values.get("product"), parsed.values.get("lot_code")
    if product and code:
        data["lot"] = f"lot:{product}/{code}"


def _active_ingredients(
    form: EventForm, parsed: Parsed, ctx: FormContext, data: dict[str, Any]
) -> None:
    typed = parsed.values.get("active_ingredients")
    if isinstance(typed, str):
        data["active_ingredients"] = [part.strip() for part in typed.split(",") if part.strip()]


def _operator(ctx: FormContext) -> str:
    """The person spraying is, unless someone else did, the account's own user name (a
    pseudonym: never a person's name in the ledger)."""
    return ctx.principal.username


FERTILISER = EventForm(
    slug="fertiliser",
    event_type="farm_input.fertiliser",
    title=N_("Fertiliser"),
    fields=(
        choice("plot", N_("Plot"), own_plots),
        text("product", N_("Fertiliser")),
        number("n_pct", N_("Nitrogen (N)"), unit="percent", required=False),
        number("p_pct", N_("Phosphorus (P₂O₅)"), unit="percent", required=False),
        number("k_pct", N_("Potassium (K₂O)"), unit="percent", required=False),
        number("quantity_kg", N_("Quantity"), unit="kg"),
        _data_source(),
    ),
)

IRRIGATION = EventForm(
    slug="irrigation",
    event_type="farm_input.irrigation",
    title=N_("Irrigation"),
    fields=(
        choice("plot", N_("Plot"), own_plots),
        number("volume_m3", N_("Water"), unit="m3"),
        _data_source(),
    ),
)

ENERGY = EventForm(
    slug="energy",
    event_type="energy_use",
    title=N_("Energy use"),
    fields=(
        choice("location", N_("Where"), own_sites),
        number("kwh", N_("Electricity"), unit="kwh", required=False),
        choice(
            "energy_source",
            N_("Electricity from"),
            _named(ENERGY_SOURCE_NAMES, ENERGY_SOURCES),
            required=False,
        ),
        number("diesel_l", N_("Diesel"), unit="l", required=False),
        number("petrol_l", N_("Petrol"), unit="l", required=False),
        day("period_start", N_("From"), required=False),
        day("period_end", N_("To"), required=False),
        _data_source(),
    ),
)

PLACEMENT = EventForm(
    slug="placement",
    event_type="flock.placement",
    title=N_("Place a flock"),
    fields=(
        choice("house", N_("Chicken house"), own_houses),
        choice("product", N_("Product"), products(FLOCK_KINDS), target=""),
        text("lot_code", N_("Flock code"), target="", default=new_lot_code),
        text("breed", N_("Breed")),
        count("head_count", N_("Birds")),
    ),
    assemble=_new_lot,
    errors_to={"lot": "lot_code"},
)

FEED = EventForm(
    slug="feed",
    event_type="flock.feed",
    title=N_("Feed"),
    fields=(
        choice("flock", N_("Flock"), own_lots(FLOCK_KINDS)),
        text("feed_type", N_("Feed")),
        number("quantity_kg", N_("Quantity"), unit="kg"),
        _data_source(),
    ),
)

FLOCK_LOSS = EventForm(
    slug="flock-loss",
    event_type="flock.loss",
    title=N_("Birds lost"),
    fields=(
        choice("flock", N_("Flock"), own_lots(FLOCK_KINDS)),
        count("count", N_("Birds")),
        choice("cause", N_("Cause"), _named(LOSS_CAUSE_NAMES, LOSS_CAUSES)),
        text("reason", N_("What happened"), required=False, multiline=True),
    ),
)

WEIGHING = EventForm(
    slug="weighing",
    event_type="flock.weighing",
    title=N_("Weighing"),
    fields=(
        choice("flock", N_("Flock"), own_lots(FLOCK_KINDS)),
        number("mean_kg", N_("Mean weight of a bird"), unit="kg"),
        count("sample_size", N_("Birds weighed")),
        _data_source(),
    ),
)

HARVEST = EventForm(
    slug="harvest",
    event_type="harvest",
    title=N_("Harvest"),
    fields=(
        choice("plot", N_("Plot"), own_plots),
        choice("product", N_("Product"), products(PLANT_KINDS), target=""),
        text("lot_code", N_("Lot code"), target="", default=new_lot_code),
        number("quantity", N_("Quantity"), unit="kg"),
        _data_source(),
    ),
    assemble=_new_lot,
    errors_to={"lot": "lot_code"},
)

HAND_OVER = EventForm(
    slug="hand-over",
    event_type="ship",
    title=N_("Hand over for slaughter or packing"),
    fields=(
        choice("lot", N_("Lot or flock"), own_lots()),
        number("quantity", N_("Quantity"), unit_from="lot"),
        choice("receiver", N_("To"), receivers),
        choice("vehicle_class", N_("Vehicle"), _named(VEHICLE_NAMES, VEHICLE_CLASSES)),
        checkbox("refrigerated", N_("Refrigerated")),
        number("distance_km", N_("Distance"), unit="km"),
        text("transport_document", N_("Delivery note number")),
        _data_source(),
    ),
    only_roles=frozenset({"farmer"}),
)

for _form in (FERTILISER, IRRIGATION, ENERGY, PLACEMENT, FEED, FLOCK_LOSS, WEIGHING, HARVEST):
    register(_form)
register(HAND_OVER)
