"""The public, CORS-open read API of the log (``/ledger/…``).

Thin views: parse parameters with a schema, call one ledger function, render. Immutable resources
(entries, tiles, proofs for a fixed size) carry long-lived cache headers; the checkpoint is
mutable and cached for a second.
"""

from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from ledger.common.errors import InvalidInputError, NotFoundError
from ledger.common.messages import N_, Message
from ledger.tlog.results import StoredEntry
from ledger.tlog.tiles import parse_tile_path
from schemas.ledger_queries import (
    ChainQuery,
    ConsistencyQuery,
    EntryPath,
    InclusionQuery,
    LeafHashQuery,
    subject_from_path,
)
from web.services import services

bp = Blueprint("ledger_api", __name__, url_prefix="/ledger")

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=1"


@bp.after_request
def open_to_every_origin(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "Content-Length, Content-Type"
    return response


def _text(body: bytes, cache: str) -> Response:
    response = Response(body, mimetype="text/plain")
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.headers["Cache-Control"] = cache
    return response


def _entry_json(entry: StoredEntry) -> dict[str, Any]:
    return {
        "index": entry.index,
        "leaf_hash": entry.leaf_hash.hex(),
        "recorded_at": entry.recorded_at,
        "envelope": entry.envelope,
        "raw_url": url_for("ledger_api.entry_raw", index=entry.index),
    }


@bp.get("/checkpoint")
def checkpoint() -> Response:
    return _text(services().log.latest_checkpoint().note, SHORT)


@bp.get("/trust")
def trust() -> Response:
    return _text(services().log.trust_note(), "public, max-age=60")


@bp.get("/entries/<index>")
def entry(index: str) -> Response:
    position = EntryPath().load({"index": index})["index"]
    response = jsonify(_entry_json(services().log.entry(position)))
    response.headers["Cache-Control"] = IMMUTABLE
    return response


@bp.get("/entries/<index>/raw")
def entry_raw(index: str) -> Response:
    position = EntryPath().load({"index": index})["index"]
    response = Response(services().log.entry(position).data, mimetype="application/octet-stream")
    response.headers["Cache-Control"] = IMMUTABLE
    return response


@bp.get("/entries")
def entries_by_leaf_hash() -> Response:
    leaf = LeafHashQuery().load(request.args)["leaf_hash"]
    found = services().log.entries_by_leaf_hash(leaf)
    if not found:
        raise NotFoundError(N_("No entry has the leaf hash {hash}."), hash=leaf.hex())
    return jsonify({"entries": [_entry_json(e) for e in found]})


@bp.get("/proof/inclusion")
def inclusion_proof() -> Response:
    query = InclusionQuery().load(request.args)
    proof = services().log.inclusion_proof(query["index"], query.get("size"))
    return jsonify(
        {
            "index": proof.index,
            "size": proof.size,
            "leaf_hash": proof.leaf_hash.hex(),
            "hashes": [h.hex() for h in proof.hashes],
            "root": proof.root.hex(),
            "root_base64": base64.b64encode(proof.root).decode(),
        }
    )


@bp.get("/proof/consistency")
def consistency_proof() -> Response:
    query = ConsistencyQuery().load(request.args)
    proof = services().log.consistency_proof(query["first"], query.get("second"))
    return jsonify(
        {
            "first": proof.first,
            "second": proof.second,
            "hashes": [h.hex() for h in proof.hashes],
            "first_root": proof.first_root.hex(),
            "second_root": proof.second_root.hex(),
        }
    )


@bp.get("/subjects/<path:subject>/chain")
def subject_chain(subject: str) -> Response:
    query = ChainQuery().load({**request.args.to_dict(), "subject": subject})
    name = subject_from_path(query["subject"])
    chain = services().log.subject_chain(name, query["after"], query["limit"])
    next_url = None
    if chain.next_after is not None:
        next_url = url_for(
            "ledger_api.subject_chain", subject=name, after=chain.next_after, limit=query["limit"]
        )
    entries = []
    for link in chain.links:
        envelope = link.entry.envelope
        prev = next((s["prev"] for s in envelope["subjects"] if s["id"] == name), None)
        entries.append(
            {"seq": link.seq, "role": link.role, "prev": prev, **_entry_json(link.entry)}
        )
    return jsonify(
        {
            "subject": name,
            "length": chain.length,
            "head": {"index": chain.head_index, "leaf_hash": chain.head_hash.hex()},
            "entries": entries,
            "next": next_url,
        }
    )


@bp.get("/tile/<path:path>")
def tile(path: str) -> Response:
    log = services().log
    try:
        ref = parse_tile_path(path, log.tile_height)
    except ValueError:
        raise InvalidInputError(
            errors={"path": [Message(N_("{path!r} is not a tlog-tiles path."), path=path)]}
        ) from None
    if ref.level is None:
        data = log.entry_bundle(ref.index, ref.width)
    else:
        data = log.tile(ref.level, ref.index, ref.width)
    response = Response(data, mimetype="application/octet-stream")
    response.headers["Cache-Control"] = IMMUTABLE
    return response
