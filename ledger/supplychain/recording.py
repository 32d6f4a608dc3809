"""Recording supply-chain events: the one service every write goes through.

The API, the CLI imports, the demo season and later the pages and EPCIS capture all call
:meth:`Recorder.record_batch`. Inside one append transaction it, for each command in order:

1. recognises an idempotent repeat (same organisation, same key, same command) and returns the
   entry recorded the first time, before any rule is evaluated again;
2. checks that the account's role may record the type and that the event time is plausible;
3. runs the type's handler, which checks the object-level rules (the caller's plots and lots,
   the holder, the named receiver), quantities in exact decimals, food-safety intervals and
   recalls, and decides the entry's subjects and payload;
4. appends the entries and writes the custody state they cause, all or nothing.

A refused command raises the error that says why (403 who, 409 conflict, 422 rule); in a batch it
is wrapped in :class:`~ledger.tlog.errors.BatchError` naming its line, and nothing is recorded.
"""

from __future__ import annotations

import decimal
import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import sqlalchemy as sa

from ledger.common.db import query_where_in
from ledger.common.errors import ConflictError, InvalidInputError, LedgerError, NotFoundError
from ledger.common.messages import N_, Message
from ledger.supplychain.accounts import Principal
from ledger.supplychain.custody import (
    ACTIVE,
    DEPLETED,
    HOLD_BLOCK,
    IN_TRANSIT,
    RECALL_BLOCK,
    CustodyState,
    LotState,
    References,
    utc_key,
)
from ledger.supplychain.custody import VIETNAM as VIETNAM  # the zone events' days are read in
from ledger.supplychain.errors import (
    FoodSafetyIntervalError,
    ForbiddenError,
    InsufficientQuantityError,
    LotBlockedError,
    RuleViolationError,
)
from ledger.supplychain.label_issues import MAX_SERIAL
from ledger.supplychain.tables import CERTIFICATE, RECORDED_EVENT
from ledger.supplychain.vocabulary import (
    EVENT_TYPES,
    MEASUREMENT_UNITS,
    SHELF_LIFE_DAYS,
    VOCABULARY_VERSION,
    amount_problem,
    event_type,
)
from ledger.tlog.canonical import envelope_of, fingerprint, parse_time, utc_timestamp
from ledger.tlog.envelope import NewEvent, SubjectRef
from ledger.tlog.errors import BatchError, IdempotencyConflictError
from ledger.tlog.key_registry import ROLE_LABEL, active_label_key, gtin_in_scope, load_keys
from ledger.tlog.log import Log
from ledger.tlog.private import value_bytes
from ledger.tlog.tables import ENTRY, PRIVATE_VALUE

#: Names of safety intervals and transformations, for messages.
INTERVAL_NAMES = {
    "pre_harvest_interval": N_("pre-harvest interval"),
    "withdrawal_period": N_("withdrawal period"),
}
TRANSFORM_NAMES = {"drying": N_("drying"), "ripening": N_("ripening")}

#: Quantities have at most 38 significant digits; sums of a batch's worth of them stay exact
#: at this precision, where the default 28 digits would round them silently.
QUANTITY_CONTEXT = decimal.Context(prec=120)

#: Vietnam keeps one offset all year; "the day" of an event is its date there.


@dataclass(frozen=True)
class DomainSettings:
    """Plausibility limits of the recording rules; each can be set in the configuration."""

    max_future_seconds: int = 300
    max_late_days: int = 30
    #: Even with a reason, events older than this are refused (a typing error, not a backlog).
    max_backfill_days: int = 3650
    slaughter_kg_per_head: tuple[Decimal, Decimal] = (Decimal("0.9"), Decimal("2.8"))
    drying_yield: tuple[Decimal, Decimal] = (Decimal("0.08"), Decimal("0.30"))
    ripening_yield: tuple[Decimal, Decimal] = (Decimal("0.85"), Decimal("1"))
    #: Labels a lot may have beyond one per unit (torn or misprinted ones), as a fraction.
    label_spare: Decimal = Decimal("0.02")
    #: Refuses (raising a LedgerError) a lot whose labels, up to the given serial, would not fit
    #: the QR code: ``(gtin, lot code, last serial)``. The web app passes the public host's.
    label_fits: Callable[[str, str, int], None] | None = None


@dataclass(frozen=True)
class Command:
    """A validated request to record one event (see :mod:`schemas.events`).

    ``data`` holds the public fields; ``private`` the confidential and personal ones, which the
    ledger replaces by salted commitments.
    """

    type: str
    event_time: str
    data: Mapping[str, Any]
    private: Mapping[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None
    late_reason: str | None = None

    def digest(self) -> bytes:
        """What makes two commands the same request; private values are compared apart."""
        return fingerprint(
            {
                "type": self.type,
                "event_time": self.event_time,
                "data": dict(self.data),
                "private_fields": sorted(self.private),
                "late_reason": self.late_reason,
            }
        )


class _TimeWindow(NamedTuple):
    """The event times a batch accepts, fixed when the batch starts (see DomainSettings), in UTC
    like :attr:`_Context.moment`."""

    latest: datetime
    earliest: datetime
    #: Before this an event needs a reason for being recorded late.
    on_time_from: datetime


class Recorded(NamedTuple):
    """What recording one command gave: its entry, and what the rules did besides.

    A named tuple because one is made per event; its ``index`` field hides ``tuple.index``.
    """

    index: int  # type: ignore[assignment]
    leaf_hash: bytes
    recorded_at: str
    type: str
    repeated: bool = False
    #: Lots this event created.
    lots: tuple[str, ...] = ()
    #: Things the recorder did besides recording, e.g. lots put on hold.
    warnings: tuple[Message, ...] = ()


def lot_parts(lot_id: str) -> tuple[str, str]:
    """``lot:<GTIN-14>/<lot>`` as (GTIN, lot code); the schema has checked the form."""
    gtin, _, code = lot_id[4:].partition("/")
    return gtin, code


def lot_id_of(gtin: str, code: str) -> str:
    return f"lot:{gtin}/{code}"


def location_subject(kind: str, gln: str) -> str:
    if kind == "farm_plot":
        return f"plot:{gln}"
    if kind == "chicken_house":
        return f"house:{gln}"
    return f"location:{gln}"


#: Sites named by their GLN only: where a household grows or raises food (see
#: ledger.supplychain.journey).
_PRIVATE_SITES = frozenset({"farm_plot", "chicken_house"})


def _site_label(row: Any) -> str:
    """A site as a refusal names it: its name and GLN, a household's plot by its GLN alone."""
    if row.kind in _PRIVATE_SITES:
        return str(row.gln)
    return f"{row.name} ({row.gln})"


def _owner_label(owner: Any, gln: str) -> str:
    """An owner as a refusal names it: a business by name and GLN, a household by its GLN."""
    if owner is None or "farm" in owner.roles.split():
        return gln
    return f"{owner.name} ({gln})"


def _rule(field_name: str, template: str, **params: Any) -> RuleViolationError:
    message = Message(template, **params)
    return RuleViolationError(template, errors={field_name: [message]}, **params)


def _bad_data(path: str, message: Message) -> InvalidInputError:
    """A 400 for a value of ``data`` that only the current state shows to be wrong (the unit of
    a lot, the pack date), in the shape the schemas give: ``outputs.0.quantity`` is
    ``{"data": {"outputs": {0: {"quantity": [...]}}}}``."""
    tree: Any = [message]
    for part in reversed(path.split(".")):
        tree = {int(part) if part.isdigit() else part: tree}
    return InvalidInputError(errors={"data": tree})


class _Context:
    """One command being handled: what it may read, and the entry it is building."""

    def __init__(
        self,
        recorder: Recorder,
        state: CustodyState,
        principal: Principal,
        command: Command,
        index: int,
    ) -> None:
        self.recorder = recorder
        self.settings = recorder.settings
        self.state = state
        self.connection = state.connection
        self.principal = principal
        self.command = command
        self.data = command.data
        self.index = index
        self.org = principal.organisation or ""
        self.subjects: dict[str, str] = {}
        self.payload: dict[str, Any] = dict(command.data)
        self.created: list[str] = []
        self.warnings: list[Message] = []
        self.corrects: int | None = None
        #: The event's instant, parsed once and in UTC: several rules compare it, and datetimes
        #: of one time zone compare several times faster than datetimes of two.
        self.moment = parse_time(command.event_time).astimezone(UTC)
        self.event_utc = utc_timestamp(self.moment)

    # --- subjects ------------------------------------------------------------------------------

    def subject(self, subject_id: str, role: str) -> None:
        if subject_id in self.subjects and self.subjects[subject_id] != role:
            raise _rule(
                "data",
                N_("{subject} cannot be both {first} and {second} of one event."),
                subject=subject_id,
                first=self.subjects[subject_id],
                second=role,
            )
        self.subjects[subject_id] = role

    # --- master data ---------------------------------------------------------------------------

    def location(self, field_name: str, kinds: Sequence[str] = ()) -> Any:
        gln = self.data[field_name]
        row = self.state.master("location", gln)
        if row is None or not row.active:
            raise _rule(field_name, N_("There is no active location with GLN {gln}."), gln=gln)
        if kinds and row.kind not in kinds:
            raise _rule(
                field_name,
                N_("Location {gln} is a {kind}; this event needs a {wanted}."),
                gln=gln,
                kind=row.kind,
                wanted=" / ".join(kinds),
            )
        return row

    def own_location(self, field_name: str, kinds: Sequence[str] = ()) -> Any:
        """A location the caller may act at (see :meth:`may_act_at`), else 403 naming the site
        and its owner."""
        row = self.location(field_name, kinds)
        if not self.may_act_at(row):
            owner = self.state.master("organisation", row.organisation)
            raise ForbiddenError(
                N_(
                    "{site} belongs to {owner}; {organisation} may act only at its own sites, "
                    "its cooperative's and sites whose owner lists it as a client."
                ),
                site=_site_label(row),
                owner=_owner_label(owner, row.organisation),
                organisation=self.org,
            )
        return row

    def may_act_at(self, row: Any) -> bool:
        """Whether the caller acts at the location ``row``: its own, a member farm's (for a
        cooperative, which records for its members), its cooperative's (for a member), or one
        whose owner lists it among the site's clients (a cold store's or packhouse's)."""
        if row.organisation == self.org or self.org in (row.clients or "").split():
            return True
        owner = self.state.master("organisation", row.organisation)
        if owner is not None and owner.member_of == self.org:
            return True
        caller = self.state.master("organisation", self.org)
        return (
            caller is not None and bool(caller.member_of) and caller.member_of == row.organisation
        )

    def organisation(self, field_name: str, role: str | None = None) -> Any:
        gln = self.data[field_name]
        row = self.state.master("organisation", gln)
        if row is None or not row.active:
            raise _rule(field_name, N_("There is no active organisation with GLN {gln}."), gln=gln)
        if role is not None and role not in row.roles.split():
            raise _rule(
                field_name,
                N_("Organisation {gln} does not have the role {role}."),
                gln=gln,
                role=role,
            )
        return row

    def product(self, lot_id: str, field_name: str, kinds: Sequence[str] = ()) -> Any:
        gtin, _ = lot_parts(lot_id)
        row = self.state.master("product", gtin)
        if row is None or not row.active:
            raise _rule(field_name, N_("There is no active product with GTIN {gtin}."), gtin=gtin)
        if kinds and row.kind not in kinds:
            raise _rule(
                field_name,
                N_("Product {gtin} is {kind}; this event needs {wanted}."),
                gtin=gtin,
                kind=row.kind,
                wanted=" / ".join(kinds),
            )
        return row

    def certificates_on(
        self, day: str, holders: Sequence[str], location_gln: str, product_kind: str
    ) -> list[str]:
        """Ids of certificates valid on ``day`` for the holders, covering the location (when the
        certificate names locations) and the product (when it names products)."""
        rows = self.state.certificates(tuple(sorted(set(holders))))
        valid = []
        for row in rows:
            scope = json.loads(row.scope)
            locations = scope.get("locations") or []
            if locations and location_gln not in locations:
                continue
            products = scope.get("products") or []
            if products and product_kind not in products:
                continue
            if not row.valid_from <= day <= row.valid_to:
                continue
            if row.revoked_on is not None and day >= row.revoked_on:
                continue
            valid.append(row.id)
        return sorted(valid)

    def day(self) -> str:
        return self.moment.astimezone(VIETNAM).date().isoformat()

    def amount(self, path: str, value: Any, unit: str) -> Decimal:
        """The quantity of ``data`` at ``path``, refused (400) when it is finer than the unit
        of the lot it counts, or larger than that unit's largest value. The schemas checked it
        against the finest unit of any product; only the lot says which unit it is in."""
        number = Decimal(value)
        known = MEASUREMENT_UNITS.get(unit)
        problem = amount_problem(number, known) if known is not None else None
        if problem is not None:
            raise _bad_data(path, problem)
        return number

    def best_before(self, path: str, value: str | None, product_kind: str) -> str | None:
        """A best-before date after the day of the event and within the product's shelf life;
        a product with no shelf life (live animals) takes none."""
        if value is None:
            return None
        day = self.moment.astimezone(VIETNAM).date()
        shelf_life = SHELF_LIFE_DAYS.get(product_kind)
        if shelf_life is None:
            raise _bad_data(path, Message(N_("Live animals have no best-before date.")))
        latest = day + timedelta(days=shelf_life)
        if not day.isoformat() < value <= latest.isoformat():
            raise _bad_data(
                path,
                Message(
                    N_(
                        "Packed on {day}, this product is best before a later day, at most "
                        "{days} days later ({latest})."
                    ),
                    day=day.isoformat(),
                    days=shelf_life,
                    latest=latest.isoformat(),
                ),
            )
        return value

    # --- lots ----------------------------------------------------------------------------------

    def lot(self, field_name: str, lot_id: str | None = None) -> LotState:
        lot_id = lot_id or self.data[field_name]
        lot = self.state.lot(lot_id)
        if lot is None:
            raise NotFoundError(N_("There is no lot {lot}."), lot=lot_id)
        if self.event_utc < lot.created_utc and self.command.type not in _ANY_TIME:
            raise _rule(
                "event_time",
                N_("Lot {lot} came into being at {created}; this event is dated before that."),
                lot=lot.id,
                created=parse_time(lot.created_event_time),
            )
        return lot

    def held_lot(
        self,
        field_name: str,
        action: str,
        lot_id: str | None = None,
        *,
        movable: bool = True,
        in_transit_ok: bool = False,
    ) -> LotState:
        """A lot the caller's organisation holds; ``movable`` also refuses recalls and holds."""
        lot = self.lot(field_name, lot_id)
        if lot.holder != self.org:
            raise ForbiddenError(
                N_("Lot {lot} is held by {holder}; only its holder can {action} it."),
                lot=lot.id,
                holder=lot.holder,
                action=Message(action),
            )
        if lot.status == IN_TRANSIT and not in_transit_ok:
            raise LotBlockedError(
                lot=lot.id,
                status=Message(N_("in transit")),
                reason=Message(N_("it was shipped to {receiver}"), receiver=lot.receiver),
            )
        if movable:
            if lot.recall_entry is not None:
                raise LotBlockedError(
                    lot=lot.id,
                    status=Message(N_("recalled")),
                    reason=Message(N_("see recall entry {index}"), index=lot.recall_entry),
                )
            if lot.hold_entry is not None:
                raise LotBlockedError(
                    lot=lot.id,
                    status=Message(N_("on hold")),
                    reason=Message(N_("see entry {index}"), index=lot.hold_entry),
                )
        return lot

    def take(self, lot: LotState, quantity: Decimal) -> None:
        if quantity > lot.quantity:
            raise InsufficientQuantityError(
                lot=lot.id,
                available=lot.quantity,
                requested=quantity,
                unit=lot.unit,
            )
        lot.quantity -= quantity
        if lot.quantity == 0:
            lot.status = DEPLETED
        self.state.changed(lot, self.index)

    def new_lot(
        self,
        lot_id: str,
        field_name: str,
        quantity: Decimal,
        *,
        kinds: Sequence[str] = (),
        unit: str | None = None,
        origin: list[dict[str, Any]],
        source: str | None = None,
        best_before: str | None = None,
        units: int | None = None,
        creator: str | None = None,
    ) -> LotState:
        """A lot this event makes, held by the caller; ``creator`` is the caller too, but for a
        part split off a lot, which keeps the creator of the lot it came from."""
        if self.state.lot(lot_id) is not None:
            raise ConflictError(N_("Lot {lot} already exists."), lot=lot_id)
        product_row = self.product(lot_id, field_name, kinds)
        if unit is not None and product_row.unit != unit:
            raise _rule(
                field_name,
                N_("Lot {lot} is counted in {unit}, but the lots it is made from in {wanted}."),
                lot=lot_id,
                unit=product_row.unit,
                wanted=unit,
            )
        if quantity <= 0:
            raise _rule(field_name, N_("A new lot needs a quantity above zero."))
        gtin, code = lot_parts(lot_id)
        lot = LotState(
            id=lot_id,
            gtin=gtin,
            lot_code=code,
            unit=product_row.unit,
            holder=self.org,
            created_quantity=quantity,
            quantity=quantity,
            status=ACTIVE,
            created_entry=self.index,
            created_event_time=self.command.event_time,
            created_utc=self.event_utc,
            origin=origin,
            updated_entry=self.index,
            best_before=best_before,
            units=units,
            source=source,
            creator=self.org if creator is None else creator,
        )
        self.state.add_lot(lot)
        self.created.append(lot_id)
        self.subject(lot_id, "output")
        return lot

    def edge(self, parent: LotState, child: LotState, quantity: Decimal) -> None:
        self.state.add_edge(parent.id, child.id, self.index, str(quantity))

    def hold(self, lots: list[LotState], reason: Message) -> None:
        """Put lots and everything made from them on hold, because of this entry."""
        for lot_id in self.state.descendants([lot.id for lot in lots]):
            held = self.state.lot(lot_id)
            if held is not None:
                self.state.block(held, self.index, HOLD_BLOCK)
                self.warnings.append(
                    Message(N_("Lot {lot} was put on hold: {reason}"), lot=lot_id, reason=reason)
                )

    def yield_check(self, ratio: Decimal, bounds: tuple[Decimal, Decimal], what: str) -> None:
        low, high = bounds
        if low <= ratio <= high:
            return
        if self.data.get("supervisor_reason"):
            self.payload["yield_outside_range"] = True
            return
        raise _rule(
            "supervisor_reason",
            N_(
                "The {what} yield {ratio} is outside the plausible range {low} to {high}; a "
                "supervisor must give a reason to record it."
            ),
            what=Message(what),
            ratio=ratio.quantize(Decimal("0.001")),
            low=low,
            high=high,
        )


Handler = Callable[[_Context], None]

#: Events about a lot that may be dated before it: they record what someone decided later.
_ANY_TIME = frozenset(
    {"correction", "recall", "recall_lift", "hold_release", "recall.request", "recall.dismiss"}
)


# --- farm inputs and flocks --------------------------------------------------------------------


def _safety_interval(ctx: _Context, subject: str, kind: str, what: str, days: int) -> None:
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


def _farm_input(ctx: _Context) -> None:
    plot = ctx.own_location("plot", ("farm_plot",))
    subject = location_subject(plot.kind, plot.gln)
    ctx.subject(subject, "observed")
    if ctx.command.type == "farm_input.pesticide":
        _safety_interval(
            ctx, subject, "pre_harvest_interval", ctx.data["product"], ctx.data["phi_days"]
        )


def _energy_use(ctx: _Context) -> None:
    site = ctx.own_location("location")
    ctx.subject(location_subject(site.kind, site.gln), "observed")


def _placement(ctx: _Context) -> None:
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


def _cared_flock(ctx: _Context, action: str) -> LotState:
    """The flock the caller holds, or raised (a treatment may be recorded after a handover)."""
    flock = ctx.lot("flock")
    if flock.holder != ctx.org and _produced_by(ctx, flock):
        return flock
    return ctx.held_lot("flock", action, movable=False, in_transit_ok=True)


def _flock_observation(ctx: _Context) -> None:
    flock = _cared_flock(ctx, N_("record care for"))
    ctx.product(flock.id, "flock", ("live_chicken",))
    ctx.subject(flock.id, "observed")
    days = ctx.data.get("withdrawal_days")
    if days:
        _safety_interval(ctx, flock.id, "withdrawal_period", ctx.data["product"], days)


def _flock_loss(ctx: _Context) -> None:
    flock = ctx.held_lot("flock", N_("record losses of"), movable=False)
    ctx.product(flock.id, "flock", ("live_chicken",))
    ctx.take(flock, Decimal(ctx.data["count"]))
    ctx.subject(flock.id, "input")


# --- lots are created --------------------------------------------------------------------------


def _origin_of(ctx: _Context, site: Any, product_kind: str) -> dict[str, Any]:
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


def _refuse_within_interval(ctx: _Context, subject: str) -> None:
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


def _harvest(ctx: _Context) -> None:
    plot = ctx.own_location("plot", ("farm_plot",))
    subject = location_subject(plot.kind, plot.gln)
    _refuse_within_interval(ctx, subject)
    origin = _origin_of(ctx, plot, ctx.product(ctx.data["lot"], "lot").kind)
    ctx.payload["origin"] = origin
    ctx.subject(subject, "observed")
    ctx.new_lot(
        ctx.data["lot"],
        "lot",
        ctx.amount("quantity", ctx.data["quantity"], ctx.product(ctx.data["lot"], "lot").unit),
        kinds=("fresh_longan", "pink_banana"),
        origin=[origin],
        source=subject,
    )


def _slaughter(ctx: _Context) -> None:
    flock = ctx.held_lot("flock", N_("slaughter"))
    ctx.product(flock.id, "flock", ("live_chicken",))
    _refuse_within_interval(ctx, flock.id)
    heads = Decimal(ctx.data["head_count"])
    carcass = Decimal(ctx.data["carcass_kg"])
    ctx.yield_check(carcass / heads, ctx.settings.slaughter_kg_per_head, N_("kg per head"))
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


def _pack(ctx: _Context) -> None:
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


def _inputs(ctx: _Context, action: str) -> list[tuple[LotState, Decimal]]:
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


def _merge(ctx: _Context) -> None:
    taken = _inputs(ctx, N_("merge"))
    units = {lot.unit for lot, _ in taken}
    total = sum((quantity for _, quantity in taken), Decimal(0))
    kinds = {ctx.product(lot.id, "inputs").kind for lot, _ in taken}
    if len(kinds) > 1:
        raise _rule(
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


def _transform(ctx: _Context) -> None:
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


def _split_code(lot: LotState, ctx: _Context) -> str:
    for n in range(1, 1000):
        code = f"{lot.lot_code}-{n}"
        if len(code) > 20:
            break
        if ctx.state.lot(lot_id_of(lot.gtin, code)) is None:
            return code
    raise _rule(
        "split_lot",
        N_("Give split_lot: a code for the part of lot {lot} that is shipped."),
        lot=lot.id,
    )


def _ship(ctx: _Context) -> None:
    lot = ctx.held_lot("lot", N_("ship"))
    receiver = ctx.organisation("receiver")
    if receiver.gln == ctx.org:
        raise _rule("receiver", N_("A lot cannot be shipped to its own holder."))
    quantity = ctx.amount("quantity", ctx.data["quantity"], lot.unit)
    if quantity > lot.quantity:
        raise InsufficientQuantityError(
            lot=lot.id, available=lot.quantity, requested=quantity, unit=lot.unit
        )
    shipped = lot
    if quantity == lot.quantity and ctx.data.get("split_lot"):
        raise _rule(
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


def _receive(ctx: _Context) -> None:
    lot = ctx.lot("lot")
    if lot.status != IN_TRANSIT:
        raise _rule("lot", N_("Lot {lot} is not in transit."), lot=lot.id)
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
            raise _rule(
                "quantity",
                N_("{received} {unit} received, but only {shipped} {unit} were shipped."),
                received=received,
                shipped=lot.quantity,
                unit=lot.unit,
            )
        shortfall = lot.quantity - received
        if shortfall and not ctx.data.get("shortfall_reason"):
            raise _rule(
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


def _lot_observation(ctx: _Context) -> None:
    """Store, cooling: the holder observes its lot at a site."""
    lot = ctx.held_lot("lot", N_("store"), movable=False)
    ctx.subject(lot.id, "observed")
    if ctx.data.get("site"):
        site = ctx.own_location("site")
        ctx.subject(location_subject(site.kind, site.gln), "observed")


# --- checks ------------------------------------------------------------------------------------


def _about(ctx: _Context) -> LotState | None:
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


def _inspection(ctx: _Context) -> None:
    lot = _about(ctx)
    if lot is not None and ctx.data.get("result") == "fail":
        what = ctx.data.get("analyte") or Message(N_("inspection"))
        ctx.hold([lot], Message(N_("{what} failed"), what=what))


def _complaint(ctx: _Context) -> None:
    lot = ctx.lot("lot")
    ctx.subject(lot.id, "observed")


def _training(ctx: _Context) -> None:
    ctx.subject(ctx.principal.actor, "observed")


# --- leaving the chain, money ------------------------------------------------------------------


def _sell(ctx: _Context) -> None:
    lot = ctx.held_lot("lot", N_("sell"))
    ctx.take(lot, ctx.amount("quantity", ctx.data["quantity"], lot.unit))
    ctx.subject(lot.id, "input")


def _loss(ctx: _Context) -> None:
    lot = ctx.held_lot("lot", N_("record a loss of"), movable=False, in_transit_ok=True)
    ctx.take(lot, ctx.amount("quantity", ctx.data["quantity"], lot.unit))
    if lot.status == DEPLETED:
        lot.receiver = None
        lot.shipment_entry = None
    ctx.subject(lot.id, "input")


# --- labels ------------------------------------------------------------------------------------


def label_limit(units: int, spare: Decimal) -> int:
    """How many labels a lot of ``units`` units may have: one each, plus the spare rounded down,
    so never more than ``units × (1 + spare)`` (100 units and 2 %: 102; 10 units: 10)."""
    return units + math.floor(units * spare)


def _label_issue(ctx: _Context) -> None:
    """Allocate the next serials of the lot's GTIN to the lot, signed by the holder's label key.

    Only the lot's holder issues labels, while it may move the lot (not recalled, on hold or in
    transit), and at most one per packed unit plus the spare. The entry names the label key, so
    that a verifier can check that the key's organisation held the lot when it issued them.
    """
    lot = ctx.held_lot("lot", N_("issue labels for"))
    ctx.subject(lot.id, "observed")
    if lot.status == DEPLETED:
        raise _rule("lot", N_("Lot {lot} is used up; it needs no more labels."), lot=lot.id)
    if lot.units is None:
        raise _rule(
            "lot",
            N_("Lot {lot} has no unit count; labels are issued for packed lots, one per unit."),
            lot=lot.id,
        )
    key = active_label_key(load_keys(ctx.connection, ROLE_LABEL), ctx.org)
    if key is None:
        raise _rule(
            "lot",
            N_("{organisation} has no label key; an administrator creates one first."),
            organisation=ctx.org,
        )
    if not gtin_in_scope(lot.gtin, key.company_prefixes):
        raise _rule(
            "lot",
            N_("The label key of {organisation} signs GTINs under {prefixes} only, not {gtin}."),
            organisation=ctx.org,
            prefixes=", ".join(key.company_prefixes),
            gtin=lot.gtin,
        )
    count = int(ctx.data["count"])
    issued = ctx.state.labels_issued(lot.id)
    limit = label_limit(lot.units, ctx.settings.label_spare)
    if issued + count > limit:
        raise _rule(
            "count",
            N_(
                "Lot {lot} has {units} units and may have {limit} labels with the spare; "
                "{issued} are issued, so at most {left} more."
            ),
            lot=lot.id,
            units=lot.units,
            limit=limit,
            issued=issued,
            left=max(limit - issued, 0),
        )
    first = ctx.state.next_serial(lot.gtin)
    last = first + count - 1
    if last > MAX_SERIAL:  # pragma: no cover - 9.2 × 10^18 labels of one GTIN
        raise _rule("count", N_("The serials of GTIN {gtin} are used up."), gtin=lot.gtin)
    if ctx.settings.label_fits is not None:
        ctx.settings.label_fits(lot.gtin, lot.lot_code, last)
    ctx.payload.update(first_serial=str(first), last_serial=str(last), label_key=key.verifier.vkey)
    ctx.state.add_label_issue(
        {
            "entry_idx": ctx.index,
            "gtin": lot.gtin,
            "lot": lot.id,
            "issuer": ctx.org,
            "first_serial": first,
            "last_serial": last,
            "label_key": key.row_id,
        }
    )


def _money(ctx: _Context) -> None:
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


# --- oversight ---------------------------------------------------------------------------------


#: In what capacity an organisation recalls a lot: as an authority (auditor, admin), as the
#: lot's producer (its creator, or the creator's cooperative), or as a holder withdrawing its
#: own stock. The first two recall the lot and everything made or split from it; a holder only
#: what it holds of the lot and of what was made from it.
AUTHORITY, PRODUCER, HOLDER = "authority", "producer", "holder"


def recall_capacity(ctx: _Context, lot: LotState) -> str | None:
    """How the caller may recall ``lot``, or None if it neither created nor holds it.

    Food-safety law has an operator withdraw the food it produced or holds and the authorities
    recall; so the creator recalls all that came of its lot, a mere holder only its own stock.
    """
    if ctx.principal.authority:
        return AUTHORITY
    if lot.creator == ctx.org:
        return PRODUCER
    creator = ctx.state.master("organisation", lot.creator) if lot.creator else None
    if creator is not None and creator.member_of == ctx.org:
        return PRODUCER  # a cooperative acts for the farms it records for
    if lot.holder == ctx.org:
        return HOLDER
    return None


def _neither_created_nor_held(ctx: _Context, lot: LotState) -> ForbiddenError:
    return ForbiddenError(
        N_(
            "{organisation} neither created nor holds lot {lot}, so it cannot recall it; its "
            "creator or the authorities can, and a holder of part of it can file a recall "
            "request."
        ),
        organisation=ctx.org,
        lot=lot.id,
    )


def _recall(ctx: _Context) -> None:
    request = _confirmed_request(ctx) if "request" in ctx.data else None
    lot_ids = [request["lot"]] if request is not None else ctx.data["lots"]
    capacities: dict[str, str] = {}
    for position, lot_id in enumerate(lot_ids):
        field_name = "request" if request is not None else f"lots.{position}"
        lot = ctx.lot(field_name, lot_id)
        capacity = recall_capacity(ctx, lot)
        if capacity is None:
            raise _neither_created_nor_held(ctx, lot)
        if request is not None and capacity == HOLDER:
            raise ForbiddenError(
                N_("Only the creator of lot {lot} or the authorities decide on its recall."),
                lot=lot.id,
            )
        capacities[lot.id] = capacity
        ctx.subject(lot.id, "observed")
    if len(set(capacities.values())) > 1:
        raise _rule(
            "lots",
            N_(
                "Lots you created and lots you only hold are recalled in separate recalls: "
                "a holder withdraws only its own stock."
            ),
        )
    capacity = next(iter(capacities.values()))
    roots = list(capacities)
    affected = ctx.state.descendants(roots)
    blocked = []
    for lot_id in affected:
        recalled = ctx.state.lot(lot_id)
        if recalled is None or (capacity == HOLDER and recalled.holder != ctx.org):
            continue
        ctx.state.block(recalled, ctx.index, RECALL_BLOCK)
        blocked.append(lot_id)
    ctx.payload["capacity"] = capacity
    ctx.state.new_recalls.append(
        {
            "entry_idx": ctx.index,
            "lots": json.dumps(roots),
            "reason": ctx.payload["reason"],
            "lifted_entry": None,
        }
    )
    if capacity == HOLDER:
        ctx.warnings.append(
            Message(
                N_(
                    "{count} lots of your own stock are withdrawn; the other holders' stock is "
                    "not, until the lot's creator or an authority recalls it."
                ),
                count=len(blocked),
            )
        )
    else:
        ctx.warnings.append(Message(N_("{count} lots are recalled."), count=len(blocked)))


def _confirmed_request(ctx: _Context) -> dict[str, Any]:
    """The open recall request a recall confirms; its lot, reason and consumer advice become
    the recall's unless the recall gives its own."""
    request = _open_request(ctx)
    ctx.state.resolve_recall_request(request["entry_idx"], "confirmed", ctx.index)
    ctx.payload["lots"] = [request["lot"]]
    ctx.payload.setdefault("reason", request["reason"])
    if "consumer_action" not in ctx.payload:
        if not request["consumer_action"]:
            raise _rule("consumer_action", N_("Say what consumers should do; the request did not."))
        ctx.payload["consumer_action"] = request["consumer_action"]
    return request


def _open_request(ctx: _Context) -> dict[str, Any]:
    index = ctx.data["request"]
    request = ctx.state.recall_request(index)
    if request is None:
        raise _rule("request", N_("Entry {index} is not a recall request."), index=index)
    if request["resolution"] is not None:
        raise _rule(
            "request",
            N_("Recall request {index} was already decided by entry {by}."),
            index=index,
            by=request["resolved_entry"],
        )
    return request


def _recall_request(ctx: _Context) -> None:
    """A holder that did not make a lot asks its creator (or an authority) to recall it.

    Nothing is blocked until the request is confirmed; the holders of the other parts see it
    (the lot's API answer lists the open requests on it and on what it was made from)."""
    lot = ctx.lot("lot")
    capacity = recall_capacity(ctx, lot)
    if capacity in (AUTHORITY, PRODUCER):
        raise _rule(
            "lot",
            N_("{organisation} may recall lot {lot} itself; a request is for its other holders."),
            organisation=ctx.org,
            lot=lot.id,
        )
    holds_part = any(
        (part := ctx.state.lot(lot_id)) is not None and part.holder == ctx.org
        for lot_id in ctx.state.descendants([lot.id])
    )
    if not holds_part:
        raise ForbiddenError(
            N_("{organisation} holds no part of lot {lot}; only its holders request a recall."),
            organisation=ctx.org,
            lot=lot.id,
        )
    for request in ctx.state.open_recall_requests(lot.id):
        if request["requested_by"] == ctx.org:
            raise ConflictError(
                N_("{organisation} already asked for lot {lot} to be recalled (entry {index})."),
                organisation=ctx.org,
                lot=lot.id,
                index=request["entry_idx"],
            )
    ctx.subject(lot.id, "observed")
    if lot.creator and lot.creator != ctx.org:
        ctx.subject(f"org:{lot.creator}", "observed")  # on the creator's chain, to be seen
    ctx.state.new_recall_requests.append(
        {
            "entry_idx": ctx.index,
            "lot": lot.id,
            "requested_by": ctx.org,
            "reason": ctx.data["reason"],
            "consumer_action": ctx.data.get("consumer_action"),
            "resolution": None,
            "resolved_entry": None,
        }
    )


def _recall_dismiss(ctx: _Context) -> None:
    """The lot's creator or an authority dismisses a recall request, saying why."""
    request = _open_request(ctx)
    lot = ctx.lot("request", request["lot"])
    if recall_capacity(ctx, lot) not in (AUTHORITY, PRODUCER):
        raise ForbiddenError(
            N_("Only the creator of lot {lot} or the authorities decide on its recall."),
            lot=lot.id,
        )
    ctx.state.resolve_recall_request(request["entry_idx"], "dismissed", ctx.index)
    ctx.payload["lot"] = lot.id
    ctx.subject(lot.id, "observed")
    ctx.subject(f"org:{request['requested_by']}", "observed")


def _produced_by(ctx: _Context, lot: LotState) -> bool:
    return any(ctx.org in (item.get("producer"), item.get("cooperative")) for item in lot.origin)


def _recall_lift(ctx: _Context) -> None:
    if "lot" in ctx.data:
        named = ctx.lot("lot")
        if named.recall_entry is None:
            raise _rule("lot", N_("Lot {lot} is not recalled."), lot=named.id)
        ctx.payload["recall"] = named.recall_entry
        del ctx.payload["lot"]
    recall_entry = ctx.payload["recall"]
    recall = ctx.state.recall(recall_entry)
    if recall is None:
        raise _rule("recall", N_("Entry {index} is not a recall."), index=recall_entry)
    if recall["lifted_entry"] is not None:
        raise _rule(
            "recall",
            N_("Recall {index} was already lifted by entry {lifted}."),
            index=recall_entry,
            lifted=recall["lifted_entry"],
        )
    roots = json.loads(recall["lots"])
    for lot_id in roots:
        ctx.subject(lot_id, "observed")
    still = [
        lot.id for lot in ctx.state.lift(recall_entry, RECALL_BLOCK, ctx.index) if lot.recall_entry
    ]
    if still:
        ctx.warnings.append(
            Message(
                N_("{count} lots stay recalled under other recalls: {lots}"),
                count=len(still),
                lots=", ".join(still[:10]),
            )
        )
    ctx.state.lifted_recalls[recall_entry] = ctx.index


def _hold_release(ctx: _Context) -> None:
    """Release one hold (the one named, or the lot's newest) from every lot it is on."""
    lot = ctx.lot("lot")
    active = ctx.state.active_blocks(lot.id, HOLD_BLOCK)
    if not active:
        raise _rule("lot", N_("Lot {lot} is not on hold."), lot=lot.id)
    hold_entry = ctx.data.get("hold", active[-1])
    if hold_entry not in active:
        raise _rule(
            "hold",
            N_("Lot {lot} is not held by entry {index}; its holds: {holds}."),
            lot=lot.id,
            index=hold_entry,
            holds=", ".join(map(str, active)),
        )
    ctx.state.lift(hold_entry, HOLD_BLOCK, ctx.index)
    ctx.payload["hold"] = hold_entry
    ctx.subject(lot.id, "observed")
    if lot.hold_entry is not None:
        ctx.warnings.append(
            Message(
                N_("Lot {lot} stays on hold by entry {index}."), lot=lot.id, index=lot.hold_entry
            )
        )


def _certificate_issue(ctx: _Context) -> None:
    body = ctx.organisation("body", "certification_body")
    if ctx.principal.role != "admin" and ctx.org != body.gln:
        raise ForbiddenError(
            N_("Only the certification body {body} or an administrator can issue this."),
            body=body.gln,
        )
    holder = ctx.organisation("holder")
    cert_id = f"cert:{ctx.data['scheme']}/{ctx.data['number']}"
    exists = ctx.connection.execute(
        sa.select(CERTIFICATE.c.id).where(CERTIFICATE.c.id == cert_id)
    ).first()
    if exists is not None:
        raise ConflictError(N_("Certificate {id} was already issued."), id=cert_id)
    if ctx.data["valid_to"] < ctx.data["valid_from"]:
        raise _rule("valid_to", N_("The certificate ends before it starts."))
    ctx.connection.execute(
        sa.insert(CERTIFICATE).values(
            id=cert_id,
            scheme=ctx.data["scheme"],
            number=ctx.data["number"],
            body=body.gln,
            holder=holder.gln,
            scope=json.dumps(
                {
                    "locations": ctx.data.get("locations") or [],
                    "products": ctx.data.get("products") or [],
                }
            ),
            valid_from=ctx.data["valid_from"],
            valid_to=ctx.data["valid_to"],
            issued_entry=ctx.index,
            revoked_entry=None,
            revoked_on=None,
        )
    )
    ctx.state.forget_certificates()
    ctx.subject(cert_id, "output")
    ctx.subject(f"org:{holder.gln}", "observed")


def _certificate_revoke(ctx: _Context) -> None:
    cert_id = ctx.data["certificate"]
    row = ctx.connection.execute(sa.select(CERTIFICATE).where(CERTIFICATE.c.id == cert_id)).first()
    if row is None:
        raise NotFoundError(N_("There is no certificate {id}."), id=cert_id)
    if ctx.principal.role != "admin" and ctx.org != row.body:
        raise ForbiddenError(
            N_("Only the certification body {body} or an administrator can revoke this."),
            body=row.body,
        )
    if row.revoked_entry is not None:
        raise _rule("certificate", N_("Certificate {id} is already revoked."), id=cert_id)
    ctx.connection.execute(
        sa.update(CERTIFICATE)
        .where(CERTIFICATE.c.id == cert_id)
        .values(revoked_entry=ctx.index, revoked_on=ctx.data["effective"])
    )
    ctx.state.forget_certificates()
    ctx.subject(cert_id, "input")


# --- corrections -------------------------------------------------------------------------------

#: How an event's correctable quantity changes lots: (field, lot field, sign, also created).
QUANTITY_EFFECTS: dict[str, tuple[str, str, int, bool]] = {
    "harvest": ("quantity", "lot", +1, True),
    "flock.placement": ("head_count", "lot", +1, True),
    "flock.loss": ("count", "flock", -1, False),
    "sell": ("quantity", "lot", -1, False),
    "loss": ("quantity", "lot", -1, False),
}
#: Fields a correction may change, per type; anything structural is corrected by new events.
CORRECTABLE: dict[str, frozenset[str]] = {
    "farm_input.fertiliser": frozenset(
        {"product", "n_pct", "p_pct", "k_pct", "quantity_kg", "data_source"}
    ),
    "farm_input.pesticide": frozenset(
        {"product", "registration_no", "active_ingredients", "dose", "dose_unit", "area_ha"}
    ),
    "farm_input.irrigation": frozenset({"volume_m3", "data_source"}),
    "energy_use": frozenset({"kwh", "energy_source", "diesel_l", "petrol_l", "data_source"}),
    "flock.feed": frozenset({"feed_type", "quantity_kg", "data_source"}),
    "flock.weighing": frozenset({"mean_kg", "sample_size"}),
    "flock.placement": frozenset({"head_count", "breed"}),
    "flock.loss": frozenset({"count", "cause", "reason"}),
    "harvest": frozenset({"quantity", "data_source"}),
    "ship": frozenset(
        {
            "vehicle_class",
            "refrigerated",
            "distance_km",
            "fuel_l",
            "transport_document",
            "temperature",
            "data_source",
        }
    ),
    "store": frozenset({"temperature"}),
    "cooling": frozenset({"temperature"}),
    "inspect": frozenset({"value", "unit", "lab", "method"}),
    "sell": frozenset({"quantity"}),
    "loss": frozenset({"quantity", "stage", "reason"}),
    "training": frozenset({"topic", "hours", "participant_count"}),
}


def _correction(ctx: _Context) -> None:
    if "corrects_key" in ctx.data:
        key = ctx.data["corrects_key"]
        found = ctx.connection.execute(
            sa.select(ENTRY.c.idx).where(
                ENTRY.c.idempotency_key == key, ENTRY.c.actor == ctx.principal.actor
            )
        ).scalar()
        if found is None:
            found = ctx.state.recorded_keys.get((ctx.org, key))
        if found is None:
            raise _rule(
                "corrects_key",
                N_("{organisation} recorded no event with the idempotency key {key!r}."),
                organisation=ctx.principal.actor,
                key=ctx.data["corrects_key"],
            )
        ctx.payload["corrects"] = found
        del ctx.payload["corrects_key"]
    original_idx = ctx.payload["corrects"]
    if any(row["entry_idx"] == original_idx for row in ctx.state.recorded):
        raise _rule(
            "corrects",
            N_("Entry {index} is recorded in this same batch; send its correction afterwards."),
            index=original_idx,
        )
    row = ctx.connection.execute(sa.select(ENTRY.c.data).where(ENTRY.c.idx == original_idx)).first()
    if row is None:
        raise NotFoundError(N_("There is no entry {index}."), index=original_idx)
    original = envelope_of(bytes(row.data))
    original_type = original["type"]
    if original_type != ctx.data["corrected_type"]:
        raise _rule(
            "corrected_type",
            N_("Entry {index} is a {type} event."),
            index=original_idx,
            type=original_type,
        )
    if ctx.principal.role not in ("auditor", "admin") and original["actor"] != ctx.principal.actor:
        raise ForbiddenError(
            N_("Entry {index} was recorded by {actor}; only it or the authorities correct it."),
            index=original_idx,
            actor=original["actor"],
        )
    allowed = CORRECTABLE.get(original_type, frozenset())
    changes = dict(ctx.data["changes"])
    refused = sorted(set(changes) - allowed)
    if refused:
        raise _rule(
            f"changes.{refused[0]}",
            N_(
                "{field!r} of a {type} event cannot be corrected; record the event that undoes it "
                "and a new one instead."
            ),
            field=refused[0],
            type=original_type,
        )
    current = _corrected_payload(ctx, original_idx, original["payload"])
    effect = QUANTITY_EFFECTS.get(original_type)
    if effect is not None and effect[0] in changes:
        quantity_field, lot_field, sign, created = effect
        # A quantity changes custody state: only the lot's holder corrects it, while the lot is
        # neither in transit nor recalled nor on hold (correct it after, or record a loss).
        lot = ctx.held_lot(lot_field, N_("correct the quantity of"), current[lot_field])
        corrected = ctx.amount(f"changes.{quantity_field}", changes[quantity_field], lot.unit)
        delta = (corrected - Decimal(current[quantity_field])) * sign
        if lot.quantity + delta < 0:
            raise RuleViolationError(
                N_(
                    "The correction would leave lot {lot} with {balance} {unit}; record what "
                    "became of the missing quantity first."
                ),
                errors={
                    f"changes.{quantity_field}": [Message(N_("Would make a balance negative."))]
                },
                lot=lot.id,
                balance=lot.quantity + delta,
                unit=lot.unit,
            )
        lot.quantity += delta
        if created:
            lot.created_quantity += delta
        lot.status = DEPLETED if lot.quantity == 0 and lot.status == ACTIVE else lot.status
        if lot.quantity > 0 and lot.status == DEPLETED:
            lot.status = ACTIVE
        ctx.state.changed(lot, ctx.index)
        ctx.subject(lot.id, "observed")
    ctx.corrects = original_idx
    ctx.payload["original_leaf_hash"] = _leaf_hash(ctx, original_idx)


def _corrected_payload(ctx: _Context, index: int, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload of entry ``index`` with the corrections recorded so far applied in order."""
    current = dict(payload)
    earlier = ctx.connection.execute(
        sa.select(ENTRY.c.data)
        .select_from(RECORDED_EVENT.join(ENTRY, ENTRY.c.idx == RECORDED_EVENT.c.entry_idx))
        .where(RECORDED_EVENT.c.corrects == index)
        .order_by(RECORDED_EVENT.c.entry_idx)
    ).all()
    for row in earlier:
        current.update(envelope_of(bytes(row.data))["payload"]["changes"])
    for corrected, changes in ctx.state.corrections:
        if corrected == index:
            current.update(changes)
    return current


def _leaf_hash(ctx: _Context, index: int) -> str:
    row = ctx.connection.execute(sa.select(ENTRY.c.leaf_hash).where(ENTRY.c.idx == index)).first()
    return bytes(row.leaf_hash).hex() if row is not None else ""


HANDLERS: dict[str, Handler] = {
    "farm_input.fertiliser": _farm_input,
    "farm_input.pesticide": _farm_input,
    "farm_input.irrigation": _farm_input,
    "energy_use": _energy_use,
    "flock.placement": _placement,
    "flock.feed": _flock_observation,
    "flock.vaccination": _flock_observation,
    "flock.treatment": _flock_observation,
    "flock.weighing": _flock_observation,
    "flock.loss": _flock_loss,
    "harvest": _harvest,
    "slaughter": _slaughter,
    "pack": _pack,
    "merge": _merge,
    "transform": _transform,
    "ship": _ship,
    "receive": _receive,
    "retail_receive": _receive,
    "store": _lot_observation,
    "cooling": _lot_observation,
    "inspect": _inspection,
    "slaughter_inspection": _inspection,
    "internal_audit": _inspection,
    "non_conformity": _inspection,
    "complaint": _complaint,
    "sell": _sell,
    "loss": _loss,
    "label.issue": _label_issue,
    "purchase": _money,
    "payment": _money,
    "training": _training,
    "recall": _recall,
    "recall.request": _recall_request,
    "recall.dismiss": _recall_dismiss,
    "recall_lift": _recall_lift,
    "hold_release": _hold_release,
    "correction": _correction,
    "cert.issue": _certificate_issue,
    "cert.revoke": _certificate_revoke,
}
assert set(HANDLERS) == set(EVENT_TYPES), "every event type needs a handler"


class Recorder:
    """The recording service. One per process; safe to share between threads."""

    def __init__(self, log: Log, settings: DomainSettings | None = None) -> None:
        self.log = log
        self.settings = settings or DomainSettings()

    def record(self, principal: Principal, command: Command) -> Recorded:
        try:
            return self.record_batch(principal, [command])[0]
        except BatchError as error:
            raise error.cause from None

    def record_batch(self, principal: Principal, commands: Sequence[Command]) -> list[Recorded]:
        """Record commands in one transaction, in order: all of them or none."""
        return self.record_many([(principal, command) for command in commands])

    def record_many(self, items: Sequence[tuple[Principal, Command]]) -> list[Recorded]:
        """Record commands of several callers in one transaction (imports, the demo season)."""
        if not items:
            return []
        window = self._time_window(self.log.clock.now())
        with decimal.localcontext(QUANTITY_CONTEXT), self.log.transaction() as transaction:
            state = CustodyState(transaction.connection)
            state.prefetch(_references(items))
            existing = self._existing_keys(transaction.connection, items)
            results: list[Recorded | None] = [None] * len(items)
            first_of_key: dict[tuple[str, str], int] = {}
            events: list[NewEvent] = []
            contexts: list[tuple[int, _Context]] = []
            for position, (principal, command) in enumerate(items):
                line = position + 1
                try:
                    if command.idempotency_key is not None:
                        key = (principal.organisation or "", command.idempotency_key)
                        if key in existing:
                            results[position] = self._repeat(
                                transaction.connection, principal, command, existing[key]
                            )
                            continue
                        if key in first_of_key:
                            first = first_of_key[key]
                            earlier = items[first][1]
                            if earlier.digest() != command.digest() or dict(
                                earlier.private
                            ) != dict(command.private):
                                raise ConflictError(
                                    N_(
                                        "Line {line} reuses the idempotency key of line {first} "
                                        "with different content."
                                    ),
                                    line=line,
                                    first=first + 1,
                                )
                            continue  # filled below from the first line
                        first_of_key[key] = position
                    context = _Context(
                        self, state, principal, command, transaction.size + len(events)
                    )
                    events.append(self._handle(context, window))
                    contexts.append((position, context))
                except LedgerError as error:
                    raise BatchError(line, error) from None
            try:
                appended = transaction.append(events, repeats_resolved=True)
            except BatchError as error:
                raise BatchError(contexts[error.line - 1][0] + 1, error.cause) from None
            for (position, context), result in zip(contexts, appended, strict=True):
                if result.index != context.index:  # pragma: no cover - a broken invariant
                    raise RuntimeError("the log appended at an unexpected index")
                results[position] = Recorded(
                    result.index,
                    result.leaf_hash,
                    result.recorded_at,
                    context.command.type,
                    lots=tuple(context.created),
                    warnings=tuple(context.warnings),
                )
            state.flush()
        for position, (principal, command) in enumerate(items):
            if results[position] is None:
                key = (principal.organisation or "", command.idempotency_key or "")
                first_result = results[first_of_key[key]]
                assert first_result is not None
                results[position] = _as_repeat(first_result)
        return [result for result in results if result is not None]

    # --- steps ---------------------------------------------------------------------------------

    def _handle(self, ctx: _Context, window: _TimeWindow) -> NewEvent:
        command = ctx.command
        kind = event_type(command.type)
        if ctx.principal.role not in kind.roles:
            raise ForbiddenError(
                N_("An account with the role {role} cannot record {type} events."),
                role=ctx.principal.role,
                type=command.type,
            )
        actor = ctx.principal.actor
        self._check_event_time(command, ctx.moment, window)
        HANDLERS[command.type](ctx)
        ctx.payload["v"] = VOCABULARY_VERSION
        if command.late_reason:
            ctx.payload["late_reason"] = command.late_reason
        ctx.state.recorded.append(
            {
                "entry_idx": ctx.index,
                "event_type": command.type,
                "event_time_utc": ctx.event_utc,
                "actor": ctx.org,
                "account": ctx.principal.account_id,
                "command_digest": command.digest(),
                "corrects": ctx.corrects,
            }
        )
        if command.idempotency_key is not None:
            ctx.state.recorded_keys[(ctx.org, command.idempotency_key)] = ctx.index
        if ctx.corrects is not None:
            ctx.state.corrections.append((ctx.corrects, dict(command.data["changes"])))
        return NewEvent(
            type=command.type,
            biz_step=kind.biz_step,
            event_time=command.event_time,
            actor=actor,
            subjects=tuple(itertools.starmap(SubjectRef, ctx.subjects.items())),
            payload=ctx.payload,
            private=command.private,
            idempotency_key=command.idempotency_key,
        )

    def _time_window(self, now: datetime) -> _TimeWindow:
        settings = self.settings
        now = now.astimezone(UTC)
        return _TimeWindow(
            latest=now + timedelta(seconds=settings.max_future_seconds),
            earliest=now - timedelta(days=settings.max_backfill_days),
            on_time_from=now - timedelta(days=settings.max_late_days),
        )

    def _check_event_time(self, command: Command, moment: datetime, window: _TimeWindow) -> None:
        if moment > window.latest:
            raise _rule(
                "event_time",
                N_("{value} is in the future; events are recorded after they happen."),
                value=moment,
            )
        if moment < window.earliest:
            raise _rule(
                "event_time",
                N_("{value} is more than {days} days ago; the ledger does not backfill that far."),
                value=moment,
                days=self.settings.max_backfill_days,
            )
        if moment < window.on_time_from and not command.late_reason:
            raise _rule(
                "late_reason",
                N_("{value} is more than {days} days ago; give a reason for recording it late."),
                value=moment,
                days=self.settings.max_late_days,
            )

    @staticmethod
    def _existing_keys(
        connection: sa.Connection, items: Sequence[tuple[Principal, Command]]
    ) -> dict[tuple[str, str], Any]:
        """Earlier entries of the same organisations under the idempotency keys of ``items``,
        found by the entry's unique (key, actor), with what the domain recorded of each (no
        command digest when an entry was not recorded through these services)."""
        wanted = {
            (principal.actor, command.idempotency_key)
            for principal, command in items
            if command.idempotency_key is not None and principal.organisation is not None
        }
        rows = query_where_in(
            connection,
            sa.select(
                ENTRY.c.idx.label("entry_idx"),
                ENTRY.c.actor,
                ENTRY.c.idempotency_key,
                ENTRY.c.leaf_hash,
                ENTRY.c.data,
                RECORDED_EVENT.c.command_digest,
            ).select_from(
                ENTRY.outerjoin(RECORDED_EVENT, RECORDED_EVENT.c.entry_idx == ENTRY.c.idx)
            ),
            ENTRY.c.idempotency_key,
            sorted({key for _, key in wanted}),
        )
        return {
            (row.actor.removeprefix("org:"), row.idempotency_key): row
            for row in rows
            if (row.actor, row.idempotency_key) in wanted
        }

    @staticmethod
    def _repeat(
        connection: sa.Connection, principal: Principal, command: Command, row: Any
    ) -> Recorded:
        conflict = IdempotencyConflictError(
            key=command.idempotency_key, actor=principal.actor, index=row.entry_idx
        )
        if row.command_digest is None or bytes(row.command_digest) != command.digest():
            raise conflict
        if command.private:
            stored = {
                r.field: r.value
                for r in connection.execute(
                    sa.select(PRIVATE_VALUE.c.field, PRIVATE_VALUE.c.value).where(
                        PRIVATE_VALUE.c.entry_idx == row.entry_idx
                    )
                )
            }
            for name, value in command.private.items():
                if stored.get(name) is None or bytes(stored[name]) != value_bytes(name, value):
                    raise conflict
        envelope = envelope_of(bytes(row.data))
        created = tuple(s["id"] for s in envelope["subjects"] if s["role"] == "output")
        return Recorded(
            row.entry_idx,
            bytes(row.leaf_hash),
            envelope["recorded_at"],
            envelope["type"],
            repeated=True,
            lots=tuple(c for c in created if c.startswith("lot:")),
        )


_LOT_FIELDS = ("lot", "flock", "input", "output")
_LOT_LIST_FIELDS = ("inputs", "outputs")
_GLN_FIELDS = ("plot", "house", "location", "site", "receiver", "counterparty", "body", "holder")
#: Types whose rules look at the safety intervals of their plot or flock.
_INTERVAL_CHECKS = {"harvest": "plot", "slaughter": "flock"}
#: Data fields that name lots or GLNs, by how: one lot, a GLN, items with a lot, lot ids.
_REFERENCE_FIELDS = {
    **dict.fromkeys(_LOT_FIELDS, "lot"),
    **dict.fromkeys(_GLN_FIELDS, "gln"),
    **dict.fromkeys(_LOT_LIST_FIELDS, "lot_items"),
    "lots": "lot_ids",
}


def _references(items: Sequence[tuple[Principal, Command]]) -> References:
    """The lots, GLNs and safety-interval subjects a batch names, to read them ahead."""
    lot_ids: set[str] = set()
    glns: set[str] = set()
    interval_subjects: set[str] = set()
    sprayed: set[str] = set()
    spray_times: list[str] = []
    lineage: set[str] = set()
    for principal, command in items:
        data = command.data
        if principal.organisation:
            glns.add(principal.organisation)
        for name in data.keys() & _REFERENCE_FIELDS.keys():  # most fields name neither
            kind, value = _REFERENCE_FIELDS[name], data[name]
            if not value:
                continue
            if kind == "lot":
                if isinstance(value, str):
                    lot_ids.add(value)
            elif kind == "gln":
                if isinstance(value, str):
                    glns.add(value)
            elif kind == "lot_items":
                lot_ids.update(item["lot"] for item in value)
            else:
                lot_ids.update(value)
        checked = _INTERVAL_CHECKS.get(command.type)
        if checked == "plot":
            interval_subjects.add(f"plot:{data['plot']}")
        elif checked == "flock":
            interval_subjects.add(data["flock"])
            lineage.add(data["flock"])
        elif data.get("withdrawal_days") and isinstance(data.get("flock"), str):
            lineage.add(data["flock"])  # a late treatment holds the carcasses made from it
        elif command.type == "farm_input.pesticide":
            # A late spray holds what was harvested in its interval: read those harvests ahead.
            sprayed.add(f"plot:{data['plot']}")
            spray_times.append(command.event_time)
    sources_from = min((utc_key(time) for time in spray_times), default="")
    return References(lot_ids, glns, interval_subjects, sprayed, sources_from, lineage)


def _as_repeat(result: Recorded) -> Recorded:
    return Recorded(
        result.index,
        result.leaf_hash,
        result.recorded_at,
        result.type,
        repeated=True,
        lots=result.lots,
    )
