"""The GS1 Digital Link resolver: the page a shopper's phone opens from a label, and its data.

``/01/<GTIN>/10/<lot>/21/<serial>`` (a label) and ``/01/<GTIN>/10/<lot>`` (a lot) answer:

* a server-rendered page, readable without JavaScript, Vietnamese unless the browser or the
  toggle asks for English;
* ``Accept: application/json``: the verification result as JSON;
* ``?linkType=linkset`` or ``all``, or ``Accept: application/linkset+json``: an RFC 9264 linkset
  (``gs1:pip`` this page, ``gs1:traceability`` the JSON journey, ``gs1:certificationInfo``,
  ``gs1:recallStatus``);
* ``?linkType=gs1:traceability``: a 307 to the JSON journey.

Every answer carries a ``Link`` header to the linkset. GTIN-8, -12 and -13 redirect to the
14-digit form. ``/.well-known/gs1resolver`` describes the resolver.

Links are absolute on ``PUBLIC_BASE_URL`` when it is set, else relative references (RFC 9264
resolves those against the linkset's own URL); never built from the request's ``Host``, which
the client chooses and a shared cache may keep for everyone else.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from labels.authenticity import check_issued_label
from labels.errors import LabelNotIssuedError, MalformedLabelError
from labels.label_page import LabelVerification, verify_label, verify_lot
from labels.scans import area_of
from ledger.common.errors import InvalidInputError, NotFoundError
from ledger.common.messages import N_, Message
from ledger.supplychain.custody import VIETNAM
from ledger.supplychain.vocabulary import CERTIFICATE_SCHEME_NAMES
from ledger.tlog.canonical import utc_timestamp
from schemas.api import AreaSchema
from web.auth import current_limit, limiter
from web.i18n import format_moment, select_locale, translate
from web.photos import public_links
from web.services import services

bp = Blueprint("resolver", __name__)

LINKSET = "application/linkset+json"
GS1_VOCABULARY = "https://gs1.org/voc/"
LINK_TYPES = ("gs1:pip", "gs1:traceability", "gs1:certificationInfo", "gs1:recallStatus")
#: Where WSGI servers (gunicorn, Werkzeug) keep the request target as sent.
_RAW_TARGET_KEYS = ("RAW_URI", "REQUEST_URI")
_SHORT_GTIN = re.compile(r"[0-9]{8}|[0-9]{12,13}")
#: The scheme and host a scanned label's path and query are checked on. The signature covers
#: the GTIN, lot and serial, not the host, and nothing reads or shows the host of that URL; the
#: request's ``Host`` would only let a client turn a genuine label into "not a label" (a
#: malformed one makes no URL) or fill the parsed-URL cache with copies of one label.
_SCANNED_ON = "https://resolver.invalid"


def _raw_target() -> str:
    """The path and query exactly as the client sent them: a lot code may hold a percent-encoded
    '/', which the decoded path has lost."""
    for key in _RAW_TARGET_KEYS:
        raw = request.environ.get(key)
        if raw:
            # A request target may be in absolute form (``GET http://host/…``): only its path
            # and query are ours; the host is the one the request was made to.
            parts = urlsplit(str(raw))
            return parts.path + (f"?{parts.query}" if parts.query else "")
    query = request.query_string.decode("latin-1")
    return quote(request.path, safe="/%") + (f"?{query}" if query else "")


def public_url(path: str) -> str:
    """A link to ``path`` (from the application's root) as answers give it: absolute on
    ``PUBLIC_BASE_URL`` when that is set, else a relative reference."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    return f"{base.rstrip('/')}{path}" if base else f"{request.script_root}{path}"


def _app_path(endpoint: str, **values: Any) -> str:
    """``url_for``'s path from the application's root (``public_url`` adds what is before)."""
    return url_for(endpoint, **values).removeprefix(request.script_root)


def _page_path(gtin: str, lot: str, serial: str | None) -> str:
    path = f"/01/{gtin}/10/{quote(lot, safe='')}"
    return path + (f"/21/{quote(serial, safe='')}" if serial is not None else "")


def _with_link_header(response: BaseResponse, page_path: str) -> BaseResponse:
    linkset = public_url(f"{page_path}?linkType=linkset")
    response.headers["Link"] = f'<{linkset}>; rel="linkset"; type="{LINKSET}"'
    response.vary.add("Accept")
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")  # the language chosen with ?lang= is kept in one
    return response


def _linkset(page: LabelVerification, page_path: str) -> dict[str, Any]:
    anchor = public_url(page_path)
    journey = public_url(_app_path("resolver.journey_json", gtin=page.gtin, lot=page.lot_code))
    title = page.product["name_vi"]
    return {
        "linkset": [
            {
                "anchor": anchor,
                f"{GS1_VOCABULARY}pip": [
                    {"href": anchor, "title": title, "type": "text/html", "hreflang": ["vi", "en"]}
                ],
                f"{GS1_VOCABULARY}traceability": [
                    {"href": journey, "title": "Hành trình / Journey", "type": "application/json"}
                ],
                f"{GS1_VOCABULARY}certificationInfo": [
                    {"href": f"{anchor}#certificates", "title": "Chứng nhận / Certificates"}
                ],
                f"{GS1_VOCABULARY}recallStatus": [
                    {"href": f"{anchor}#status", "title": "Tình trạng lô / Lot status"}
                ],
            }
        ]
    }


def _as_json(page: LabelVerification) -> dict[str, Any]:
    return {
        "gtin": page.gtin,
        "lot": page.lot_code,
        "serial": page.serial,
        "overall": page.overall,
        "product": page.product,
        "label": None
        if page.serial is None
        else {
            "signature": page.signature,
            "problem": translate(page.signature_problem) if page.signature_problem else None,
            "signed_by": page.signed_by,
            "number": page.label_number,
            "of": page.labels_in_lot,
            "issue_entry": page.issue_entry,
            "leaf_hash": page.leaf_hash,
        },
        "ledger": {"status": page.ledger, "checkpoint_size": page.checkpoint_size},
        "lot_status": page.lot_status,
        "scans": None
        if page.scan_stats is None
        else {
            "devices": page.scan_stats.devices,
            "days": page.scan_stats.span_days,
            "areas": len(page.scan_stats.areas),
            "may_be_copied": page.scan_warning is not None,
            "warning": translate(page.scan_warning) if page.scan_warning else None,
        },
        "journey": page.journey,
        #: The public photos of the journey's steps, by the step's entry.
        "photos": {
            str(entry): [public_links(photo.sha256) for photo in photos]
            for entry, photos in page.photos.items()
        },
    }


def _today() -> date:
    return services().log.clock.now().astimezone(VIETNAM).date()


def _answer(page: LabelVerification) -> BaseResponse:
    page_path = _page_path(page.gtin, page.lot_code, page.serial)
    link_type = request.args.get("linkType")
    accepted = request.accept_mimetypes
    if link_type in ("linkset", "all") or (
        accepted.best_match([LINKSET, "text/html", "application/json"]) == LINKSET
        and accepted[LINKSET] > accepted["text/html"]
    ):
        response = jsonify(_linkset(page, page_path))
        response.mimetype = LINKSET
        return _with_link_header(response, page_path)
    if link_type == "gs1:traceability":
        target = url_for("resolver.journey_json", gtin=page.gtin, lot=page.lot_code)
        return _with_link_header(redirect(target, 307), page_path)
    if link_type not in (None, "gs1:pip", "gs1:certificationInfo", "gs1:recallStatus"):
        raise NotFoundError(N_("There is no link of type {link_type} here."), link_type=link_type)
    if accepted.best_match(["text/html", "application/json"]) == "application/json":
        return _with_link_header(jsonify(_as_json(page)), page_path)
    body = render_template(
        "label.html",
        page=page,
        language=select_locale(),
        fingerprint=page.log_key_fingerprint,
        vkey=page.log_key,
        page_path=page_path,
        formatted_time=format_moment,
        certificate_schemes=CERTIFICATE_SCHEME_NAMES,
        labels_linkset=f"{page_path}?linkType=linkset",
        scan_warning=translate(page.scan_warning) if page.scan_warning else None,
    )
    response = Response(body, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return _with_link_header(response, page_path)


def _canonical_gtin(gtin: str) -> str | None:
    """The 14-digit form of a GTIN-8, -12 or -13 (zero-padded), else None."""
    return gtin.zfill(14) if _SHORT_GTIN.fullmatch(gtin) else None


def _redirect_to_14_digits(gtin: str, lot: str, serial: str | None = None) -> BaseResponse | None:
    """A 301 from a GTIN-8, -12 or -13 to the same address with the 14-digit GTIN (on this host,
    with the query as sent)."""
    padded = _canonical_gtin(gtin)
    if padded is None:
        return None
    query = request.query_string.decode("latin-1")
    return redirect(_page_path(padded, lot, serial) + (f"?{query}" if query else ""), 301)


@bp.get("/01/<gtin>/10/<path:lot>/21/<serial>")
def label(gtin: str, lot: str, serial: str) -> BaseResponse:
    """The page of a scanned label."""
    moved = _redirect_to_14_digits(gtin, lot, serial)
    if moved is not None:
        return moved
    url = _SCANNED_ON + _raw_target()
    scans = services().scans
    try:
        page = verify_label(services().log, url, _today(), scans)
    except MalformedLabelError as error:
        # What is wrong with it, without "the label is malformed" said twice.
        raise NotFoundError(
            N_("This is not a label of Hưng Yên Trace: {detail}"),
            detail=error.params.get("detail", error.message),
        ) from None
    except LabelNotIssuedError as error:
        return _not_found(error.message, copied=True)
    except NotFoundError as error:
        return _not_found(error.message)
    # Only genuine labels are counted: a forged URL must not make a real serial look copied.
    if request.method == "GET" and page.signature == "valid" and page.serial is not None:
        _record_scan(page.gtin, page.serial, page.lot["id"])
    return _answer(page)


def _record_scan(gtin: str, serial: str, lot: str, area: str | None = None) -> bool:
    """Count this request as a scan of the serial (bots and HEAD requests are not counted)."""
    now = services().log.clock.now()
    return services().scans.record(
        gtin=gtin,
        serial=serial,
        lot=lot,
        day=now.astimezone(VIETNAM).date().isoformat(),
        scanned_at=utc_timestamp(now),
        address=request.remote_addr or "",
        user_agent=request.headers.get("User-Agent", ""),
        area=area,
    )


@bp.post("/scans/area")
@limiter.limit(lambda: current_limit("SCAN_AREA_LIMIT", "10 per minute"))
def share_area() -> Response:
    """A shopper chose to share where the label was scanned: kept rounded to about a district."""
    body = AreaSchema().load(request.get_json(silent=True) or {})
    try:
        area = area_of(body["latitude"], body["longitude"])
    except ValueError:
        where = Message(
            N_("A place on Earth has a latitude from -90 to 90 and a longitude from -180 to 180.")
        )
        raise InvalidInputError(errors={"latitude": [where]}) from None
    # Only for a genuine label, whose signed URL the shopper's phone holds.
    checked = check_issued_label(services().log, body["url"])
    label = checked.url.label
    counted = _record_scan(label.gtin, label.serial, checked.issued.issue.lot, area)
    return jsonify({"area": area, "recorded": counted})


@bp.get("/01/<gtin>/10/<path:lot>")
def lot_page(gtin: str, lot: str) -> BaseResponse:
    """The page of a lot (a Digital Link without a serial)."""
    moved = _redirect_to_14_digits(gtin, lot)
    if moved is not None:
        return moved
    try:
        page = verify_lot(services().log, gtin, lot, _today())
    except NotFoundError as error:
        return _not_found(error.message)
    return _answer(page)


@bp.get("/traceability/<gtin>/<path:lot>")
def journey_json(gtin: str, lot: str) -> Response:
    """The lot's public journey as JSON (the linkset's gs1:traceability)."""
    try:
        page = verify_lot(services().log, gtin, lot, _today())
    except NotFoundError as error:
        return _not_found(error.message)
    response = jsonify(page.journey)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _not_found(message: Any, *, copied: bool = False) -> Response:
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        response = jsonify({"code": "not_found", "message": translate(message), "errors": {}})
    else:
        response = Response(
            render_template("label_missing.html", message=translate(message), copied=copied),
            mimetype="text/html",
        )
    response.status_code = 404
    return response


@bp.get("/.well-known/gs1resolver")
def resolver_description() -> Response:
    """What this resolver serves, as GS1's resolver description document."""
    template = public_url("/01/{gtin}/10/{lot}") + "?" + urlencode({"linkType": "linkset"})
    return jsonify(
        {
            "name": "Hưng Yên Trace",
            # With no public address configured: the root of the host this document was
            # fetched from, as a relative reference.
            "resolverRoot": public_url("") or "/",
            "supportsSemanticWeb": False,
            "linkTypeDefaultCanBeLinkset": False,
            "supportedPrimaryKeys": ["01"],
            "supportedContextKeys": ["10", "21"],
            "supportedLinkType": [
                {"namespace": GS1_VOCABULARY, "prefix": "gs1:", "profile": link_type}
                for link_type in LINK_TYPES
            ],
            "validateDigitalLinkURI": True,
            "linkset": template,
        }
    )
