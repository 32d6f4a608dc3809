"""Signing in and out of a browser session (the tablet and scanner pages use it)."""

from __future__ import annotations

from typing import Any

from ledger.errors import AuthenticationError
from schemas.api import LoginSchema, SessionSchema
from web.api import API_PREFIX
from web.api.common import ApiBlueprint, documented_errors
from web.auth import current_principal, login_limit, sign_in, sign_out
from web.services import services

bp = ApiBlueprint(
    "session",
    __name__,
    url_prefix=f"{API_PREFIX}/session",
    description="Sign in with a username and password; writes need the returned CSRF token.",
    public=("sign_in_view", "sign_out_view"),
)


@bp.route("", methods=["POST"])
@login_limit
@bp.arguments(LoginSchema)
@bp.response(200, SessionSchema)
@documented_errors(bp, 400)
def sign_in_view(credentials: dict[str, Any]) -> dict[str, Any]:
    """Sign in"""
    principal = services().accounts.authenticate_password(
        credentials["username"], credentials["password"]
    )
    csrf = sign_in(principal)
    return {
        "username": principal.username,
        "role": principal.role,
        "organisation": principal.organisation,
        "csrf_token": csrf,
    }


@bp.route("", methods=["DELETE"])
@bp.response(204)
@documented_errors(bp)
def sign_out_view() -> None:
    """Sign out"""
    if current_principal() is None:
        raise AuthenticationError()
    sign_out()
