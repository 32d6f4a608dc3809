"""Signing in and out of a browser session (the tablet and scanner pages use it), and changing
the password."""

from __future__ import annotations

from typing import Any

from flask import g

from ledger.common.messages import N_
from ledger.supplychain.errors import AuthenticationError, ForbiddenError
from schemas.api import LoginSchema, PasswordChangeSchema, SessionSchema
from web.api import API_PREFIX
from web.api.common import ApiBlueprint, documented_errors
from web.auth import check_password, current_principal, require_principal, sign_in, sign_out
from web.services import services

bp = ApiBlueprint(
    "session",
    __name__,
    url_prefix=f"{API_PREFIX}/session",
    description="Sign in with a username and password; writes need the returned CSRF token. "
    "Signing out, a new password and deactivation end every session of the account.",
    public=("sign_in_view", "sign_out_view"),
)


def _session(principal: Any, csrf: str) -> dict[str, Any]:
    return {
        "username": principal.username,
        "role": principal.role,
        "organisation": principal.organisation,
        "csrf_token": csrf,
    }


@bp.route("", methods=["POST"])
@bp.arguments(LoginSchema)
@bp.response(200, SessionSchema)
@documented_errors(bp, 400)
def sign_in_view(credentials: dict[str, Any]) -> dict[str, Any]:
    """Sign in"""
    principal = check_password(credentials["username"], credentials["password"])
    return _session(principal, sign_in(principal))


@bp.route("", methods=["DELETE"])
@bp.response(204)
@documented_errors(bp)
def sign_out_view() -> None:
    """Sign out (every session of the account ends, on every device)"""
    if current_principal() is None:
        raise AuthenticationError()
    sign_out()


@bp.route("/password", methods=["PUT"])
@bp.arguments(PasswordChangeSchema)
@bp.response(200, SessionSchema)
@documented_errors(bp, 400, 403)
def change_password_view(change: dict[str, Any]) -> dict[str, Any]:
    """Change the password: every session ends; this browser is signed in again"""
    principal = require_principal()
    if not g.get("hyt_via_session"):
        raise ForbiddenError(N_("Change a password from a signed-in session, not with a token."))
    try:
        check_password(principal.username, change["current_password"])
    except AuthenticationError:
        raise ForbiddenError(N_("The current password is wrong.")) from None
    renewed = services().accounts.set_password(
        principal.username, change["new_password"], by=principal.username
    )
    return _session(renewed, sign_in(renewed))
