"""Labels of a lot: which serials were issued, how they are scanned, and print jobs."""

from __future__ import annotations

from typing import Any

from flask import Response, send_file, url_for
from marshmallow import Schema, fields

from labels.jobs import DONE, PrintJob
from labels.layouts import DEFAULT_LAYOUT, LAYOUTS
from labels.scans import lot_scans_for
from ledger.supplychain.label_issues import lot_labels
from schemas.api import LotLabelsSchema, LotScansSchema, Query
from schemas.event_fields import Choice
from web.api import API_PREFIX
from web.api.common import ApiBlueprint, documented_errors
from web.api.lots import lot_id_from_path
from web.api.openapi import LOT_PATH, path_parameter
from web.auth import require_principal
from web.i18n import translate
from web.services import services

bp = ApiBlueprint(
    "labels",
    __name__,
    url_prefix=API_PREFIX,
    description="Issued labels of a lot, and printing them (holders only).",
)


class PrintRequestSchema(Query):
    """A print job's request: the label layout, one of the sheets :mod:`labels.layouts` knows."""

    layout = Choice(tuple(LAYOUTS), load_default=DEFAULT_LAYOUT)


class PrintJobSchema(Schema):
    id = fields.String(required=True)
    lot = fields.String(required=True)
    layout = fields.String(required=True)
    status = fields.String(
        required=True, metadata={"enum": ["queued", "running", "done", "failed", "interrupted"]}
    )
    done = fields.Integer(required=True)
    total = fields.Integer(required=True)
    files = fields.Integer(required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    error = fields.String(allow_none=True, required=True)
    download = fields.String(allow_none=True, required=True)


JOB_IN_PATH = path_parameter("job_id", {"type": "string", "pattern": "^[0-9a-f]{32}$"})


def rendered(job: PrintJob) -> dict[str, Any]:
    error = job.error_message
    return {
        "id": job.id,
        "lot": job.lot,
        "layout": job.layout,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "files": job.files,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "error": translate(error) if error is not None else None,
        "download": url_for("labels.download", job_id=job.id) if job.status == DONE else None,
    }


def _organisation() -> str:
    return require_principal().actor.removeprefix("org:")


@bp.route("/lots/<gtin>/<path:code>/labels", methods=["GET"], parameters=LOT_PATH)
@bp.response(200, LotLabelsSchema)
@documented_errors(bp, 400, 404)
def issued(gtin: str, code: str) -> dict[str, Any]:
    """The serials issued for the lot, issue by issue"""
    return lot_labels(services().log.engine, lot_id_from_path(gtin, code))


@bp.route("/lots/<gtin>/<path:code>/scans", methods=["GET"], parameters=LOT_PATH)
@bp.response(200, LotScansSchema)
@documented_errors(bp, 400, 403, 404)
def scans(gtin: str, code: str) -> dict[str, Any]:
    """Scans of the lot's labels, and the serials that may have been copied (holder, issuer and
    auditors)"""
    principal = require_principal()
    result = lot_scans_for(
        services().log,
        services().scans,
        principal.organisation,
        principal.role,
        lot_id_from_path(gtin, code),
    )
    for serial in result["serials"]:
        serial["warning"] = translate(serial["warning"]) if serial["warning"] else None
    return result


@bp.route("/lots/<gtin>/<path:code>/label-prints", methods=["POST"], parameters=LOT_PATH)
@bp.arguments(PrintRequestSchema)
@bp.response(202, PrintJobSchema)
@documented_errors(bp, 400, 403, 404, 422)
def start_print(request: dict[str, Any], gtin: str, code: str) -> dict[str, Any]:
    """Start printing every issued label of the lot (its holder only); follow the job"""
    job = services().print_jobs.start(
        _organisation(), lot_id_from_path(gtin, code), request["layout"]
    )
    return rendered(job)


@bp.route("/label-prints/<job_id>", methods=["GET"], parameters=[JOB_IN_PATH])
@bp.response(200, PrintJobSchema)
@documented_errors(bp, 403, 404)
def job(job_id: str) -> dict[str, Any]:
    """A print job's progress"""
    return rendered(services().print_jobs.get(_organisation(), job_id))


@bp.route("/label-prints/<job_id>/labels.zip", methods=["GET"], parameters=[JOB_IN_PATH])
@bp.response(200, description="The labels: a zip of PDFs of at most 1,000 labels each.")
@documented_errors(bp, 403, 404, 409)
def download(job_id: str) -> Response:
    """Download a finished print job"""
    organisation = _organisation()
    jobs = services().print_jobs
    path = jobs.archive(organisation, job_id)
    job = jobs.get(organisation, job_id)
    name = job.lot.removeprefix("lot:").replace("/", "-") + f"-{job.layout}.zip"
    return send_file(path, mimetype="application/zip", as_attachment=True, download_name=name)
