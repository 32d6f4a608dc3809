"""The holder's printing page: start printing a lot's labels, download when done.

Plain forms, no JavaScript needed: the job page has a link to see the progress, and with
JavaScript (``static/print_job.js``) it follows the job by itself until the zip is ready (no
timed refresh, which moves a screen reader back to the top). Forms carry the session's CSRF
token in a hidden field (a browser sends the session cookie with requests other sites start).
The work is done by :class:`labels.jobs.PrintJobs`, the same as the API's.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, session, url_for

from labels.jobs import DONE
from labels.layouts import DEFAULT_LAYOUT, LAYOUTS
from ledger.common.messages import N_, Message
from ledger.supplychain import lots
from ledger.supplychain.errors import AuthenticationError, ForbiddenError
from ledger.supplychain.label_issues import lot_labels
from schemas.fields import check_subject_id
from web.account_pages import form_csrf_ok
from web.auth import current_principal
from web.i18n import named, translate
from web.services import services

bp = Blueprint("printing", __name__)


def _signed_in_holder() -> Any:
    principal = current_principal()
    if principal is None:
        return None
    if principal.organisation is None:
        raise ForbiddenError(N_("Printing labels is for the organisation that holds the lot."))
    return principal


@bp.get("/print/<gtin>/<path:code>")
def print_form(gtin: str, code: str) -> Any:
    """The lot, its issued labels, and the layouts to print them on."""
    principal = _signed_in_holder()
    if principal is None:
        return redirect(url_for("account.sign_in_page", next=request.full_path), 303)
    lot_id = check_subject_id(f"lot:{gtin}/{code}")
    log = services().log
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
        lot=named(lot_id),
        issued=issued,
        papers={name: translate(layout.description) for name, layout in LAYOUTS.items()},
        default_layout=DEFAULT_LAYOUT,
        csrf=session.get("csrf", ""),
        action=url_for("printing.start", gtin=gtin, code=code),
    )


@bp.post("/print/<gtin>/<path:code>")
def start(gtin: str, code: str) -> Any:
    principal = _signed_in_holder()
    if principal is None:
        raise AuthenticationError()
    if not form_csrf_ok():
        raise ForbiddenError(N_("The form has expired; open the page again."))
    layout = request.form.get("layout", DEFAULT_LAYOUT)
    lot_id = check_subject_id(f"lot:{gtin}/{code}")
    job = services().print_jobs.start(principal.actor.removeprefix("org:"), lot_id, layout)
    return redirect(url_for("printing.job_page", job_id=job.id), 303)


@bp.get("/print-jobs/<job_id>")
def job_page(job_id: str) -> Any:
    """The job's progress, followed by the page's script until the zip is ready."""
    principal = _signed_in_holder()
    if principal is None:
        return redirect(url_for("account.sign_in_page", next=request.full_path), 303)
    job = services().print_jobs.get(principal.actor.removeprefix("org:"), job_id)
    error = job.error_message
    response = Response(
        render_template(
            "print_job.html",
            job=job,
            lot=named(job.lot),
            error=translate(error) if error is not None else None,
            download=url_for("labels.download", job_id=job.id) if job.status == DONE else None,
        ),
        mimetype="text/html",
    )
    response.headers["Cache-Control"] = "no-store"
    return response
