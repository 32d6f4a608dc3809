"""Recall requests: what the holders of a lot asked its creator to recall, and the answers."""

from __future__ import annotations

from typing import Any

from ledger.supplychain.recalls import requests_for
from schemas.api import RecallRequestQuery, RecallRequestSchema
from web.api import API_PREFIX
from web.api.common import ApiBlueprint, documented_errors
from web.auth import require_principal
from web.services import services

bp = ApiBlueprint(
    "recalls",
    __name__,
    url_prefix=f"{API_PREFIX}/recall-requests",
    description="Requests that a lot be recalled, filed by its holders (event recall.request), "
    "confirmed by a recall naming them or dismissed (event recall.dismiss).",
)


@bp.route("", methods=["GET"])
@bp.arguments(RecallRequestQuery, location="query")
@bp.response(200, RecallRequestSchema(many=True))
@documented_errors(bp, 400)
def listing(query: dict[str, Any]) -> list[dict[str, Any]]:
    """The recall requests you have a stake in, newest first"""
    status = None if query["status"] == "all" else query["status"]
    return requests_for(services().log.engine, require_principal(), status, query["limit"])
