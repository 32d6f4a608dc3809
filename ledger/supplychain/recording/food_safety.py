"""Farm inputs, flock care, food-safety intervals and checks: what keeps food safe to sell."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from ledger.common.messages import N_, Message
from ledger.supplychain.custody import LotState
from ledger.supplychain.errors import FoodSafetyIntervalError
from ledger.supplychain.recording.context import RecordingContext
from ledger.supplychain.recording.subjects import location_subject
from ledger.tlog.canonical import parse_time, utc_timestamp

#: Names of safety intervals, for messages.
INTERVAL_NAMES = {
    "pre_harvest_interval": N_("pre-harvest interval"),
    "withdrawal_period": N_("withdrawal period"),
}


def _start_safety_interval(
    ctx: RecordingContext, subject: str, kind: str, what: str, days: int
) -> None:
    """Start a pre-harvest interval or withdrawal period on a plot or flock; one recorded late
    puts on hold what was harvested or slaughtered from it while it ran."""
    if days <= 0:
        return
    applied_utc = ctx.event_utc
    safe_from_utc = utc_timestamp(ctx.moment + timedelta(days=days))
    ctx.state.add_interval(
        {
            "entry_idx": ctx.index,
            "subject": subject,
            "kind": kind,
            "what": what,
            "days": days,
            "applied_at_utc": applied_utc,
            "safe_from_utc": safe_from_utc,
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


def farm_input(ctx: RecordingContext) -> None:
    plot = ctx.own_location("plot", ("farm_plot",))
    subject = location_subject(plot.kind, plot.gln)
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
    ctx.product(flock.id, "flock", ("live_chicken",))
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
    moment = ctx.event_utc
    subjects = ctx.state.ancestors(subject) if subject.startswith("lot:") else [subject]
    running = sorted(
        (i for s in subjects for i in ctx.state.intervals_covering(s, moment)),
        key=lambda interval: interval["safe_from_utc"],
        reverse=True,
    )
    if running:
        interval = running[0]
        raise FoodSafetyIntervalError(
            subject=subject,
            safe_from=parse_time(interval["safe_from_utc"]),
            what=interval["what"],
            index=interval["entry_idx"],
            kind=Message(INTERVAL_NAMES[interval["kind"]]),
            days=interval["days"],
        )


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
