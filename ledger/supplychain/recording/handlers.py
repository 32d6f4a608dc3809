"""Which handler decides each event type: the one table the recorder dispatches by.

A handler checks the object-level rules of its event on the :class:`RecordingContext` and decides
the entry's subjects and payload; it raises the error that refuses the command.
"""

from __future__ import annotations

from collections.abc import Callable

from ledger.supplychain.recording import (
    certificates,
    corrections,
    food_safety,
    labels,
    lots,
    recalls,
)
from ledger.supplychain.recording.context import RecordingContext
from ledger.supplychain.vocabulary import EVENT_TYPES

Handler = Callable[[RecordingContext], None]

HANDLERS: dict[str, Handler] = {
    "farm_input.fertiliser": food_safety.farm_input,
    "farm_input.pesticide": food_safety.farm_input,
    "farm_input.irrigation": food_safety.farm_input,
    "energy_use": food_safety.energy_use,
    "flock.placement": lots.flock_placement,
    "flock.feed": food_safety.flock_observation,
    "flock.vaccination": food_safety.flock_observation,
    "flock.treatment": food_safety.flock_observation,
    "flock.weighing": food_safety.flock_observation,
    "flock.loss": food_safety.flock_loss,
    "harvest": lots.harvest,
    "slaughter": lots.slaughter,
    "pack": lots.pack,
    "merge": lots.merge,
    "transform": lots.transform,
    "ship": lots.ship,
    "receive": lots.receive,
    "retail_receive": lots.receive,
    "store": lots.lot_observation,
    "cooling": lots.lot_observation,
    "inspect": food_safety.inspection,
    "slaughter_inspection": food_safety.inspection,
    "internal_audit": food_safety.inspection,
    "non_conformity": food_safety.inspection,
    "complaint": food_safety.complaint,
    "sell": lots.sell,
    "loss": lots.loss,
    "label.issue": labels.label_issue,
    "purchase": lots.purchase_or_payment,
    "payment": lots.purchase_or_payment,
    "training": food_safety.training,
    "recall": recalls.recall,
    "recall.request": recalls.recall_request,
    "recall.dismiss": recalls.recall_dismiss,
    "recall_lift": recalls.recall_lift,
    "hold_release": recalls.hold_release,
    "correction": corrections.correction,
    "cert.issue": certificates.certificate_issue,
    "cert.revoke": certificates.certificate_revoke,
}
assert set(HANDLERS) == set(EVENT_TYPES), "every event type needs a handler"
