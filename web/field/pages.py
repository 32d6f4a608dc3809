"""The field pages: every registered event form, "my records", and :func:`handle_form`, which
any page with an event form calls (see :mod:`web.field.forms` for declaring one).

A form is a plain HTML form: it works without JavaScript, posts to itself, and on a problem
comes back with the values as typed, each problem on its field in the reader's language, and
the value understood ("1,5 kg"). A form that recorded redirects to its record (so a reload
does not post again); a form posted twice finds its submission recorded and records nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from marshmallow import ValidationError
from werkzeug.wrappers import Response as BaseResponse

from ledger.common.errors import LedgerError
from ledger.common.messages import N_, Message
from ledger.supplychain.accounts import Principal
from ledger.supplychain.submissions import RECORDED, Refusal, Submission
from schemas.events import load_command
from web.account_pages import form_csrf_ok
from web.auth import current_principal
from web.field.forms import (
    PHOTO,
    REGISTRY,
    EventForm,
    FormContext,
    Parsed,
    messages_of,
    new_submission_id,
    parse,
    place_errors,
    request_of,
    submission_id,
)
from web.field.lot_actions import ACTIONS, CARD_PREFIX
from web.field.rendering import form_view, summary
from web.i18n import named
from web.photo_uploads import allow_photo_upload, save_uploaded_photo, uploaded_files
from web.services import services

bp = Blueprint("field", __name__, url_prefix="/field")

_SHA256 = re.compile(r"[0-9a-f]{64}")
#: The field that confirms an implausible quantity, and what it asks.
CONFIRM = "plausibility_reason"
ASK_CONFIRMATION = N_(
    "This is more than is usual. If the quantity is right, say why here and send it again."
)
#: What stops a form before the ledger sees it.
EXPIRED = N_("The form has expired; open the page again.")
#: Where a lot card's form keeps, among the values sent, the lot it was sent from: a form of
#: the card is built for its lot, so "my records" reopens a refused one on that card.
CARD_LOT = "@lot"


def signed_in_principal() -> Principal | BaseResponse:
    """The signed-in person, or the redirect to the sign-in page and back here."""
    principal = current_principal()
    if principal is None:
        return redirect(url_for("account.sign_in_page", next=request.full_path.rstrip("?")), 303)
    return principal


def form_context(principal: Principal) -> FormContext:
    found = services()
    return FormContext(
        principal=principal,
        language=str(get_locale() or "vi"),
        now=found.log.clock.now(),
        fieldwork=found.fieldwork,
        extra={"services": found},
    )


def lot_path(lot: str) -> str:
    """Where a lot's card is (a lot id holds ``/`` and ``:``, so it is one escaped segment)."""
    return f"/field/lots/{quote(lot, safe='')}"


def handle_form(
    form: EventForm,
    *,
    template: str = "field/form.html",
    page: Mapping[str, Any] | None = None,
    card_lot: str | None = None,
) -> Any:
    """Show ``form`` (GET) or record what was posted (POST): the one view of every event form.

    ``page`` adds variables to the template (a lot card's lot, say); ``form.fixed`` data the
    person does not choose; ``card_lot`` the lot whose card shows the form, kept with the
    submission (:data:`CARD_LOT`). Refuses a role the event type does not allow with 403."""
    principal = signed_in_principal()
    if not isinstance(principal, Principal):
        return principal
    if principal.role not in form.roles or principal.organisation is None:
        abort(403)
    ctx = form_context(principal)
    extra = dict(page or {})
    if request.method != "POST":
        resend = services().submissions.get(request.args.get("resend", "")[:64], principal)
        if (
            resend is not None
            and resend.status != RECORDED
            and resend.form == form.slug
            and resend.values.get(CARD_LOT) == card_lot
        ):
            typed = {name: str(value) for name, value in resend.values.items() if name != CARD_LOT}
            shown = Parsed(typed)
            if resend.refusal is not None:  # what was refused, on its fields again
                place_errors(form, shown, resend.refusal.errors)
                placed = [message for messages in shown.errors.values() for message in messages]
                if resend.refusal.message not in placed:
                    shown.general.insert(0, resend.refusal.message)
            return render_template(
                template, **form_view(form, ctx, shown, resend.id), **extra, resending=True
            )
        return render_template(template, **form_view(form, ctx, None, new_submission_id()), **extra)
    photos = [item.name for item in form.fields if item.kind == PHOTO]
    if photos:
        try:
            allow_photo_upload(photos[0])  # before the form is read: larger than JSON may be
        except LedgerError as error:
            # Too large to read at all: the form comes back fresh, saying why.
            refused = Parsed({})
            refused.add(photos[0], error.message)
            view = form_view(form, ctx, refused, new_submission_id())
            return render_template(template, **view, **extra), error.status
    key = submission_id(request.form.get("submission", ""))
    parsed = parse(form, request.form, ctx)
    if not form_csrf_ok() or key is None or services().submissions.taken(key, principal):
        parsed.general.append(Message(EXPIRED))
        view = form_view(form, ctx, parsed, key or new_submission_id())
        return render_template(template, **view, **extra), 403
    earlier = services().submissions.get(key, principal)
    if earlier is not None and earlier.status == RECORDED:
        return redirect(url_for("field.record_page", submission=key), 303)
    if not parsed.errors:
        _photos(form, parsed, principal)
    if not parsed.errors:
        kept = {**parsed.typed, CARD_LOT: card_lot} if card_lot else parsed.typed
        outcome = _record(form, parsed, ctx, key, principal, kept)
        if outcome is not None:
            return redirect(url_for("field.record_page", submission=key), 303)
    view = form_view(form, ctx, parsed, key)
    return render_template(template, **view, **extra), 422


def _photos(form: EventForm, parsed: Parsed, principal: Principal) -> None:
    """The photos a form attaches: those kept from an earlier post of it (by hash) and those
    sent now, each checked, stripped and kept (:mod:`web.photo_uploads`)."""
    for item in form.fields:
        if item.kind != PHOTO:
            continue
        kept = [sha for sha in request.form.getlist(f"{item.name}_kept") if _SHA256.fullmatch(sha)]
        try:
            sent = [
                save_uploaded_photo(file, principal, field=item.name)
                for file in uploaded_files(item.name)
            ]
        except LedgerError as error:
            for message in messages_of(error.errors) or [error.message]:
                parsed.add(item.name, message)
            sent = []
        photos = list(dict.fromkeys([*kept, *sent]))
        if photos:
            parsed.values[item.name] = photos
            parsed.typed[f"{item.name}_kept"] = " ".join(photos)


def _record(
    form: EventForm,
    parsed: Parsed,
    ctx: FormContext,
    key: str,
    principal: Principal,
    kept: dict[str, str],
) -> Submission | None:
    """Record the parsed form through the one service; on a refusal, its problems go onto
    the form (and into the submission, with the values ``kept``, when the ledger refused it)
    and None is returned."""
    raw = request_of(form, parsed, ctx, key)
    if parsed.errors:
        return None
    try:
        command = load_command(raw)
    except ValidationError as error:
        place_errors(form, parsed, error.messages)
        return None
    submissions = services().submissions
    try:
        recorded = services().recorder.record(principal, command)
    except LedgerError as error:
        place_errors(form, parsed, error.errors)
        placed = [message for messages in parsed.errors.values() for message in messages]
        if error.message not in parsed.general and error.message not in placed:
            parsed.general.insert(0, error.message)
        if error.code == "implausible_quantity" and form.field_named(CONFIRM) is not None:
            parsed.add(CONFIRM, Message(ASK_CONFIRMATION))
        submissions.save(
            key,
            principal,
            form=form.slug,
            event_type=form.event_type,
            values=kept,
            refusal=Refusal(error.message, error.errors),
        )
        return None
    return submissions.save(
        key,
        principal,
        form=form.slug,
        event_type=form.event_type,
        values=kept,
        entry_idx=recorded.index,
    )


@bp.route("/record/<slug>", methods=["GET", "POST"])
def record_form(slug: str) -> Any:
    form = REGISTRY.get(slug)
    if form is None:
        abort(404)
    return handle_form(form)


@bp.get("/records")
def records_page() -> Any:
    """What I recorded and what the ledger refused, newest first."""
    principal = signed_in_principal()
    if not isinstance(principal, Principal):
        return principal
    found = services().submissions.recent(principal)
    ctx = form_context(principal)
    summaries = {
        item.id: summary(REGISTRY[item.form], item.values, ctx)
        if item.form in REGISTRY
        else [named(item.values[CARD_LOT])]
        for item in found
        if item.form in REGISTRY or CARD_LOT in item.values
    }
    return render_template(
        "field/records.html",
        submissions=found,
        forms=REGISTRY,
        summaries=summaries,
        **_reopening(found),
    )


@bp.get("/records/<submission>")
def record_page(submission: str) -> Any:
    """One submission: the entry it made, or why it was refused and how to send it again."""
    principal = signed_in_principal()
    if not isinstance(principal, Principal):
        return principal
    key = submission_id(submission)
    found = services().submissions.get(key, principal) if key else None
    if found is None:
        abort(404)
    return render_template(
        "field/record.html", submission=found, forms=REGISTRY, **_reopening([found])
    )


def _reopening(found: list[Submission]) -> dict[str, dict[str, str]]:
    """Each submission's title, and where a refused one reopens filled in as it was sent: its
    form of the registry, or the action's form on the card of the lot it was sent from."""
    titles, resend = {}, {}
    for item in found:
        form = REGISTRY.get(item.form)
        card = item.form.startswith(CARD_PREFIX)
        action = ACTIONS.get(item.form.removeprefix(CARD_PREFIX)) if card else None
        title = form.title if form else action.title if action else None
        titles[item.id] = gettext(title) if title else item.event_type
        if item.status == RECORDED:
            continue
        if form is not None:
            resend[item.id] = url_for("field.record_form", slug=form.slug, resend=item.id)
        elif action is not None and CARD_LOT in item.values:
            resend[item.id] = url_for(
                "field_lots.card", lot=item.values[CARD_LOT], action=action.name, resend=item.id
            )
    return {"titles": titles, "resend_urls": resend}
