"""The holder's printing page: sign in, start printing a lot's labels, download when done.

Plain forms, no JavaScript: the job page refreshes itself every few seconds until the zip is
ready. Forms carry the session's CSRF token in a hidden field (a browser sends the session cookie
with requests other sites start). The work is done by :class:`labels.jobs.PrintJobs`, the same
as the API's.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, redirect, render_template, request, session, url_for

from labels.jobs import DONE
from labels.layouts import DEFAULT_LAYOUT, LAYOUTS
from ledger import lots
from ledger.errors import AuthenticationError, ForbiddenError
from ledger.label_issues import lot_labels
from ledger.messages import N_, Message
from schemas.fields import check_subject_id
from web.auth import current_principal, login_limit, sign_in
from web.i18n import translate
from web.log import get_log
from web.services import services

bp = Blueprint("printing", __name__)


def _form_csrf_ok(name: str = "csrf") -> bool:
    sent = request.form.get("csrf_token", "").encode()
    expected = str(session.get(name, "")).encode()
    return bool(expected) and hmac.compare_digest(sent, expected)


def _local_target(value: str) -> str:
    """Where to go after signing in: a path on this site, else the home page. Backslashes and
    control characters are refused too: browsers read ``/\\host`` as another site."""
    parts = urlsplit(value)
    if (
        not value.startswith("/")
        or value.startswith("//")
        or parts.scheme
        or parts.netloc
        or "\\" in value
        or any(ord(character) < 0x20 or ord(character) == 0x7F for character in value)
    ):
        return url_for("pages.home")
    return value


def _signed_in_holder() -> Any:
    principal = current_principal()
    if principal is None:
        return None
    if principal.organisation is None:
        raise ForbiddenError(N_("Printing labels is for the organisation that holds the lot."))
    return principal


@bp.route("/sign-in", methods=["GET", "POST"])
@login_limit
def sign_in_page() -> Any:
    """A username and password form; back to where the person was going.

    The form carries a token of its own (set when the form is shown), so another site cannot
    sign a browser in to an account of its choosing."""
    target = _local_target(request.args.get("next", ""))
    error = None
    if request.method == "POST" and not _form_csrf_ok("sign_in_csrf"):
        error = translate(Message(N_("The form has expired; open the page again.")))
    elif request.method == "POST":
        try:
            principal = services().accounts.authenticate_password(
                request.form.get("username", "")[:64], request.form.get("password", "")[:1024]
            )
        except AuthenticationError as refused:
            error = translate(refused.message)
        else:
            sign_in(principal)
            return redirect(target, 303)
    status = 401 if error else 200
    session.setdefault("sign_in_csrf", secrets.token_urlsafe(32))
    return (
        render_template("sign_in.html", error=error, target=target, csrf=session["sign_in_csrf"]),
        status,
    )


@bp.get("/print/<gtin>/<path:code>")
def print_form(gtin: str, code: str) -> Any:
    """The lot, its issued labels, and the layouts to print them on."""
    principal = _signed_in_holder()
    if principal is None:
        return redirect(url_for("printing.sign_in_page", next=request.full_path), 303)
    lot_id = check_subject_id(f"lot:{gtin}/{code}")
    log = get_log()
    # Only the holder sees the form (and the serials issued): ForbiddenError for anyone else.
    lot = lots.lot(log.engine, lot_id)
    organisation = principal.actor.removeprefix("org:")
    if lot["holder"] != organisation:
        raise ForbiddenError(
            N_("Lot {lot} is held by {holder}; only its holder can {action} it."),
            lot=lot_id,
            holder=lot["holder"],
            action=Message(N_("print the labels of")),
        )
    issued = lot_labels(log.engine, lot_id)
    return render_template(
        "print.html",
        lot=lot_id,
        issued=issued,
        layouts=LAYOUTS,
        default_layout=DEFAULT_LAYOUT,
        csrf=session.get("csrf", ""),
        action=url_for("printing.start", gtin=gtin, code=code),
    )


@bp.post("/print/<gtin>/<path:code>")
def start(gtin: str, code: str) -> Any:
    principal = _signed_in_holder()
    if principal is None:
        raise AuthenticationError()
    if not _form_csrf_ok():
        raise ForbiddenError(N_("The form has expired; open the page again."))
    layout = request.form.get("layout", DEFAULT_LAYOUT)
    lot_id = check_subject_id(f"lot:{gtin}/{code}")
    job = services().print_jobs.start(principal.actor.removeprefix("org:"), lot_id, layout)
    return redirect(url_for("printing.job_page", job_id=job.id), 303)


@bp.get("/print-jobs/<job_id>")
def job_page(job_id: str) -> Any:
    """The job's progress; the page refreshes itself until the zip is ready."""
    principal = _signed_in_holder()
    if principal is None:
        return redirect(url_for("printing.sign_in_page", next=request.full_path), 303)
    job = services().print_jobs.get(principal.actor.removeprefix("org:"), job_id)
    error = job.error_message
    response = Response(
        render_template(
            "print_job.html",
            job=job,
            error=translate(error) if error is not None else None,
            download=url_for("labels.download", job_id=job.id) if job.status == DONE else None,
        ),
        mimetype="text/html",
    )
    response.headers["Cache-Control"] = "no-store"
    return response
