"""What a handler reads and builds for one command: :class:`RecordingContext`.

Handlers do not query master data or custody state themselves: they ask the context, which
reads through the transaction's :class:`~ledger.supplychain.custody.CustodyState` (cached, and
written back once per batch) and refuses what the rules refuse, in the same words for every
event type.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, timedelta
from decimal import Decimal
from typing import Any

from ledger.common.errors import ConflictError, InvalidInputError, NotFoundError
from ledger.common.messages import N_, Message
from ledger.supplychain.accounts import Principal
from ledger.supplychain.commands import Command
from ledger.supplychain.custody import (
    ACTIVE,
    DEPLETED,
    HOLD_BLOCK,
    IN_TRANSIT,
    VIETNAM,
    CustodyState,
    LotState,
)
from ledger.supplychain.errors import (
    ForbiddenError,
    InsufficientQuantityError,
    LotBlockedError,
    RuleViolationError,
)
from ledger.supplychain.recording.settings import DomainSettings
from ledger.supplychain.recording.subjects import lot_parts
from ledger.supplychain.vocabulary import MEASUREMENT_UNITS, SHELF_LIFE_DAYS, amount_problem
from ledger.tlog.canonical import parse_time, utc_timestamp

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


def rule_violation(field_name: str, template: str, **params: Any) -> RuleViolationError:
    message = Message(template, **params)
    return RuleViolationError(template, errors={field_name: [message]}, **params)


def bad_data(path: str, message: Message) -> InvalidInputError:
    """A 400 for a value of ``data`` that only the current state shows to be wrong (the unit of
    a lot, the pack date), in the shape the schemas give: ``outputs.0.quantity`` is
    ``{"data": {"outputs": {0: {"quantity": [...]}}}}``."""
    tree: Any = [message]
    for part in reversed(path.split(".")):
        tree = {int(part) if part.isdigit() else part: tree}
    return InvalidInputError(errors={"data": tree})


#: Per kind of master data, the refusal of a key no active row has, and (for the kinds that
#: have kinds) of a row of a kind the event does not take.
_NO_ACTIVE_ROW = {
    "location": N_("There is no active location with GLN {gln}."),
    "organisation": N_("There is no active organisation with GLN {gln}."),
    "product": N_("There is no active product with GTIN {gtin}."),
}
_OTHER_KIND = {
    "location": N_("Location {gln} is a {kind}; this event needs a {wanted}."),
    "product": N_("Product {gtin} is {kind}; this event needs {wanted}."),
}

#: Events about a lot that may be dated before it: they record what someone decided later.
_ANY_TIME = frozenset(
    {"correction", "recall", "recall_lift", "hold_release", "recall.request", "recall.dismiss"}
)


class RecordingContext:
    """One command being handled: what it may read, and the entry it is building.

    A handler reads master data (:meth:`location`, :meth:`organisation`, :meth:`product`) and
    lots (:meth:`lot`, :meth:`held_lot`) through it, changes custody through it (:meth:`take`,
    :meth:`new_lot`, :meth:`edge`, :meth:`hold`, or :attr:`state` for what only one kind of event
    changes), and fills in the entry: :attr:`subjects`, :attr:`payload`, :attr:`warnings`.
    :class:`~ledger.supplychain.recording.recorder.Recorder` makes one per command, at the index
    its entry will have.
    """

    def __init__(
        self,
        settings: DomainSettings,
        state: CustodyState,
        principal: Principal,
        command: Command,
        index: int,
    ) -> None:
        self.settings = settings
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
            raise rule_violation(
                "data",
                N_("{subject} cannot be both {first} and {second} of one event."),
                subject=subject_id,
                first=self.subjects[subject_id],
                second=role,
            )
        self.subjects[subject_id] = role

    # --- master data ---------------------------------------------------------------------------

    def _active_master(
        self, kind: str, key: str, field_name: str, kinds: Sequence[str] = ()
    ) -> Any:
        """The active master-data row of ``kind`` under ``key`` and, when ``kinds`` are given,
        of one of them; else a refusal naming ``field_name``."""
        key_name = "gtin" if kind == "product" else "gln"
        row = self.state.master(kind, key)
        if row is None or not row.active:
            raise rule_violation(field_name, _NO_ACTIVE_ROW[kind], **{key_name: key})
        if kinds and row.kind not in kinds:
            raise rule_violation(
                field_name,
                _OTHER_KIND[kind],
                **{key_name: key},
                kind=row.kind,
                wanted=" / ".join(kinds),
            )
        return row

    def location(self, field_name: str, kinds: Sequence[str] = ()) -> Any:
        """The active location ``data[field_name]`` names, of one of ``kinds`` if given."""
        return self._active_master("location", self.data[field_name], field_name, kinds)

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
        """The active organisation ``data[field_name]`` names, with ``role`` if given."""
        gln = self.data[field_name]
        row = self._active_master("organisation", gln, field_name)
        if role is not None and role not in row.roles.split():
            raise rule_violation(
                field_name,
                N_("Organisation {gln} does not have the role {role}."),
                gln=gln,
                role=role,
            )
        return row

    def product(self, lot_id: str, field_name: str, kinds: Sequence[str] = ()) -> Any:
        """The active product of ``lot_id``'s GTIN, of one of ``kinds`` if given."""
        gtin, _ = lot_parts(lot_id)
        return self._active_master("product", gtin, field_name, kinds)

    def certificates_on(
        self, day: str, holders: Sequence[str], location_gln: str, product_kind: str
    ) -> list[str]:
        """Ids of certificates valid on ``day`` for the holders, covering the location (when the
        certificate names locations) and the product (when it names products)."""
        rows = self.state.certificates(tuple(sorted(set(holders))))
        valid = []
        for row in rows:
            scope = json.loads(row["scope"])
            locations = scope.get("locations") or []
            if locations and location_gln not in locations:
                continue
            products = scope.get("products") or []
            if products and product_kind not in products:
                continue
            if not row["valid_from"] <= day <= row["valid_to"]:
                continue
            if row["revoked_on"] is not None and day >= row["revoked_on"]:
                continue
            valid.append(row["id"])
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
            raise bad_data(path, problem)
        return number

    def best_before(self, path: str, value: str | None, product_kind: str) -> str | None:
        """A best-before date after the day of the event and within the product's shelf life;
        a product with no shelf life (live animals) takes none."""
        if value is None:
            return None
        day = self.moment.astimezone(VIETNAM).date()
        shelf_life = SHELF_LIFE_DAYS.get(product_kind)
        if shelf_life is None:
            raise bad_data(path, Message(N_("Live animals have no best-before date.")))
        latest = day + timedelta(days=shelf_life)
        if not day.isoformat() < value <= latest.isoformat():
            raise bad_data(
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
            raise rule_violation(
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
            raise rule_violation(
                field_name,
                N_("Lot {lot} is counted in {unit}, but the lots it is made from in {wanted}."),
                lot=lot_id,
                unit=product_row.unit,
                wanted=unit,
            )
        if quantity <= 0:
            raise rule_violation(field_name, N_("A new lot needs a quantity above zero."))
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
        raise rule_violation(
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
