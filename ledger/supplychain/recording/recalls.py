"""Recalls, recall requests and holds: who stops a lot and what it stops."""

from __future__ import annotations

import json
from typing import Any

from ledger.common.errors import ConflictError
from ledger.common.messages import N_, Message
from ledger.supplychain.custody import HOLD_BLOCK, RECALL_BLOCK, LotState
from ledger.supplychain.errors import ForbiddenError
from ledger.supplychain.recording.context import RecordingContext, rule_violation

#: In what capacity an organisation recalls a lot: as an authority (auditor, admin), as the
#: lot's producer (its creator, or the creator's cooperative), or as a holder withdrawing its
#: own stock. The first two recall the lot and everything made or split from it; a holder only
#: what it holds of the lot and of what was made from it.
AUTHORITY, PRODUCER, HOLDER = "authority", "producer", "holder"


def recall_capacity(ctx: RecordingContext, lot: LotState) -> str | None:
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


def _neither_created_nor_held(ctx: RecordingContext, lot: LotState) -> ForbiddenError:
    return ForbiddenError(
        N_(
            "{organisation} neither created nor holds lot {lot}, so it cannot recall it; its "
            "creator or the authorities can, and a holder of part of it can file a recall "
            "request."
        ),
        organisation=ctx.org,
        lot=lot.id,
    )


def recall(ctx: RecordingContext) -> None:
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
        raise rule_violation(
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


def _confirmed_request(ctx: RecordingContext) -> dict[str, Any]:
    """The open recall request a recall confirms; its lot, reason and consumer advice become
    the recall's unless the recall gives its own."""
    request = _open_request(ctx)
    ctx.state.resolve_recall_request(request["entry_idx"], "confirmed", ctx.index)
    ctx.payload["lots"] = [request["lot"]]
    ctx.payload.setdefault("reason", request["reason"])
    if "consumer_action" not in ctx.payload:
        if not request["consumer_action"]:
            raise rule_violation(
                "consumer_action", N_("Say what consumers should do; the request did not.")
            )
        ctx.payload["consumer_action"] = request["consumer_action"]
    return request


def _open_request(ctx: RecordingContext) -> dict[str, Any]:
    index = ctx.data["request"]
    request = ctx.state.recall_request(index)
    if request is None:
        raise rule_violation("request", N_("Entry {index} is not a recall request."), index=index)
    if request["resolution"] is not None:
        raise rule_violation(
            "request",
            N_("Recall request {index} was already decided by entry {by}."),
            index=index,
            by=request["resolved_entry"],
        )
    return request


def recall_request(ctx: RecordingContext) -> None:
    """A holder that did not make a lot asks its creator (or an authority) to recall it.

    Nothing is blocked until the request is confirmed; the holders of the other parts see it
    (the lot's API answer lists the open requests on it and on what it was made from)."""
    lot = ctx.lot("lot")
    capacity = recall_capacity(ctx, lot)
    if capacity in (AUTHORITY, PRODUCER):
        raise rule_violation(
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


def recall_dismiss(ctx: RecordingContext) -> None:
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


def recall_lift(ctx: RecordingContext) -> None:
    if "lot" in ctx.data:
        named = ctx.lot("lot")
        if named.recall_entry is None:
            raise rule_violation("lot", N_("Lot {lot} is not recalled."), lot=named.id)
        ctx.payload["recall"] = named.recall_entry
        del ctx.payload["lot"]
    recall_entry = ctx.payload["recall"]
    recall = ctx.state.recall(recall_entry)
    if recall is None:
        raise rule_violation("recall", N_("Entry {index} is not a recall."), index=recall_entry)
    if recall["lifted_entry"] is not None:
        raise rule_violation(
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


def hold_release(ctx: RecordingContext) -> None:
    """Release one hold (the one named, or the lot's newest) from every lot it is on."""
    lot = ctx.lot("lot")
    active = ctx.state.active_blocks(lot.id, HOLD_BLOCK)
    if not active:
        raise rule_violation("lot", N_("Lot {lot} is not on hold."), lot=lot.id)
    hold_entry = ctx.data.get("hold", active[-1])
    if hold_entry not in active:
        raise rule_violation(
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
