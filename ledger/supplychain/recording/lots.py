"""Lots come into being (placement, harvest, slaughter), become other lots and change hands."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ledger.common.messages import N_
from ledger.supplychain.custody import ACTIVE, DEPLETED, IN_TRANSIT, LotState
from ledger.supplychain.errors import ForbiddenError, InsufficientQuantityError
from ledger.supplychain.recording.context import RecordingContext, rule_violation
from ledger.supplychain.recording.food_safety import refuse_within_interval
from ledger.supplychain.recording.plausibility import check_harvest, check_per_head, in_event
from ledger.supplychain.recording.subjects import location_subject, lot_id_of
from ledger.supplychain.vocabulary import CROP_KINDS

#: Names of transformations, for messages.
TRANSFORM_NAMES = {"drying": N_("drying"), "ripening": N_("ripening")}


def flock_placement(ctx: RecordingContext) -> None:
    house = ctx.own_location("house", ("chicken_house",))
    origin = _origin_of(ctx, house, "live_chicken")
    ctx.payload["origin"] = origin
    ctx.new_lot(
        ctx.data["lot"],
        "lot",
        Decimal(ctx.data["head_count"]),
        kinds=("live_chicken",),
        origin=[origin],
        source=None,
    )
    ctx.subject(location_subject(house.kind, house.gln), "observed")


def _origin_of(ctx: RecordingContext, site: Any, product_kind: str) -> dict[str, Any]:
    """The origin facts a lot carries into the ledger, as they stand on the event's day."""
    owner = ctx.state.master("organisation", site.organisation)
    holders = [site.organisation] + ([owner.member_of] if owner and owner.member_of else [])
    key = "plot" if site.kind == "farm_plot" else "house"
    return {
        key: site.gln,
        "producer": site.organisation,
        "cooperative": owner.member_of if owner else None,
        #: The edition of the divisions the codes belong to (entries without it hold pre-2025
        #: codes).
        "divisions": site.divisions,
        "district_code": site.district_code,
        "commune_code": site.commune_code,
        "in_gi_area": bool(site.in_gi_area),
        "certificates": ctx.certificates_on(ctx.day(), holders, site.gln, product_kind),
    }


def harvest(ctx: RecordingContext) -> None:
    plot = ctx.own_location("plot", ("farm_plot",))
    subject = location_subject(plot.kind, plot.gln)
    refuse_within_interval(ctx, subject)
    product = ctx.product(ctx.data["lot"], "lot", CROP_KINDS)
    quantity = ctx.amount("quantity", ctx.data["quantity"], product.unit)
    check_harvest(ctx, plot, product, quantity, in_event(ctx, "quantity", ctx.data["lot"]))
    origin = _origin_of(ctx, plot, product.kind)
    ctx.payload["origin"] = origin
    ctx.subject(subject, "observed")
    ctx.new_lot(
        ctx.data["lot"],
        "lot",
        quantity,
        kinds=CROP_KINDS,
        origin=[origin],
        source=subject,
    )


def slaughter(ctx: RecordingContext) -> None:
    flock = ctx.held_lot("flock", N_("slaughter"))
    ctx.product(flock.id, "flock", ("live_chicken",))
    refuse_within_interval(ctx, flock.id)
    heads = Decimal(ctx.data["head_count"])
    carcass = Decimal(ctx.data["carcass_kg"])
    ctx.yield_check(carcass / heads, ctx.settings.slaughter_kg_per_head, N_("kg per head"))
    carcass_product = ctx.product(ctx.data["lot"], "lot", ("chicken_carcass",))
    check_per_head(
        ctx,
        carcass_product.max_carcass_kg_per_head,
        carcass / heads,
        in_event(ctx, "carcass_kg", ctx.data["lot"]),
    )
    ctx.take(flock, heads)
    ctx.subject(flock.id, "input")
    origin = [dict(item) for item in flock.origin]
    for item in origin:
        house_gln = item.get("house")
        site = ctx.state.master("location", house_gln) if house_gln else None
        if site is not None:
            item["certificates"] = _origin_of(ctx, site, "chicken_carcass")["certificates"]
    if ctx.data.get("site"):
        site = ctx.own_location("site", ("slaughterhouse",))
        ctx.subject(location_subject(site.kind, site.gln), "observed")
    ctx.payload["origin"] = origin
    lot = ctx.new_lot(
        ctx.data["lot"],
        "lot",
        carcass,
        kinds=("chicken_carcass",),
        origin=origin,
        source=flock.id,
    )
    ctx.edge(flock, lot, heads)


# --- lots into lots ----------------------------------------------------------------------------


def pack(ctx: RecordingContext) -> None:
    parent = ctx.held_lot("input", N_("pack"))
    # Packing keeps the product what it is; turning it into another needs a transformation.
    parent_kind = ctx.product(parent.id, "input").kind
    ctx.subject(parent.id, "input")
    total = ctx.amount("waste", ctx.data.get("waste") or 0, parent.unit)
    quantities = []
    best_befores = []
    for position, output in enumerate(ctx.data["outputs"]):
        quantities.append(
            ctx.amount(f"outputs.{position}.quantity", output["quantity"], parent.unit)
        )
        best_befores.append(
            ctx.best_before(
                f"outputs.{position}.best_before", output.get("best_before"), parent_kind
            )
        )
    total += sum(quantities, Decimal(0))
    ctx.take(parent, total)
    for position, output in enumerate(ctx.data["outputs"]):
        quantity = quantities[position]
        child = ctx.new_lot(
            output["lot"],
            f"outputs.{position}.lot",
            quantity,
            kinds=(parent_kind,),
            unit=parent.unit,
            origin=parent.origin,
            best_before=best_befores[position],
            units=output.get("units"),
        )
        ctx.edge(parent, child, quantity)


def _inputs(ctx: RecordingContext, action: str) -> list[tuple[LotState, Decimal]]:
    taken = []
    for position, item in enumerate(ctx.data["inputs"]):
        lot = ctx.held_lot(f"inputs.{position}.lot", action, item["lot"])
        quantity = ctx.amount(f"inputs.{position}.quantity", item["quantity"], lot.unit)
        ctx.take(lot, quantity)
        ctx.subject(lot.id, "input")
        taken.append((lot, quantity))
    return taken


def _merged_origin(taken: list[tuple[LotState, Decimal]]) -> list[dict[str, Any]]:
    origin: list[dict[str, Any]] = []
    for lot, _ in taken:
        for item in lot.origin:
            if item not in origin:
                origin.append(item)
    return origin


def merge(ctx: RecordingContext) -> None:
    taken = _inputs(ctx, N_("merge"))
    units = {lot.unit for lot, _ in taken}
    total = sum((quantity for _, quantity in taken), Decimal(0))
    kinds = {ctx.product(lot.id, "inputs").kind for lot, _ in taken}
    if len(kinds) > 1:
        raise rule_violation(
            "inputs",
            N_("Only lots of one product are merged; these are {kinds}."),
            kinds=", ".join(sorted(kinds)),
        )
    output = ctx.new_lot(
        ctx.data["output"],
        "output",
        total,
        kinds=sorted(kinds),
        unit=units.pop() if len(units) == 1 else "?",
        origin=_merged_origin(taken),
    )
    for lot, quantity in taken:
        ctx.edge(lot, output, quantity)


_TRANSFORMS = {
    "drying": (("fresh_longan",), ("dried_longan",), "drying_yield"),
    "ripening": (("pink_banana",), ("pink_banana",), "ripening_yield"),
}


def transform(ctx: RecordingContext) -> None:
    inputs_kinds, output_kinds, bounds_name = _TRANSFORMS[ctx.data["kind"]]
    for position, item in enumerate(ctx.data["inputs"]):
        ctx.product(item["lot"], f"inputs.{position}.lot", inputs_kinds)
    taken = _inputs(ctx, N_("transform"))
    total = sum((quantity for _, quantity in taken), Decimal(0))
    output_unit = ctx.product(ctx.data["output"], "output", output_kinds).unit
    out = ctx.amount("output_quantity", ctx.data["output_quantity"], output_unit)
    ctx.yield_check(
        out / total, getattr(ctx.settings, bounds_name), TRANSFORM_NAMES[ctx.data["kind"]]
    )
    if ctx.data.get("site"):
        site = ctx.own_location("site")
        ctx.subject(location_subject(site.kind, site.gln), "observed")
    output = ctx.new_lot(
        ctx.data["output"], "output", out, kinds=output_kinds, origin=_merged_origin(taken)
    )
    for lot, quantity in taken:
        ctx.edge(lot, output, quantity)


# --- custody -----------------------------------------------------------------------------------


def _split_code(lot: LotState, ctx: RecordingContext) -> str:
    for n in range(1, 1000):
        code = f"{lot.lot_code}-{n}"
        if len(code) > 20:
            break
        if ctx.state.lot(lot_id_of(lot.gtin, code)) is None:
            return code
    raise rule_violation(
        "split_lot",
        N_("Give split_lot: a code for the part of lot {lot} that is shipped."),
        lot=lot.id,
    )


def ship(ctx: RecordingContext) -> None:
    lot = ctx.held_lot("lot", N_("ship"))
    receiver = ctx.organisation("receiver")
    if receiver.gln == ctx.org:
        raise rule_violation("receiver", N_("A lot cannot be shipped to its own holder."))
    quantity = ctx.amount("quantity", ctx.data["quantity"], lot.unit)
    if quantity > lot.quantity:
        raise InsufficientQuantityError(
            lot=lot.id, available=lot.quantity, requested=quantity, unit=lot.unit
        )
    shipped = lot
    if quantity == lot.quantity and ctx.data.get("split_lot"):
        raise rule_violation(
            "split_lot",
            N_("The whole lot is shipped, so nothing is split off; leave split_lot out."),
        )
    if quantity < lot.quantity:
        code = ctx.data.get("split_lot") or _split_code(lot, ctx)
        ctx.take(lot, quantity)
        ctx.subject(lot.id, "input")
        shipped = ctx.new_lot(
            lot_id_of(lot.gtin, code),
            "split_lot",
            quantity,
            unit=lot.unit,
            origin=lot.origin,
            best_before=lot.best_before,
            creator=lot.creator,
        )
        ctx.edge(lot, shipped, quantity)
        ctx.payload["shipped_lot"] = shipped.id
    else:
        ctx.subject(lot.id, "input")
    shipped.status = IN_TRANSIT
    shipped.receiver = receiver.gln
    shipped.shipment_entry = ctx.index
    ctx.state.changed(shipped, ctx.index)
    ctx.subject(f"org:{receiver.gln}", "observed")


def receive(ctx: RecordingContext) -> None:
    lot = ctx.lot("lot")
    if lot.status != IN_TRANSIT:
        raise rule_violation("lot", N_("Lot {lot} is not in transit."), lot=lot.id)
    if lot.receiver != ctx.org:
        raise ForbiddenError(
            N_("Lot {lot} was shipped to {receiver}; only the named receiver can receive it."),
            lot=lot.id,
            receiver=lot.receiver,
        )
    if ctx.command.type == "retail_receive":
        own = ctx.state.master("organisation", ctx.org)
        if own is None or "retailer" not in own.roles.split():
            raise ForbiddenError(N_("Only retailers record a retail receipt."))
    ctx.payload["shipment_entry"] = lot.shipment_entry
    ctx.payload["sender"] = lot.holder
    if ctx.data.get("refused"):
        lot.status = ACTIVE
        ctx.payload["returned_to"] = lot.holder
    else:
        received = ctx.amount("quantity", ctx.data["quantity"], lot.unit)
        if received > lot.quantity:
            raise rule_violation(
                "quantity",
                N_("{received} {unit} received, but only {shipped} {unit} were shipped."),
                received=received,
                shipped=lot.quantity,
                unit=lot.unit,
            )
        shortfall = lot.quantity - received
        if shortfall and not ctx.data.get("shortfall_reason"):
            raise rule_violation(
                "shortfall_reason",
                N_("{shortfall} {unit} are missing; give the reason for the shortfall."),
                shortfall=shortfall,
                unit=lot.unit,
            )
        if shortfall:
            ctx.payload["shortfall"] = str(shortfall)
        lot.holder = ctx.org
        lot.quantity = received
        lot.status = ACTIVE if received else DEPLETED
    lot.receiver = None
    lot.shipment_entry = None
    ctx.state.changed(lot, ctx.index)
    ctx.subject(lot.id, "input")


def lot_observation(ctx: RecordingContext) -> None:
    """Store, cooling: the holder observes its lot at a site."""
    lot = ctx.held_lot("lot", N_("store"), movable=False)
    ctx.subject(lot.id, "observed")
    if ctx.data.get("site"):
        site = ctx.own_location("site")
        ctx.subject(location_subject(site.kind, site.gln), "observed")


# --- leaving the chain, money ------------------------------------------------------------------


def sell(ctx: RecordingContext) -> None:
    lot = ctx.held_lot("lot", N_("sell"))
    ctx.take(lot, ctx.amount("quantity", ctx.data["quantity"], lot.unit))
    ctx.subject(lot.id, "input")


def loss(ctx: RecordingContext) -> None:
    lot = ctx.held_lot("lot", N_("record a loss of"), movable=False, in_transit_ok=True)
    ctx.take(lot, ctx.amount("quantity", ctx.data["quantity"], lot.unit))
    if lot.status == DEPLETED:
        lot.receiver = None
        lot.shipment_entry = None
    ctx.subject(lot.id, "input")


def purchase_or_payment(ctx: RecordingContext) -> None:
    lot = ctx.lot("lot")
    counterparty = ctx.organisation("counterparty")
    parties = {lot.holder, lot.receiver}
    if ctx.org not in parties:
        raise ForbiddenError(
            N_("A purchase or payment for lot {lot} is recorded by its holder or receiver."),
            lot=lot.id,
        )
    ctx.subject(lot.id, "observed")
    ctx.subject(f"org:{counterparty.gln}", "observed")
