"""Corrections: changing the correctable fields of an entry, and the balances they move."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ledger.common.errors import NotFoundError
from ledger.common.messages import N_, Message
from ledger.supplychain.custody import ACTIVE, DEPLETED
from ledger.supplychain.errors import ForbiddenError, RuleViolationError
from ledger.supplychain.input_products import disagreements, from_row
from ledger.supplychain.recording.context import RecordingContext, rule_violation
from ledger.supplychain.recording.food_safety import disagreement_error
from ledger.supplychain.recording.plausibility import Checked, check_harvest, check_per_head
from ledger.supplychain.tables import RECORDED_EVENT
from ledger.supplychain.vocabulary import INPUT_CATEGORY_OF_EVENT
from ledger.tlog.canonical import envelope_of
from ledger.tlog.tables import ENTRY

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
    "flock.weighing": frozenset({"mean_kg", "sample_size", "plausibility_reason"}),
    "flock.placement": frozenset({"head_count", "breed"}),
    "flock.loss": frozenset({"count", "cause", "reason"}),
    "harvest": frozenset({"quantity", "data_source", "plausibility_reason"}),
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


def correction(ctx: RecordingContext) -> None:
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
            raise rule_violation(
                "corrects_key",
                N_("{organisation} recorded no event with the idempotency key {key!r}."),
                organisation=ctx.principal.actor,
                key=ctx.data["corrects_key"],
            )
        ctx.payload["corrects"] = found
        del ctx.payload["corrects_key"]
    original_idx = ctx.payload["corrects"]
    if any(row["entry_idx"] == original_idx for row in ctx.state.recorded):
        raise rule_violation(
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
        raise rule_violation(
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
        raise rule_violation(
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
    _held_to_the_same_rules(ctx, original_type, current, changes)
    ctx.corrects = original_idx
    ctx.payload["original_leaf_hash"] = _leaf_hash(ctx, original_idx)


def _held_to_the_same_rules(
    ctx: RecordingContext, original_type: str, current: dict[str, Any], changes: dict[str, Any]
) -> None:
    """A correction may not make an event what the ledger would have refused: a harvest or
    weighing beyond its product's bound without a reason (the event's own, or one the correction
    gives), facts that contradict the input product the event names."""
    corrected = {**current, **changes}
    reason = bool(corrected.get("plausibility_reason"))
    if original_type == "harvest" and "quantity" in changes:
        plot = ctx.state.master("location", corrected["plot"])
        product = ctx.product(corrected["lot"], "changes.quantity")
        if plot is not None:
            checked = Checked("changes.quantity", corrected["lot"], reason)
            check_harvest(ctx, plot, product, Decimal(changes["quantity"]), checked)
    if original_type == "flock.weighing" and "mean_kg" in changes:
        product = ctx.product(corrected["flock"], "changes.mean_kg")
        checked = Checked("changes.mean_kg", corrected["flock"], reason)
        check_per_head(ctx, product.max_live_kg_per_head, Decimal(changes["mean_kg"]), checked)
    code = corrected.get("input_product")
    row = ctx.state.master("input_product", code) if code else None
    if row is not None and original_type in INPUT_CATEGORY_OF_EVENT:
        found = disagreements(from_row(row), original_type, corrected)
        changed = {name: message for name, message in found.items() if name in changes}
        if changed:
            raise disagreement_error(str(code), changed, "changes.")


def _corrected_payload(
    ctx: RecordingContext, index: int, payload: dict[str, Any]
) -> dict[str, Any]:
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


def _leaf_hash(ctx: RecordingContext, index: int) -> str:
    row = ctx.connection.execute(sa.select(ENTRY.c.leaf_hash).where(ENTRY.c.idx == index)).first()
    return bytes(row.leaf_hash).hex() if row is not None else ""
