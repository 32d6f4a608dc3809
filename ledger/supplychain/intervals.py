"""Pre-harvest intervals and withdrawal periods still running: one answer for pages and ledger.

A spray starts a pre-harvest interval on its plot, a treatment (or a vaccination with a
withdrawal period) one on its flock; until it ends the recorder refuses a harvest of the plot or
a slaughter of the flock or of any lot made from it. The farmer's pages show the same intervals
before anything is sent. Both ask :func:`covering` and :func:`running` here, so what a page says
is what the ledger will do, and both word it with :func:`interval_message`.

A time is an aware :class:`~datetime.datetime`; days are Vietnam's local days.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ledger.common.clock import Clock, SystemClock
from ledger.common.db import select_where_in
from ledger.common.messages import N_, Message
from ledger.supplychain.custody import DEPLETED, VIETNAM, CustodyState, References
from ledger.supplychain.tables import LOCATION, LOT, ORGANISATION, PRODUCT, RECORDED_EVENT
from ledger.tlog.canonical import parse_time, utc_timestamp

PRE_HARVEST = "pre_harvest_interval"
WITHDRAWAL = "withdrawal_period"

#: Names of safety intervals, for messages.
INTERVAL_NAMES = {
    PRE_HARVEST: N_("pre-harvest interval"),
    WITHDRAWAL: N_("withdrawal period"),
}


@dataclass(frozen=True)
class RunningInterval:
    """An interval running at some moment on a plot or a flock."""

    #: The entry that started it (the spray, treatment or vaccination).
    entry_idx: int
    #: The plot (``plot:<GLN>``) or flock (``lot:…``) asked about.
    about: str
    #: Where the interval was started: the plot, the flock or a lot the flock was made from.
    subject: str
    kind: str
    event_type: str
    #: The product's name as the event gave it, and its code if the event named one.
    product: str
    input_product: str | None
    active_ingredients: tuple[str, ...]
    days: int
    applied_at: datetime
    #: When harvest or slaughter is allowed again (aware, in Vietnam's time).
    ends_at: datetime
    #: Local calendar days from ``at`` to the day it ends, at least 1 while it runs (0 once it
    #: has ended), so "3 more days" and "allowed from 15/07" agree in one sentence.
    days_left: int

    @property
    def applied_on(self) -> date:
        return self.applied_at.date()

    @property
    def allowed_from(self) -> date:
        """The local day on which harvest or slaughter becomes allowed (from ``ends_at``)."""
        return self.ends_at.date()

    @property
    def plot(self) -> str | None:
        """The plot's GLN, if the interval is about a plot."""
        return self.about[5:] if self.about.startswith("plot:") else None

    @property
    def flock(self) -> str | None:
        """The flock's lot id, if the interval is about a flock."""
        return self.about if self.about.startswith("lot:") else None


def covering(state: CustodyState, about: str, at_utc: str) -> list[dict[str, Any]]:
    """The stored and this transaction's interval rows running at ``at_utc`` (a canonical UTC
    time) on ``about``, or for a lot on it and every lot it was made from (a split or repacked
    flock keeps its treatments' withdrawal periods)."""
    subjects = state.ancestors(about) if about.startswith("lot:") else [about]
    return [row for subject in subjects for row in state.intervals_covering(subject, at_utc)]


def running(
    rows: Iterable[Mapping[str, Any]],
    about: str,
    at: datetime,
    connection: Connection | None = None,
) -> list[RunningInterval]:
    """The rows running at ``at`` as :class:`RunningInterval`, the one ending last first (it is
    the one that says when harvest or slaughter is allowed). Rows written before intervals kept
    their event type take it from ``recorded_event`` through ``connection``."""
    at_utc = utc_timestamp(at)
    live = [r for r in rows if r["applied_at_utc"] <= at_utc < r["safe_from_utc"]]
    missing = sorted({r["entry_idx"] for r in live if not r.get("event_type")})
    types = _event_types(connection, missing) if missing and connection is not None else {}
    found = [_running_interval(row, about, at, types) for row in live]
    return sorted(found, key=lambda i: (i.ends_at, i.entry_idx), reverse=True)


def _running_interval(
    row: Mapping[str, Any], about: str, at: datetime, types: Mapping[int, str]
) -> RunningInterval:
    ends_at = parse_time(row["safe_from_utc"]).astimezone(VIETNAM)
    default_type = "farm_input.pesticide" if row["kind"] == PRE_HARVEST else "flock.treatment"
    ingredients = json.loads(row.get("active_ingredients") or "[]")
    return RunningInterval(
        entry_idx=row["entry_idx"],
        about=about,
        subject=row["subject"],
        kind=row["kind"],
        event_type=row.get("event_type") or types.get(row["entry_idx"], default_type),
        product=row["what"],
        input_product=row.get("input_product"),
        active_ingredients=tuple(ingredients),
        days=row["days"],
        applied_at=parse_time(row["applied_at_utc"]).astimezone(VIETNAM),
        ends_at=ends_at,
        days_left=_days_left(ends_at, at),
    )


def _days_left(ends_at: datetime, at: datetime) -> int:
    if ends_at <= at:
        return 0
    return max(1, (ends_at.astimezone(VIETNAM).date() - at.astimezone(VIETNAM).date()).days)


def _event_types(connection: Connection, entries: list[int]) -> dict[int, str]:
    return {
        row.entry_idx: row.event_type
        for row in select_where_in(connection, RECORDED_EVENT, "entry_idx", entries)
    }


def allowed_from(intervals: Iterable[RunningInterval]) -> datetime | None:
    """When every one of the intervals has ended, or None if none runs."""
    return max((interval.ends_at for interval in intervals), default=None)


# --- words ---------------------------------------------------------------------------------

#: Per event type: the sentence for several days left, and for one.
_SENTENCES = {
    "farm_input.pesticide": (
        N_(
            "The spray of {product} on {applied_on} is in its pre-harvest interval for "
            "{days_left} more days; harvest is allowed from {allowed_from}."
        ),
        N_(
            "The spray of {product} on {applied_on} is in its pre-harvest interval for one more "
            "day; harvest is allowed from {allowed_from}."
        ),
    ),
    "flock.treatment": (
        N_(
            "The treatment with {product} on {applied_on} is in its withdrawal period for "
            "{days_left} more days; slaughter is allowed from {allowed_from}."
        ),
        N_(
            "The treatment with {product} on {applied_on} is in its withdrawal period for one "
            "more day; slaughter is allowed from {allowed_from}."
        ),
    ),
    "flock.vaccination": (
        N_(
            "The vaccination with {product} on {applied_on} is in its withdrawal period for "
            "{days_left} more days; slaughter is allowed from {allowed_from}."
        ),
        N_(
            "The vaccination with {product} on {applied_on} is in its withdrawal period for one "
            "more day; slaughter is allowed from {allowed_from}."
        ),
    ),
}


def interval_message(interval: RunningInterval) -> Message:
    """The interval in words, as the refusal and the forms say it: "Lần phun Abamectin ngày
    12/7/2026 còn 3 ngày cách ly; được thu hoạch từ 08:00 15/7/2026". The moment it ends is
    given to the minute: the ledger refuses until then, not until the day."""
    default = "farm_input.pesticide" if interval.kind == PRE_HARVEST else "flock.treatment"
    several, one = _SENTENCES.get(interval.event_type, _SENTENCES[default])
    return Message(
        one if interval.days_left == 1 else several,
        product=interval.product,
        applied_on=interval.applied_on,
        days_left=interval.days_left,
        allowed_from=interval.ends_at,
    )


# --- the service pages use -----------------------------------------------------------------


class Intervals:
    """Running intervals read for pages, by the same rules the recorder refuses with."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock: Clock = clock or SystemClock()

    def running_intervals(
        self, *, plot: str | None = None, flock: str | None = None, at: datetime | None = None
    ) -> list[RunningInterval]:
        """The intervals running at ``at`` (default now) on a plot (its GLN) or a flock (its lot
        id ``lot:<GTIN>/<code>``), the one ending last first; empty when harvest or slaughter
        is allowed."""
        if (plot is None) == (flock is None):
            raise ValueError("name either a plot or a flock")
        about = f"plot:{plot}" if plot is not None else str(flock)
        moment = at or self.clock.now()
        with self.engine.connect() as connection:
            state = CustodyState(connection)
            return running(covering(state, about, utc_timestamp(moment)), about, moment, connection)

    def allowed_from(
        self, *, plot: str | None = None, flock: str | None = None, at: datetime | None = None
    ) -> datetime | None:
        """When harvest (of ``plot``) or slaughter (of ``flock``) is allowed, if not at ``at``."""
        return allowed_from(self.running_intervals(plot=plot, flock=flock, at=at))

    def running_intervals_of_organisation(
        self, organisation: str, at: datetime | None = None
    ) -> list[RunningInterval]:
        """Every interval running at ``at`` on the organisation's farm plots (a cooperative's
        with its members') and on the flocks it holds, the one ending first first: a farmer's
        "what is still waiting" list."""
        moment = at or self.clock.now()
        at_utc = utc_timestamp(moment)
        with self.engine.connect() as connection:
            abouts = _plots_and_flocks(connection, organisation)
            state = CustodyState(connection)
            state.prefetch(References(set(), set(), {a for a in abouts if a.startswith("plot:")}))
            found = [
                interval
                for about in abouts
                for interval in running(covering(state, about, at_utc), about, moment, connection)
            ]
        return sorted(found, key=lambda i: (i.ends_at, i.about, i.entry_idx))


def _plots_and_flocks(connection: Connection, organisation: str) -> list[str]:
    """The active farm plots of the organisation and, for a cooperative, of its member farms
    (it records for them), and the live flocks it holds, as subjects."""
    members = sa.select(ORGANISATION.c.gln).where(ORGANISATION.c.member_of == organisation)
    plots = connection.execute(
        sa.select(LOCATION.c.gln)
        .where(
            sa.or_(LOCATION.c.organisation == organisation, LOCATION.c.organisation.in_(members)),
            LOCATION.c.kind == "farm_plot",
            LOCATION.c.active.is_(True),
        )
        .order_by(LOCATION.c.gln)
    ).scalars()
    flocks = connection.execute(
        sa.select(LOT.c.id)
        .join(PRODUCT, PRODUCT.c.gtin == LOT.c.gtin)
        .where(
            LOT.c.holder == organisation,
            PRODUCT.c.kind == "live_chicken",
            LOT.c.status != DEPLETED,
        )
        .order_by(LOT.c.id)
    ).scalars()
    return [f"plot:{gln}" for gln in plots] + list(flocks)
