"""Lots: search, one lot, its events as corrected, and its trace back and forward."""

from __future__ import annotations

from typing import Any

from ledger.common.errors import InvalidInputError
from ledger.common.messages import N_, Message
from ledger.supplychain import lots
from ledger.supplychain.custody import VIETNAM
from ledger.supplychain.recalls import open_requests_on
from ledger.supplychain.trace import trace_back, trace_forward
from ledger.tlog.canonical import parse_time, utc_timestamp
from schemas.api import (
    EventsQuerySchema,
    LotDetailSchema,
    LotEventsSchema,
    LotPageSchema,
    LotQuerySchema,
    TraceBackSchema,
    TraceForwardSchema,
)
from schemas.fields import check_subject_id
from web.api import API_PREFIX
from web.api.common import ApiBlueprint, documented_errors
from web.api.openapi import LOT_PATH
from web.services import services

bp = ApiBlueprint(
    "lots",
    __name__,
    url_prefix=f"{API_PREFIX}/lots",
    description="Who holds what, how much is left, and where it came from and went.",
)


def today() -> str:
    """The local day by the ledger's clock, against which best-before dates are read."""
    return services().log.clock.now().astimezone(VIETNAM).date().isoformat()


def lot_id_from_path(gtin: str, code: str) -> str:
    if "/" in code:
        # The path cannot tell "A/events" the lot from "A" and its events.
        raise InvalidInputError(
            errors={
                "lot": [
                    Message(
                        N_(
                            "Lot codes with '/' cannot be given in the path; search with "
                            "?gtin=…&lot=… instead."
                        )
                    )
                ]
            }
        )
    return check_subject_id(f"lot:{gtin}/{code}")


@bp.route("", methods=["GET"])
@bp.arguments(LotQuerySchema, location="query")
@bp.response(200, LotPageSchema)
@documented_errors(bp, 400)
def search(query: dict[str, Any]) -> dict[str, Any]:
    """Search lots by GTIN, lot code, holder, status and creation time"""

    def utc(value: str | None) -> str | None:
        return utc_timestamp(parse_time(value)) if value else None

    items, next_after = lots.search(
        services().log.engine,
        lots.LotQuery(
            gtin=query.get("gtin"),
            lot_code=query.get("lot"),
            holder=query.get("holder"),
            status=query.get("status"),
            created_from=utc(query.get("created_from")),
            created_to=utc(query.get("created_to")),
            after=query.get("after"),
            limit=query["limit"],
            today=today(),
        ),
    )
    return {"items": items, "next_after": next_after}


@bp.route("/<gtin>/<lotcode:code>", methods=["GET"], parameters=LOT_PATH)
@bp.response(200, LotDetailSchema)
@documented_errors(bp, 400, 404)
def lot(gtin: str, code: str) -> dict[str, Any]:
    """One lot: holder, quantity, status, origin, open recall requests on it or its sources"""
    engine = services().log.engine
    lot_id = lot_id_from_path(gtin, code)
    summary = lots.lot(engine, lot_id, today())
    return {**summary, "recall_requests": open_requests_on(engine, lot_id)}


@bp.route("/<gtin>/<path:code>/events", methods=["GET"], parameters=LOT_PATH)
@bp.arguments(EventsQuerySchema, location="query")
@bp.response(200, LotEventsSchema)
@documented_errors(bp, 400, 404)
def events(query: dict[str, Any], gtin: str, code: str) -> dict[str, Any]:
    """The lot's events in order, each with its corrections"""
    return lots.events(services().log, lot_id_from_path(gtin, code), query["after"], query["limit"])


@bp.route("/<gtin>/<path:code>/trace/back", methods=["GET"], parameters=LOT_PATH)
@bp.response(200, TraceBackSchema)
@documented_errors(bp, 400, 404)
def back(gtin: str, code: str) -> dict[str, Any]:
    """Everything the lot was made from, back to plots, flocks and their inputs"""
    return trace_back(services().log.engine, lot_id_from_path(gtin, code), today())


@bp.route("/<gtin>/<path:code>/trace/forward", methods=["GET"], parameters=LOT_PATH)
@bp.response(200, TraceForwardSchema)
@documented_errors(bp, 400, 404)
def forward(gtin: str, code: str) -> dict[str, Any]:
    """Everything made from the lot and who holds it"""
    return trace_forward(services().log.engine, lot_id_from_path(gtin, code), today())
