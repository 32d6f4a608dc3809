"""Signing in and out of the pages: plain forms, each with a CSRF token of its own.

The sign-in form carries a token set when the form is shown, so another site cannot sign a
browser in to an account of its choosing; the sign-out form carries the session's token, so
another site cannot sign a person out. Both go through :mod:`web.auth`, as the API does: the
same failure limits, and signing out ends every session of the account.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for

from ledger.common.messages import N_, Message
from ledger.supplychain.errors import AuthenticationError, ForbiddenError
from web.auth import (
    TooManyFailuresError,
    check_password,
    csrf_matches,
    current_principal,
    sign_in,
    sign_out,
)
from web.i18n import translate
from web.services import services

bp = Blueprint("account", __name__)


@bp.app_context_processor
def signed_in() -> dict[str, Any]:
    """Who is signed in, for the page header (read only when the browser has a session, so
    the public pages of shoppers cost nothing more)."""
    principal = current_principal() if "account" in session else None
    organisation = (
        services().fieldwork.organisation_name(principal.organisation) if principal else None
    )
    return {
        "signed_in": principal,
        # People read the organisation's name, not its GLN (the GLN where it has no name).
        "signed_in_organisation": organisation or (principal.organisation if principal else None),
        "session_csrf": session.get("csrf", "") if principal else "",
    }


def local_target(value: str) -> str:
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


def form_csrf_ok(name: str = "csrf") -> bool:
    """Whether the form's hidden ``csrf_token`` is the session's token called ``name``."""
    return csrf_matches(request.form.get("csrf_token", ""), name)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in_page() -> Any:
    """A username and password form; back to where the person was going."""
    target = local_target(request.args.get("next", ""))
    error = None
    status = 200
    if request.method == "POST" and not form_csrf_ok("sign_in_csrf"):
        error, status = translate(Message(N_("The form has expired; open the page again."))), 401
    elif request.method == "POST":
        try:
            principal = check_password(
                request.form.get("username", "")[:64], request.form.get("password", "")[:1024]
            )
        except TooManyFailuresError as refused:
            error, status = translate(refused.message), refused.status
        except AuthenticationError as refused:
            error, status = translate(refused.message), 401
        else:
            sign_in(principal)
            if urlsplit(target).path == url_for("pages.home"):
                # Nowhere in particular: a person at work starts at the day's work.
                from web.field.home import home_url

                target = home_url(principal)
            return redirect(target, 303)
    session.setdefault("sign_in_csrf", secrets.token_urlsafe(32))
    return (
        render_template("sign_in.html", error=error, target=target, csrf=session["sign_in_csrf"]),
        status,
    )


@bp.post("/sign-out")
def sign_out_page() -> Any:
    """Sign out: every session of the account ends, on every device."""
    if "account" in session and not form_csrf_ok():
        raise ForbiddenError(N_("The form has expired; open the page again."))
    sign_out()
    return redirect(url_for("pages.home"), 303)
