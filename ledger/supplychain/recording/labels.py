"""Label serials: a packed lot's holder allocates them, one per unit and a few spare."""

from __future__ import annotations

import math
from decimal import Decimal

from ledger.common.messages import N_
from ledger.supplychain.custody import DEPLETED
from ledger.supplychain.label_issues import MAX_SERIAL
from ledger.supplychain.recording.context import RecordingContext, rule_violation
from ledger.tlog.key_registry import ROLE_LABEL, active_label_key, gtin_in_scope, load_keys


def label_limit(units: int, spare: Decimal) -> int:
    """How many labels a lot of ``units`` units may have: one each, plus the spare rounded down,
    so never more than ``units × (1 + spare)`` (100 units and 2 %: 102; 10 units: 10)."""
    return units + math.floor(units * spare)


def label_issue(ctx: RecordingContext) -> None:
    """Allocate the next serials of the lot's GTIN to the lot, signed by the holder's label key.

    Only the lot's holder issues labels, while it may move the lot (not recalled, on hold or in
    transit), and at most one per packed unit plus the spare. The entry names the label key, so
    that a verifier can check that the key's organisation held the lot when it issued them.
    """
    lot = ctx.held_lot("lot", N_("issue labels for"))
    ctx.subject(lot.id, "observed")
    if lot.status == DEPLETED:
        raise rule_violation(
            "lot", N_("Lot {lot} is used up; it needs no more labels."), lot=lot.id
        )
    if lot.units is None:
        raise rule_violation(
            "lot",
            N_("Lot {lot} has no unit count; labels are issued for packed lots, one per unit."),
            lot=lot.id,
        )
    key = active_label_key(load_keys(ctx.connection, ROLE_LABEL), ctx.org)
    if key is None:
        raise rule_violation(
            "lot",
            N_("{organisation} has no label key; an administrator creates one first."),
            organisation=ctx.org,
        )
    if not gtin_in_scope(lot.gtin, key.company_prefixes):
        raise rule_violation(
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
        raise rule_violation(
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
        raise rule_violation("count", N_("The serials of GTIN {gtin} are used up."), gtin=lot.gtin)
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
