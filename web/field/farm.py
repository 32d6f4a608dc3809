"""The farmer's forms: one per event type a farmer records, each offering only the farmer's own
plots, houses and flocks and the products of the right kind.

Importing the module registers the forms (:func:`web.field.forms.register`).
"""

from __future__ import annotations

import secrets
from typing import Any

from ledger.common.messages import N_, Message
from ledger.supplychain.intervals import RunningInterval, interval_message
from ledger.supplychain.vocabulary import DATA_SOURCES, ENERGY_SOURCES, LOSS_CAUSES, VEHICLE_CLASSES
from web.field.forms import (
    EventForm,
    Field,
    FormContext,
    Option,
    Parsed,
    checkbox,
    choice,
    count,
    day,
    number,
    photo,
    register,
    text,
)
from web.field.rendering import unit_name
from web.i18n import format_quantity, translate

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


def plausibility_confirmation() -> Any:
    """The reason a quantity beyond its product's plausible bound is right: asked for only
    when the ledger finds it beyond (see :func:`web.field.pages.handle_form`)."""
    return text(
        "plausibility_reason", N_("Why this quantity is right"), on_demand=True, multiline=True
    )


def running_on(kind: str) -> Any:
    """The notices of a harvest (``plot``) or hand-over (``flock``) form: every interval still
    running on the farm's plots or flocks, in the words of the ledger's refusal."""

    def notices(form: EventForm, typed: Any, ctx: FormContext) -> list[Message]:
        intervals = ctx.extra["services"].intervals.running_intervals_of_organisation(
            ctx.organisation, ctx.now
        )
        return [
            interval_notice(i)
            for i in intervals
            if (i.plot if kind == "plot" else i.flock) is not None
        ]

    return notices


def running_on_lot(lot: str) -> Any:
    """The notices of a slaughter form of flock ``lot`` (a lot card's): the withdrawal periods
    still running on it or on a lot it was made from, in the words of the ledger's refusal."""

    def notices(form: EventForm, typed: Any, ctx: FormContext) -> list[Message]:
        intervals = ctx.extra["services"].intervals.running_intervals(flock=lot, at=ctx.now)
        return [interval_message(i) for i in intervals]

    return notices


def interval_notice(interval: RunningInterval) -> Message:
    """A running interval with the plot or flock it runs on, by name."""
    return Message(
        N_("{subject}: {interval}"), subject=interval.about, interval=interval_message(interval)
    )


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


#: The facts an event copies from its input product, shown on the product's field when the
#: ledger finds one wrong.
FACT_FIELDS = dict.fromkeys(
    (
        "input_product",
        "product",
        "registration_no",
        "active_ingredients",
        "active_substance",
        "phi_days",
        "withdrawal_days",
        "dose_unit",
        "feed_type",
        "n_pct",
        "p_pct",
        "k_pct",
    ),
    "input_product",
)


def inputs(event_type: str) -> Any:
    """The input products a form of ``event_type`` offers, each with what it is and its
    interval, so the person sees what they choose."""

    def listed(ctx: FormContext) -> list[Option]:
        products = ctx.extra["services"].input_products.for_event(event_type)
        return [Option(p.code, input_label(p), "dose", p.dose_unit) for p in products]

    return listed


def input_label(product: Any) -> str:
    parts = [product.name]
    if product.active_substance:
        parts.append(product.active_substance)
    days = product.phi_days or product.withdrawal_days
    if days:
        parts.append(str(translate(Message(N_("{days} days' interval"), days=days))))
    if product.dose_unit:
        parts.append(product.dose_unit)
    return " · ".join(parts)


def copy_input_facts(
    form: EventForm, parsed: Parsed, ctx: FormContext, data: dict[str, Any]
) -> None:
    """The chosen input product's facts, copied into the event as master data gives them
    today (the entry keeps them whatever master data says later)."""
    code = parsed.values.get("input_product")
    if not isinstance(code, str):
        return
    product = ctx.extra["services"].input_products.get(code)
    if product is None:
        parsed.add("input_product", Message(N_("Choose one of the list.")))
        return
    data.update(product.event_facts(form.event_type))


def _operator(ctx: FormContext) -> str:
    """The person spraying is, unless someone else did, the account's own user name (a
    pseudonym: never a person's name in the ledger)."""
    return ctx.principal.username


def input_form(
    slug: str, event_type: str, title: str, where: Field, product: str, *fields: Field
) -> EventForm:
    """A form of a farm input: where it went (a plot, a flock), the input product chosen from
    master data (its facts copied into the event), then ``fields``."""
    return EventForm(
        slug=slug,
        event_type=event_type,
        title=title,
        fields=(where, choice("input_product", product, inputs(event_type), target=""), *fields),
        assemble=copy_input_facts,
        errors_to=FACT_FIELDS,
    )


PLOT = choice("plot", N_("Plot"), own_plots)
FLOCK = choice("flock", N_("Flock"), own_lots(FLOCK_KINDS))
DOSE = number(
    "dose", N_("Dose"), unit_from="input_product", help=N_("In the unit the product's label gives.")
)
LABEL_PHOTO = photo(label=N_("Photo of the product label"))

FERTILISER = input_form(
    "fertiliser",
    "farm_input.fertiliser",
    N_("Fertiliser"),
    PLOT,
    N_("Fertiliser"),
    number("quantity_kg", N_("Quantity"), unit="kg"),
    _data_source(),
    photo(label=N_("Photo of the bag")),
)
SPRAY = input_form(
    "spray",
    "farm_input.pesticide",
    N_("Pesticide spray"),
    PLOT,
    N_("Pesticide"),
    DOSE,
    number("area_ha", N_("Area sprayed"), unit="ha"),
    text("operator", N_("Sprayed by"), default=_operator, help=N_("A code, such as op-0042.")),
    _data_source(),
    LABEL_PHOTO,
)

IRRIGATION = EventForm(
    slug="irrigation",
    event_type="farm_input.irrigation",
    title=N_("Irrigation"),
    fields=(
        PLOT,
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
        photo(label=N_("Photo of the flock")),
    ),
    assemble=_new_lot,
    errors_to={"lot": "lot_code"},
)

FEED = input_form(
    "feed",
    "flock.feed",
    N_("Feed"),
    FLOCK,
    N_("Feed"),
    number("quantity_kg", N_("Quantity"), unit="kg"),
    _data_source(),
)


def _flock_care(slug: str, event_type: str, title: str, product_label: str) -> EventForm:
    """A vaccination or a treatment: the flock, the product (its active substance and
    withdrawal period copied), the dose and the vet."""
    vet = text("vet", N_("Vet"), help=N_("The vet's code, such as tv-012."))
    return input_form(slug, event_type, title, FLOCK, product_label, DOSE, vet, LABEL_PHOTO)


VACCINATION = _flock_care("vaccination", "flock.vaccination", N_("Vaccination"), N_("Vaccine"))
TREATMENT = _flock_care("treatment", "flock.treatment", N_("Treatment"), N_("Medicine"))

FLOCK_LOSS = EventForm(
    slug="flock-loss",
    event_type="flock.loss",
    title=N_("Birds lost"),
    fields=(
        FLOCK,
        count("count", N_("Birds")),
        choice("cause", N_("Cause"), _named(LOSS_CAUSE_NAMES, LOSS_CAUSES)),
        text("reason", N_("What happened"), required=False, multiline=True),
        photo(label=N_("Photo")),
    ),
)

WEIGHING = EventForm(
    slug="weighing",
    event_type="flock.weighing",
    title=N_("Weighing"),
    fields=(
        FLOCK,
        number("mean_kg", N_("Mean weight of a bird"), unit="kg"),
        count("sample_size", N_("Birds weighed")),
        _data_source(),
        plausibility_confirmation(),
    ),
)

HARVEST = EventForm(
    slug="harvest",
    event_type="harvest",
    title=N_("Harvest"),
    fields=(
        PLOT,
        choice("product", N_("Product"), products(PLANT_KINDS), target=""),
        text("lot_code", N_("Lot code"), target="", default=new_lot_code),
        number("quantity", N_("Quantity"), unit="kg"),
        _data_source(),
        plausibility_confirmation(),
        photo(label=N_("Photo of the harvest")),
    ),
    assemble=_new_lot,
    notices=running_on("plot"),
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
    notices=running_on("flock"),
    only_roles=frozenset({"farmer"}),
)

for _form in (
    SPRAY,
    FERTILISER,
    IRRIGATION,
    ENERGY,
    HARVEST,
    PLACEMENT,
    FEED,
    VACCINATION,
    TREATMENT,
    FLOCK_LOSS,
    WEIGHING,
    HAND_OVER,
):
    register(_form)
