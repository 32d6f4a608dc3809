"""The headers every answer carries and the policy of the cookies the application sets.

Every response (pages, API JSON, errors, static files, the API docs) gets:

* ``Content-Security-Policy``: everything from this origin, nothing from any other, no plugins,
  no ``<base>``, forms only to this origin, and no framing (``frame-ancestors 'none'``). The
  pages need no more: their one script is ``static/verify.js`` (a module, which imports
  ``static/strings.js`` and the vendored noble-ed25519 and fetches ``/ledger/…`` on this
  origin), the ``<script type="application/json">`` blocks of :mod:`web.script_strings` are
  data the browser never runs, and no template has an inline script, an inline style or a
  ``data:`` image of its own making: the field pages hold their own small stylesheets and
  scripts (:mod:`web.inline_assets`), and their policy allows exactly those files' hashes.
  Swagger UI's page (``/api/docs``, rendered by flask-smorest) has one inline script; its
  policy allows that script by its SHA-256 and ``data:`` images for the icons swagger-ui.css
  draws, and no other page gets either.
  The scan page (:data:`WASM_ENDPOINTS`) reads barcodes with the vendored ZXing-C++
  WebAssembly where the browser has no ``BarcodeDetector``: its policy adds
  ``'wasm-unsafe-eval'`` to ``script-src``, which lets a page compile WebAssembly and nothing
  else (no ``eval``), and no other page gets it.
* ``X-Content-Type-Options: nosniff`` and ``X-Frame-Options: DENY`` (framing again, for browsers
  that predate ``frame-ancestors``).
* ``Referrer-Policy: same-origin``. A label page's address carries the label's serial and
  signature: the exact unit a shopper holds. No other site is told it (nor any part of any of
  our addresses), while requests to this origin keep their ``Referer`` and, above all, their
  ``Origin`` header (``no-referrer`` would make a browser send ``Origin: null`` on same-origin
  form posts, and CSRF defences read it).
* ``Strict-Transport-Security: max-age=31536000`` when the request came over TLS, directly or
  through the trusted proxies of ``PROXY_FIX_HOPS``. Without ``includeSubDomains``: other hosts
  under the same domain are not ours to commit to HTTPS.

A header a view set itself is kept. The redirects of Werkzeug's routing (``//`` merged into
``/``) are given as relative references: Werkzeug builds them, header and body, from the
``Host`` header, which the client chooses and a shared cache may keep for others.

Cookies: the session cookie is ``HttpOnly`` and ``SameSite=Lax`` and, over TLS, ``Secure``.
A static ``SESSION_COOKIE_SECURE`` cannot say "over TLS" (behind a proxy only the request
knows), so the session interface asks the request; ``SESSION_COOKIE_SECURE=True`` still makes
every cookie Secure, for a TLS proxy the application is not told about. :func:`secure_cookie`
gives the application's other cookies the same answer. :func:`init_app` sets the session
cookie's settings unconditionally (Flask's own defaults have no SameSite): ``create_app`` calls
it before it applies the mapping it was given, so a setting in that mapping wins.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Response, current_app, has_request_context, redirect, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response as BaseResponse

from web.inline_assets import policy_sources

#: The policy of every answer, directive by directive.
POLICY: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'none'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}
#: flask-smorest's endpoint for the Swagger UI page, whose markup is its template's.
SWAGGER_UI_ENDPOINT = "api-docs.openapi_swagger_ui"
#: The pages that compile WebAssembly: the camera's barcode reader.
WASM_ENDPOINTS = frozenset({"field_scan.scan", "field_scan.scan_into_tally"})
REFERRER_POLICY = "same-origin"
STRICT_TRANSPORT_SECURITY = "max-age=31536000"  # a year
#: Flask's own defaults leave out SameSite: a cross-site POST would carry the session.
COOKIE_SETTINGS: dict[str, Any] = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
}
#: A script element without ``src``: its text is what a CSP hash covers, byte for byte.
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>(.*?)</script>", re.DOTALL)


def secure_cookie(app: Flask | None = None) -> bool:
    """Whether a cookie set now should be ``Secure``: when this request came over TLS (behind
    the trusted proxies, ``X-Forwarded-Proto`` says), or ``SESSION_COOKIE_SECURE`` is set."""
    if (app or current_app).config.get("SESSION_COOKIE_SECURE"):
        return True
    return has_request_context() and request.is_secure


class TLSAwareSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, ``Secure`` exactly when :func:`secure_cookie` says so."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return secure_cookie(app)


def init_app(app: Flask) -> None:
    """Set the cookie policy and add the headers to every response.

    Call it before the application's own config mapping is applied (see the module's
    docstring), and before the other modules' ``after_request`` hooks are registered: hooks
    run in reverse order, so this one sees the response last, whoever made it."""
    app.config.update(COOKIE_SETTINGS)
    app.session_interface = TLSAwareSessionInterface()
    app.before_request(relative_routing_redirect)
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """The headers of the module's docstring, each unless the view set its own."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(response))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", REFERRER_POLICY)
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    return response


def relative_routing_redirect() -> BaseResponse | None:
    """Werkzeug's routing redirect for this request, if any, as a relative reference.

    Flask hands routing redirects straight to the client, past the error handlers, so they
    are answered here, before the view would raise them."""
    routing = request.routing_exception
    if isinstance(routing, RequestRedirect):
        return redirect(without_request_host(routing.new_url), routing.code)
    return None


def content_security_policy(response: Response) -> str:
    """:data:`POLICY`; for the Swagger UI page also its own inline script and ``data:`` icons,
    for the scan page WebAssembly; no other page needs them, so no other page is allowed them."""
    directives = dict(POLICY)
    if response.mimetype == "text/html":
        # The field pages' own files written into the page (web.inline_assets): exactly their
        # hashes, and only on the page that holds them.
        scripts, styles = policy_sources()
        if scripts:
            directives["script-src"] = ("'self'", *scripts)
        if styles:
            directives["style-src"] = ("'self'", *styles)
    if (
        request.endpoint in WASM_ENDPOINTS
        and response.mimetype == "text/html"
        and not 300 <= response.status_code < 400
    ):
        directives["script-src"] = (
            *directives.get("script-src", ("'self'",)),
            "'wasm-unsafe-eval'",
        )
    if request.endpoint == SWAGGER_UI_ENDPOINT and response.mimetype == "text/html":
        directives["script-src"] = ("'self'", *inline_script_hashes(response))
        directives["img-src"] = ("'self'", "data:")
    return "; ".join(" ".join((name, *sources)) for name, sources in directives.items())


def inline_script_hashes(response: Response) -> list[str]:
    """The CSP hash sources of the inline scripts in an HTML response.

    Only for the Swagger UI page: its markup is flask-smorest's template filled with our own
    config (the spec's URL, Swagger UI's options), never with anything from the request, so
    whatever script it holds is ours."""
    if response.direct_passthrough:
        return []
    body = response.get_data(as_text=True)
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(body)
    ]


def without_request_host(location: str) -> str:
    """``location`` as a relative reference when it names the request's own scheme and host
    (the client resolves it against the address it asked for); any other address unchanged."""
    parts = urlsplit(location)
    if parts.scheme != request.scheme or parts.netloc.lower() != request.host.lower():
        return location
    return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
