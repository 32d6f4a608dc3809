"""Who is calling: API bearer tokens or a signed-in web session, with CSRF and rate limits.

A bearer token (``Authorization: Bearer hyt_…``) acts for its account's organisation and role.
A web session is set by signing in; writes made with a session must carry the session's CSRF
token in ``X-CSRF-Token``, because a browser sends the session cookie with requests that other
sites start. Bearer tokens are not sent automatically by browsers and need no CSRF token.

Failed sign-ins and failed token checks are rate-limited per client address (Flask-Limiter,
in-process memory by default; set ``RATELIMIT_STORAGE_URI`` to share limits between workers).
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, Response, current_app, g, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from ledger.accounts import Principal
from ledger.errors import AuthenticationError, ForbiddenError
from ledger.messages import N_
from web.services import services

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

limiter = Limiter(key_func=get_remote_address, default_limits=[])


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    limiter.init_app(app)


def current_limit(name: str, default: str) -> str:
    return str(current_app.config.get(name, default))


def _failed_auth(response: Response) -> bool:
    return response.status_code == 401


#: Applied to every view that authenticates: only failures count against the limit.
auth_failure_limit = limiter.shared_limit(
    lambda: current_limit("AUTH_FAILURE_LIMIT", "30 per minute"),
    scope="auth-failures",
    deduct_when=_failed_auth,
)
login_limit = limiter.limit(
    lambda: current_limit("LOGIN_LIMIT", "10 per minute"), deduct_when=_failed_auth
)


def current_principal() -> Principal | None:
    """The caller, or None for an anonymous request; a bad token is an error, not anonymity."""
    if "hyt_principal" in g:
        principal: Principal | None = g.hyt_principal
        return principal
    principal = None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthenticationError(N_("Send the API token as: Authorization: Bearer <token>."))
        principal = services().accounts.authenticate_token(secret.strip())
        g.hyt_via_session = False
    elif "account" in session:
        principal = services().accounts.principal_for_session(session["account"])
        if principal is None:
            session.clear()
        g.hyt_via_session = True
    g.hyt_principal = principal
    return principal


def require_principal() -> Principal:
    principal = current_principal()
    if principal is None:
        raise AuthenticationError()
    if g.get("hyt_via_session") and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        expected = session.get("csrf", "")
        if not expected or not hmac.compare_digest(sent, expected):
            raise ForbiddenError(
                N_("Writes from a signed-in browser need the {header} header."),
                header=CSRF_HEADER,
            )
    return principal


def require_role(*roles: str) -> Principal:
    principal = require_principal()
    if principal.role not in roles:
        raise ForbiddenError(
            N_("This needs the role {roles}; your role is {role}."),
            roles=" / ".join(roles),
            role=principal.role,
        )
    return principal


def sign_in(principal: Principal) -> str:
    """Start a session for the principal and return its CSRF token."""
    session.clear()
    session["account"] = principal.account_id
    session["csrf"] = secrets.token_urlsafe(32)
    session.permanent = False
    return str(session["csrf"])


def sign_out() -> None:
    session.clear()
