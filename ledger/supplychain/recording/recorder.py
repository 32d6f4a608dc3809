"""The recording service: batches, idempotent repeats and event times (see the package)."""

from __future__ import annotations

import decimal
import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa

from ledger.common.db import insert_rows, query_where_in
from ledger.common.errors import ConflictError, LedgerError
from ledger.common.messages import N_, Message
from ledger.supplychain.accounts import Principal
from ledger.supplychain.commands import Command
from ledger.supplychain.custody import CustodyState, References, utc_key
from ledger.supplychain.errors import ForbiddenError
from ledger.supplychain.recording.context import RecordingContext, rule_violation
from ledger.supplychain.recording.handlers import HANDLERS
from ledger.supplychain.recording.photos import attached_photos
from ledger.supplychain.recording.settings import DomainSettings
from ledger.supplychain.tables import PHOTO_USE, RECORDED_EVENT
from ledger.supplychain.vocabulary import VOCABULARY_VERSION, event_type
from ledger.tlog.canonical import envelope_of
from ledger.tlog.envelope import NewEvent, SubjectRef
from ledger.tlog.errors import BatchError, IdempotencyConflictError
from ledger.tlog.log import Log
from ledger.tlog.private import value_bytes
from ledger.tlog.tables import ENTRY, PRIVATE_VALUE

#: Quantities have at most 38 significant digits; sums of a batch's worth of them stay exact
#: at this precision, where the default 28 digits would round them silently.
QUANTITY_CONTEXT = decimal.Context(prec=120)


class _TimeWindow(NamedTuple):
    """The event times a batch accepts, fixed when the batch starts (see DomainSettings), in UTC
    like :attr:`RecordingContext.moment`."""

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
            contexts: list[tuple[int, RecordingContext]] = []
            photos: list[dict[str, Any]] = []
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
                    context = RecordingContext(
                        self.settings, state, principal, command, transaction.size + len(events)
                    )
                    events.append(self._handle(context, window))
                    photos.extend(attached_photos(context))
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
            insert_rows(transaction.connection, PHOTO_USE, photos)
        for position, (principal, command) in enumerate(items):
            if results[position] is None:
                key = (principal.organisation or "", command.idempotency_key or "")
                first_result = results[first_of_key[key]]
                assert first_result is not None
                results[position] = _as_repeat(first_result)
        return [result for result in results if result is not None]

    # --- steps ---------------------------------------------------------------------------------

    def _handle(self, ctx: RecordingContext, window: _TimeWindow) -> NewEvent:
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
            raise rule_violation(
                "event_time",
                N_("{value} is in the future; events are recorded after they happen."),
                value=moment,
            )
        if moment < window.earliest:
            raise rule_violation(
                "event_time",
                N_("{value} is more than {days} days ago; the ledger does not backfill that far."),
                value=moment,
                days=self.settings.max_backfill_days,
            )
        if moment < window.on_time_from and not command.late_reason:
            raise rule_violation(
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
