"""Recording events: one at a time, or batches of up to 1,000 in one transaction."""

from __future__ import annotations

from typing import Any

from ledger.supplychain.commands import Command
from ledger.supplychain.recording.recorder import Recorded
from schemas.api import BatchResultSchema, BatchSchema, RecordedSchema
from schemas.events import CommandSchema
from web.api import API_PREFIX
from web.api.common import ApiBlueprint, documented_errors
from web.auth import require_principal
from web.i18n import translate
from web.services import services

bp = ApiBlueprint(
    "events",
    __name__,
    url_prefix=f"{API_PREFIX}/events",
    description="Record supply-chain events through the ledger's rules.",
)


def rendered(result: Recorded) -> dict[str, Any]:
    return {
        "index": result.index,
        "leaf_hash": result.leaf_hash.hex(),
        "recorded_at": result.recorded_at,
        "type": result.type,
        "repeated": result.repeated,
        "lots": list(result.lots),
        "warnings": [translate(w) for w in result.warnings],
    }


@bp.route("", methods=["POST"])
@bp.arguments(CommandSchema)
@bp.response(201, RecordedSchema)
@bp.alt_response(200, schema=RecordedSchema, description="An identical repeat: the first entry.")
@documented_errors(bp, 400, 403, 404, 409, 413, 415, 422)
def record(command: Command) -> tuple[dict[str, Any], int]:
    """Record one event"""
    result = services().recorder.record(require_principal(), command)
    return rendered(result), 200 if result.repeated else 201


@bp.route("/batch", methods=["POST"])
@bp.arguments(BatchSchema)
@bp.response(201, BatchResultSchema)
@documented_errors(bp, 400, 403, 404, 409, 413, 415, 422)
def record_batch(batch: dict[str, Any]) -> dict[str, Any]:
    """Record up to 1,000 events in one transaction: all or none"""
    results = services().recorder.record_batch(require_principal(), batch["events"])
    return {"results": [rendered(result) for result in results]}
