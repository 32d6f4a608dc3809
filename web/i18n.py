"""Vietnamese first, English second: locale choice and translation of ledger messages.

The ledger and the schemas produce :class:`~ledger.messages.Message` objects (English templates
with parameters); here they are looked up in the catalogue of the request's language and
formatted with the same parameters.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Flask, Response, current_app, has_request_context, request
from flask_babel import Babel, get_translations
from markupsafe import Markup

from ledger.messages import Message
from web.security import secure_cookie

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"


def select_locale() -> str:
    if has_request_context():
        chosen = request.args.get("lang") or request.cookies.get("lang")
        if chosen in LANGUAGES:
            return chosen
        best = request.accept_languages.best_match(LANGUAGES)
        return best or DEFAULT_LANGUAGE
    configured = current_app.config.get("HYT_LANGUAGE", DEFAULT_LANGUAGE)
    return configured if configured in LANGUAGES else DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh")
    Babel(app, locale_selector=select_locale)

    @app.after_request
    def remember_language(response: Response) -> Response:
        """A language chosen with ``?lang=`` sticks for the next pages (a cookie, a year), under
        the session cookie's policy: Lax, HttpOnly, Secure over TLS."""
        chosen = request.args.get("lang")
        if chosen in LANGUAGES and request.cookies.get("lang") != chosen:
            response.set_cookie(
                "lang",
                chosen,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                httponly=True,
                secure=secure_cookie(),
            )
        return response

    @app.context_processor
    def languages() -> dict[str, Any]:
        return {
            "languages": LANGUAGES,
            "current_language": select_locale(),
            "in_language": in_language,
            "gettext": request_gettext(),
        }


def translate(message: Any) -> Any:
    """Translate a message, or every message in a marshmallow-style error tree."""
    if isinstance(message, Message):
        template = get_translations().gettext(message.template)
        params = {key: translate(value) for key, value in message.params.items()}
        try:
            return template.format(**params) if params else template
        except (KeyError, IndexError, ValueError):
            return str(message)  # a broken translation must not hide the facts
    if isinstance(message, str):
        return get_translations().gettext(message)
    if isinstance(message, dict):
        return {str(key): translate(value) for key, value in message.items()}
    if isinstance(message, list | tuple):
        return [translate(item) for item in message]
    return message


def in_language(language: str) -> str:
    """This page's address in another language: the same path and query, ``lang`` replaced.

    The query is kept as sent, so a label's signature parameter survives the switch."""
    kept = [
        f"{quote(key, safe='')}={quote(value, safe='')}"
        for key, value in request.args.items(multi=True)
        if key != "lang"
    ]
    return "?" + "&".join([*kept, f"lang={quote(language, safe='')}"])


def request_gettext() -> Any:
    """The templates' ``_()`` for this render, bound to the request's catalogue once.

    Jinja's i18n extension resolves ``gettext`` from the template context first; bound here,
    a page's few dozen strings skip Flask-Babel's per-call lookup of the locale and catalogue.
    Same behaviour as the extension's own: the text is trusted markup, values are escaped.
    """
    lookup = get_translations().ugettext

    def gettext(text: str, **variables: Any) -> Markup:
        translated = Markup(lookup(text))  # noqa: S704 - our own catalogue, as Jinja treats it
        return translated % variables if variables else translated

    return gettext
