"""Who is calling: API bearer tokens or a signed-in web session, with CSRF and failure limits.

A bearer token (``Authorization: Bearer hyt_…``) acts for its account's organisation and role.
A web session is set by signing in; writes made with a session must carry the session's CSRF
token in ``X-CSRF-Token`` (or the form's hidden field), because a browser sends the session
cookie with requests that other sites start. Bearer tokens are not sent automatically by
browsers and need no CSRF token.

A session carries the account's *session generation* from when it was signed in. Signing out, a
new password and deactivation move the generation on, so every session of the account ends on
the server side at once, whatever cookies a browser (or a thief) kept.

Failed credentials are counted, never valid ones refused for others' failures:

* a token (or a request without one) that fails counts against the client's address and the
  token's prefix; past ``AUTH_FAILURE_LIMIT`` such requests get 429 instead of 401, while a
  valid token is always checked and accepted;
* a failed sign-in counts against the pair (client, account name) and the client; past
  ``LOGIN_LIMIT`` (or ``LOGIN_CLIENT_LIMIT``) that client's further sign-ins get 429 without
  the password being checked. A browser that signed in to the account before carries a signed
  device cookie for it: its attempts are counted against that device alone, so neither
  someone guessing the account's password nor others behind the same address lock its owner
  out (the "device cookie" defence of OWASP's authentication guidance).

Counts live in Flask-Limiter's storage (``RATELIMIT_STORAGE_URI``: each process counts its own
with the default ``memory://``).
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeSerializer
from limits import RateLimitItem, parse

from ledger.common.errors import LedgerError
from ledger.common.messages import N_
from ledger.supplychain.accounts import TOKEN_PREFIX, Principal
from ledger.supplychain.errors import AuthenticationError, ForbiddenError
from web.security import secure_cookie
from web.services import services

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEVICE_COOKIE = "hyt_device"
DEVICE_COOKIE_DAYS = 365
#: How much of a token names it in the failure counts: enough to tell tokens apart, far too
#: little to help guess one (a token has 256 random bits).
TOKEN_PREFIX_LENGTH = 8

limiter = Limiter(key_func=get_remote_address, default_limits=[])


class TooManyFailuresError(LedgerError):
    """Too many failed credentials from this client (or for this account from it)."""

    code = "too_many_failures"
    status = 429
    template = N_("Too many failed attempts; wait {seconds} seconds and try again.")

    def __init__(self, seconds: int) -> None:
        self.retry_after = max(1, seconds)
        super().__init__(seconds=self.retry_after)


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    app.after_request(remember_device)

    @app.errorhandler(TooManyFailuresError)
    def too_many(error: TooManyFailuresError) -> Response:
        from web.errors import error_response

        return error_response(
            error.status,
            error.code,
            error.message,
            headers={"Retry-After": str(error.retry_after)},
        )


def current_limit(name: str, default: str) -> str:
    return str(current_app.config.get(name, default))


# --- counting failures -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Budget:
    """One limit and the keys it is counted under."""

    item: RateLimitItem
    keys: tuple[str, ...]


def _budget(setting: str, default: str, *keys: str) -> _Budget:
    return _Budget(parse(current_limit(setting, default)), keys)


def _refuse_if_spent(budgets: list[_Budget]) -> None:
    """429 when any of the budgets is used up, saying how long until it frees."""
    strategy = limiter.limiter
    for budget in budgets:
        if not strategy.test(budget.item, *budget.keys):
            reset = strategy.get_window_stats(budget.item, *budget.keys).reset_time
            # The storage keeps its windows on the system clock, whatever the ledger's clock.
            raise TooManyFailuresError(int(reset - time.time()) + 1)


def _spend(budgets: list[_Budget]) -> None:
    strategy = limiter.limiter
    for budget in budgets:
        strategy.hit(budget.item, *budget.keys)


def _client() -> str:
    return request.remote_addr or "unknown"


def _token_budgets(secret: str | None) -> list[_Budget]:
    setting, default = "AUTH_FAILURE_LIMIT", "30 per minute"
    budgets = [_budget(setting, default, "token-client", _client())]
    if secret:
        prefix = secret.removeprefix(TOKEN_PREFIX)[:TOKEN_PREFIX_LENGTH]
        budgets.append(_budget(setting, default, "token-prefix", prefix))
    return budgets


def _failed_credential(error: AuthenticationError, secret: str | None) -> None:
    """Count a failed token or session check; past the limit the answer is 429, not 401."""
    budgets = _token_budgets(secret)
    _spend(budgets)
    try:
        _refuse_if_spent(budgets)
    except TooManyFailuresError as refused:
        raise refused from error
    raise error


# --- sessions and tokens -----------------------------------------------------------------------


def current_principal() -> Principal | None:
    """The caller, or None for an anonymous request; a bad token is an error, not anonymity."""
    if "hyt_principal" in g:
        principal: Principal | None = g.hyt_principal
        return principal
    principal = None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret:
            _failed_credential(
                AuthenticationError(N_("Send the API token as: Authorization: Bearer <token>.")),
                None,
            )
        try:
            principal = services().accounts.authenticate_token(secret)
        except AuthenticationError as error:
            _failed_credential(error, secret)
        g.hyt_via_session = False
    elif "account" in session:
        principal = services().accounts.principal_for_session(
            session["account"], session.get("generation", -1)
        )
        if principal is None:
            session.clear()
        g.hyt_via_session = True
    g.hyt_principal = principal
    return principal


def require_principal() -> Principal:
    principal = current_principal()
    if principal is None:
        _failed_credential(AuthenticationError(), None)
        raise AssertionError("unreachable")  # pragma: no cover - _failed_credential raises
    if g.get("hyt_via_session") and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not csrf_matches(sent):
            raise ForbiddenError(
                N_("Writes from a signed-in browser need the {header} header."),
                header=CSRF_HEADER,
            )
    return principal


def csrf_matches(sent: str, name: str = "csrf") -> bool:
    """Whether ``sent`` is the session's CSRF token (compared as bytes, in constant time)."""
    expected = str(session.get(name, "")).encode()
    return bool(expected) and hmac.compare_digest(sent.encode(), expected)


def require_role(*roles: str) -> Principal:
    principal = require_principal()
    if principal.role not in roles:
        raise ForbiddenError(
            N_("This needs the role {roles}; your role is {role}."),
            roles=" / ".join(roles),
            role=principal.role,
        )
    return principal


# --- signing in and out ------------------------------------------------------------------------


def _devices() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="hyt-device")


def _trusted_device(username: str) -> str | None:
    """The device id of a browser that signed in to ``username`` before, else None."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    if not cookie:
        return None
    try:
        value: Any = _devices().loads(cookie)
    except BadSignature:
        return None
    if not isinstance(value, dict) or value.get("username") != username:
        return None
    device = value.get("device")
    return device if isinstance(device, str) else None


def _sign_in_budgets(username: str) -> list[_Budget]:
    device = _trusted_device(username)
    if device is not None:
        return [_budget("LOGIN_LIMIT", "10 per minute", "login-device", device)]
    client = _client()
    return [
        _budget("LOGIN_LIMIT", "10 per minute", "login-account", client, username),
        _budget("LOGIN_CLIENT_LIMIT", "50 per minute", "login-client", client),
    ]


def check_password(username: str, password: str) -> Principal:
    """The account's principal if the password is right; failures are counted and, past the
    limits, refused with 429 before the password is checked (see the module's docstring)."""
    budgets = _sign_in_budgets(username)
    _refuse_if_spent(budgets)
    try:
        return services().accounts.authenticate_password(username, password)
    except AuthenticationError:
        _spend(budgets)
        raise


def sign_in(principal: Principal) -> str:
    """Start a session for the principal and return its CSRF token."""
    session.clear()
    session["account"] = principal.account_id
    session["generation"] = principal.session_generation
    session["csrf"] = secrets.token_urlsafe(32)
    session.permanent = False
    g.hyt_remember_device = principal.username
    return str(session["csrf"])


def remember_device(response: Response) -> Response:
    """After a successful sign-in, the browser keeps a signed device cookie for the account
    (see :func:`check_password`); one it already has is kept."""
    username = g.pop("hyt_remember_device", None)
    if username is None or _trusted_device(username) is not None:
        return response
    cookie = _devices().dumps({"username": username, "device": secrets.token_urlsafe(16)})
    response.set_cookie(
        DEVICE_COOKIE,
        cookie,
        max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=secure_cookie(),
    )
    return response


def sign_out() -> None:
    """End every session of the signed-in account (on every device) and this one's cookie."""
    account = session.get("account")
    if account is not None:
        services().accounts.end_sessions(account)
    session.clear()
    g.pop("hyt_principal", None)
