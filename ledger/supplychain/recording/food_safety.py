"""Farm inputs, flock care, food-safety intervals and checks: what keeps food safe to sell."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

from ledger.common.messages import N_, Message
from ledger.supplychain.custody import LotState
from ledger.supplychain.errors import FoodSafetyIntervalError, RuleViolationError
from ledger.supplychain.input_products import (
    CATEGORY_NAMES,
    disagreements,
    from_row,
    registered_as,
)
from ledger.supplychain.intervals import INTERVAL_NAMES, covering, interval_message, running
from ledger.supplychain.recording.context import RecordingContext, rule_violation
from ledger.supplychain.recording.plausibility import check_per_head, in_event
from ledger.supplychain.recording.subjects import location_subject
from ledger.supplychain.vocabulary import CROP_NAMES, INPUT_CATEGORY_OF_EVENT
from ledger.tlog.canonical import utc_timestamp


def _start_safety_interval(
    ctx: RecordingContext, subject: str, kind: str, what: str, days: int
) -> None:
    """Start a pre-harvest interval or withdrawal period on a plot or flock; one recorded late
    puts on hold what was harvested or slaughtered from it while it ran."""
    if days <= 0:
        return
    applied_utc = ctx.event_utc
    safe_from_utc = utc_timestamp(ctx.moment + timedelta(days=days))
    ingredients = ctx.data.get("active_ingredients") or [
        item for item in (ctx.data.get("active_substance"),) if item
    ]
    ctx.state.add_interval(
        {
            "entry_idx": ctx.index,
            "subject": subject,
            "kind": kind,
            "what": what,
            "days": days,
            "applied_at_utc": applied_utc,
            "safe_from_utc": safe_from_utc,
            "event_type": ctx.command.type,
            "input_product": ctx.data.get("input_product"),
            "active_ingredients": json.dumps(list(ingredients), ensure_ascii=False),
        }
    )
    if subject.startswith("lot:"):
        # A flock: the carcasses slaughtered in the window from it or from any lot split,
        # packed or merged out of it.
        affected = [
            lot
            for lot_id in ctx.state.descendants([subject])
            if (lot := ctx.state.lot(lot_id)) is not None
            and lot.source is not None
            and applied_utc <= lot.created_utc < safe_from_utc
        ]
    else:
        affected = ctx.state.lots_from_source(subject, applied_utc, safe_from_utc)
    if affected:
        ctx.hold(
            affected,
            Message(
                N_("{what} recorded late; its {kind} of {days} days covers the harvest"),
                what=what,
                kind=Message(INTERVAL_NAMES[kind]),
                days=days,
            ),
        )


def check_input_product(ctx: RecordingContext, crop: str | None = None) -> None:
    """The input product the event names, if it names one: active, of the category the event
    takes, registered for the plot's ``crop`` (a spray), and the facts the event carries as its
    registration gives them. Refused naming the field otherwise."""
    code = ctx.data.get("input_product")
    if not code:
        _held_to_its_registration(ctx)
        return
    row = ctx.state.master("input_product", code)
    if row is None or not row.active:
        raise rule_violation(
            "input_product", N_("There is no active input product {code}."), code=code
        )
    product = from_row(row)
    wanted = INPUT_CATEGORY_OF_EVENT[ctx.command.type]
    if product.category != wanted:
        raise rule_violation(
            "input_product",
            N_("{product} ({code}) is a {category}; this event takes a {wanted}."),
            product=product.name,
            code=code,
            category=Message(CATEGORY_NAMES[product.category]),
            wanted=Message(CATEGORY_NAMES[wanted]),
        )
    if product.category == "pesticide":
        _check_registered_for(ctx, product.name, code, product.crops, crop)
    found = disagreements(product, ctx.command.type, ctx.data)
    if found:
        raise disagreement_error(code, found)


def _held_to_its_registration(ctx: RecordingContext) -> None:
    """A spray that names no product of the list but the registration number of one is held to
    that registration's pre-harvest interval: typing the facts instead of choosing the product
    must not shorten it (the name may be written otherwise; the interval may not be shorter)."""
    number = ctx.data.get("registration_no")
    if ctx.command.type != "farm_input.pesticide" or not number:
        return
    for product in registered_as(ctx.connection, number):
        found = disagreements(product, ctx.command.type, ctx.data)
        if "phi_days" in found:
            raise disagreement_error(product.code, {"phi_days": found["phi_days"]})


def disagreement_error(
    code: str, found: dict[str, Message], prefix: str = ""
) -> RuleViolationError:
    """The refusal of an event (or, with ``prefix`` ``changes.``, a correction) whose facts
    contradict the input product ``code``, naming each field."""
    errors: dict[str | int, Any] = {prefix + name: [message] for name, message in found.items()}
    return RuleViolationError(
        N_("The event does not agree with input product {code}: {fields}."),
        errors=errors,
        code=code,
        fields=", ".join(prefix + name for name in sorted(found)),
    )


def _check_registered_for(
    ctx: RecordingContext, name: str, code: str, crops: tuple[str, ...], crop: str | None
) -> None:
    if crop is None:
        raise rule_violation(
            "input_product",
            N_(
                "Plot {plot} has no crop in master data, so the registration of {product} for "
                "it cannot be checked; an administrator records the plot's crop."
            ),
            plot=f"plot:{ctx.data['plot']}",
            product=name,
        )
    if crop not in crops:
        raise rule_violation(
            "input_product",
            N_("{product} ({code}) is not registered for use on {crop}."),
            product=name,
            code=code,
            crop=Message(CROP_NAMES.get(crop, crop)),
        )


def farm_input(ctx: RecordingContext) -> None:
    plot = ctx.own_location("plot", ("farm_plot",))
    subject = location_subject(plot.kind, plot.gln)
    if ctx.command.type in INPUT_CATEGORY_OF_EVENT:
        check_input_product(ctx, plot.crop)
    ctx.subject(subject, "observed")
    if ctx.command.type == "farm_input.pesticide":
        _start_safety_interval(
            ctx, subject, "pre_harvest_interval", ctx.data["product"], ctx.data["phi_days"]
        )


def energy_use(ctx: RecordingContext) -> None:
    site = ctx.own_location("location")
    ctx.subject(location_subject(site.kind, site.gln), "observed")


def _cared_flock(ctx: RecordingContext, action: str) -> LotState:
    """The flock the caller holds, or raised (a treatment may be recorded after a handover)."""
    flock = ctx.lot("flock")
    if flock.holder != ctx.org and _produced_by(ctx, flock):
        return flock
    return ctx.held_lot("flock", action, movable=False, in_transit_ok=True)


def flock_observation(ctx: RecordingContext) -> None:
    flock = _cared_flock(ctx, N_("record care for"))
    live = ctx.product(flock.id, "flock", ("live_chicken",))
    if ctx.command.type in INPUT_CATEGORY_OF_EVENT:
        check_input_product(ctx)
    if ctx.command.type == "flock.weighing":
        mean = Decimal(ctx.data["mean_kg"])
        check_per_head(ctx, "flock.weighing", live, mean, in_event(ctx, "mean_kg", flock.id))
    ctx.subject(flock.id, "observed")
    days = ctx.data.get("withdrawal_days")
    if days:
        _start_safety_interval(ctx, flock.id, "withdrawal_period", ctx.data["product"], days)


def flock_loss(ctx: RecordingContext) -> None:
    flock = ctx.held_lot("flock", N_("record losses of"), movable=False)
    ctx.product(flock.id, "flock", ("live_chicken",))
    ctx.take(flock, Decimal(ctx.data["count"]))
    ctx.subject(flock.id, "input")


def refuse_within_interval(ctx: RecordingContext, subject: str) -> None:
    """Refuse while an interval runs on the subject or, for a lot, on any lot it was made from
    (a split or repacked flock keeps its treatments' withdrawal periods)."""
    found = running(
        covering(ctx.state, subject, ctx.event_utc), subject, ctx.moment, ctx.connection
    )
    if found:
        interval = found[0]
        error = FoodSafetyIntervalError(
            subject=subject, interval=interval_message(interval), index=interval.entry_idx
        )
        error.errors = {"plot" if subject.startswith("plot:") else "flock": [error.message]}
        raise error


# --- checks ------------------------------------------------------------------------------------


def _about(ctx: RecordingContext) -> LotState | None:
    """The lot or site a check is about; the caller must hold the lot or own the site."""
    if ctx.data.get("lot"):
        oversight = ctx.principal.role in ("auditor", "admin")
        lot = ctx.lot("lot") if oversight else ctx.held_lot("lot", N_("inspect"), movable=False)
        ctx.subject(lot.id, "observed")
        return lot
    if ctx.principal.role in ("auditor", "admin"):
        site = ctx.location("site")
    else:
        site = ctx.own_location("site")
    ctx.subject(location_subject(site.kind, site.gln), "observed")
    return None


def inspection(ctx: RecordingContext) -> None:
    lot = _about(ctx)
    if lot is not None and ctx.data.get("result") == "fail":
        what = ctx.data.get("analyte") or Message(N_("inspection"))
        ctx.hold([lot], Message(N_("{what} failed"), what=what))


def complaint(ctx: RecordingContext) -> None:
    lot = ctx.lot("lot")
    ctx.subject(lot.id, "observed")


def training(ctx: RecordingContext) -> None:
    ctx.subject(ctx.principal.actor, "observed")


def _produced_by(ctx: RecordingContext, lot: LotState) -> bool:
    return any(ctx.org in (item.get("producer"), item.get("cooperative")) for item in lot.origin)
