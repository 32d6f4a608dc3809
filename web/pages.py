"""Pages for people. The home page states what the ledger is and how to check it yourself."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, send_from_directory

from ledger.tlog.checkpoint import parse_checkpoint
from ledger.tlog.note import parse_note
from web.services import services

bp = Blueprint("pages", __name__)


@bp.get("/healthz")
def health() -> Response:
    """For load balancers: the process answers (it does not touch the database)."""
    return Response("ok\n", mimetype="text/plain", headers={"Cache-Control": "no-store"})


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for it on every site, whatever the page links to."""
    static = current_app.static_folder
    assert static is not None
    return send_from_directory(static, "favicon.ico", max_age=86400)


@bp.get("/")
def home() -> str:
    log = services().log
    latest = log.latest_checkpoint()
    checkpoint = parse_checkpoint(parse_note(latest.note)[0])
    key = log.active_log_key()
    return render_template(
        "home.html",
        origin=log.origin,
        size=checkpoint.size,
        signed_at=latest.signed_at,
        vkey=key.verifier.vkey,
        fingerprint=key.verifier.fingerprint,
    )
