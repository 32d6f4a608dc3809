"""Vietnamese first, English second: locale choice and translation of ledger messages.

The ledger and the schemas produce :class:`~ledger.common.messages.Message` objects (English
templates with parameters); here they are looked up in the catalogue of the request's language and
formatted with the same parameters, each shown as people read it: a quantity in the language's
number format (never an exponent), a time in Vietnam's local time, an organisation, a site or a
lot by its name (see :mod:`ledger.supplychain.naming`) rather than its id.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation, localcontext
from functools import lru_cache
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, format_time
from babel.numbers import format_decimal
from flask import Flask, Response, current_app, g, has_app_context, has_request_context, request
from flask_babel import Babel, get_locale, get_timezone, get_translations
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from ledger.common.errors import LedgerError
from ledger.common.messages import (
    ECHOED_PARAMETERS,
    N_,
    PARTY_PARAMETERS,
    UNIT_PARAMETERS,
    Message,
    excerpt,
)
from ledger.supplychain.naming import Party, party, product_names
from ledger.supplychain.places import described
from ledger.supplychain.vocabulary import MEASUREMENT_UNITS
from web.security import secure_cookie
from web.services import services

logger = logging.getLogger(__name__)

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

    app.add_template_filter(format_number, "number")
    app.add_template_filter(format_day, "day")

    @app.context_processor
    def languages() -> dict[str, Any]:
        return {
            "languages": LANGUAGES,
            "current_language": select_locale(),
            "in_language": in_language,
            "gettext": request_gettext(),
        }


def translate(message: Any, *, names: bool = True) -> Any:
    """Translate a message, or every message in a marshmallow-style error tree.

    ``names``: ids are shown by name; without, they stay ids (the API's field errors, which a
    program reads beside the sentence)."""
    if isinstance(message, Message):
        template = get_translations().gettext(message.template)
        params = {key: _parameter(key, value, names=names) for key, value in message.params.items()}
        try:
            return template.format(**params) if params else template
        except (KeyError, IndexError, ValueError):
            return str(message)  # a broken translation must not hide the facts
    if isinstance(message, str):
        return get_translations().gettext(message)
    if isinstance(message, dict):
        return {str(key): translate(value, names=names) for key, value in message.items()}
    if isinstance(message, list | tuple):
        return [translate(item, names=names) for item in message]
    return message


#: A typed id of what has a GLN, and of a lot.
_TYPED_GLN = re.compile(r"(?:org|plot|location|house|site):([0-9]{13})")
_LOT_ID = re.compile(r"lot:([0-9]{14})/(.+)", re.DOTALL)
_GLN = re.compile(r"[0-9]{13}")


def _parameter(key: str, value: Any, *, names: bool) -> Any:
    if isinstance(value, Message):
        return translate(value, names=names)
    if isinstance(value, Decimal) or (isinstance(value, int) and not isinstance(value, bool)):
        return format_quantity(value)
    if isinstance(value, datetime):
        return format_moment(value)
    if isinstance(value, date):
        return format_day(value)
    if key in UNIT_PARAMETERS and isinstance(value, str):
        # A unit's code (``head``) or its English name (``heads``), in the reader's language.
        unit = MEASUREMENT_UNITS.get(value)
        name = unit.name if unit else value
        if name in _UNIT_NAMES:
            return get_translations().gettext(name)
    if key in ECHOED_PARAMETERS and isinstance(value, str):
        return excerpt(value)
    if names and isinstance(value, str):
        return _named(key, value)
    return value


def _reader() -> tuple[str, str]:
    """The reader's locale and time zone, asked of Flask-Babel once per request: a page
    formats dozens of numbers and times."""
    if has_request_context():
        found: tuple[str, str] | None = g.get("hyt_reader")
        if found is None:
            found = g.hyt_reader = (str(get_locale() or DEFAULT_LANGUAGE), str(get_timezone()))
        return found
    return str(get_locale() or DEFAULT_LANGUAGE), str(get_timezone())


def _locale_name() -> str:
    return _reader()[0]


_UNIT_NAMES = frozenset(unit.name for unit in MEASUREMENT_UNITS.values())


def format_quantity(value: Decimal | int | str) -> str:
    """A number in the reader's language, every digit kept and never an exponent:
    ``0,0000001`` and ``1.234,5`` in Vietnamese, ``0.0000001`` and ``1,234.5`` in English."""
    number = Decimal(value)
    if not number.is_finite():
        return str(number)
    # Keyed by its digits: 1.5 and 1.50 are equal as numbers, not as text.
    return _quantity_in(str(number), _locale_name())


# A page shows the same few amounts, days and times on every request of a lot: each is worked
# out once per language (Babel takes about a fifth of a millisecond for one).
@lru_cache(maxsize=8192)
def _quantity_in(text: str, locale: str) -> str:
    number = Decimal(text)
    digits = number.as_tuple()
    with localcontext() as context:
        # Room for every digit, however far the exponent places them from the point.
        context.prec = len(digits.digits) + abs(int(digits.exponent)) + 28
        return str(format_decimal(number, locale=locale, decimal_quantization=False))


def format_number(value: Any) -> str:
    """The pages' ``number`` filter: a decimal as :func:`format_quantity` writes it; anything
    that is not a number as it is."""
    try:
        return format_quantity(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


def format_day(value: date | str | None) -> str:
    """The pages' ``day`` filter: a calendar day in the reader's language's short form
    (``1/3/2025`` in Vietnamese, ``3/1/2025`` in English); anything else as it is."""
    if value is None:
        return ""
    try:
        day = date.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return str(value)
    return _day_in(day, _locale_name())


@lru_cache(maxsize=8192)
def _day_in(day: date, locale: str) -> str:
    return str(format_skeleton("yMd", day, locale=locale))


def format_moment(value: datetime | str) -> str:
    """A time as people in Vietnam read it, in the reader's language's short form:
    ``23:50 16/12/2026`` in Vietnamese, ``12/16/2026, 11:50 PM`` in English."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return _moment_in(moment, *_reader())


@lru_cache(maxsize=8192)
def _moment_in(moment: datetime, locale_name: str, zone_name: str) -> str:
    locale = Locale.parse(locale_name)
    zone = ZoneInfo(zone_name)
    day = format_skeleton("yMd", moment, tzinfo=zone, locale=locale)
    time = format_time(moment, "short", tzinfo=zone, locale=locale)
    pattern = str(locale.datetime_formats["short"])
    return pattern.replace("{0}", time).replace("{1}", day)


def named(value: str) -> str:
    """A typed id (``lot:…``, ``org:…``, ``plot:…``) as a page shows it, by name."""
    return _named("", value)


def _named(key: str, value: str) -> str:
    """An id shown by name when master data knows it and the reader may read that name."""
    lot = _LOT_ID.fullmatch(value)
    if lot is not None:
        gtin, code = lot.groups()
        code = excerpt(code)
        product = _lookup(("product", gtin), lambda engine: product_names(engine, gtin))
        if product is None:
            return f"lot:{gtin}/{code}"
        language = str(get_locale() or "vi")
        return f"{code} ({product[1] if language == 'en' else product[0]})"
    typed = _TYPED_GLN.fullmatch(value)
    gln = typed.group(1) if typed else value if key in PARTY_PARAMETERS else None
    if gln is None or not _GLN.fullmatch(gln):
        return value
    viewer = g.get("hyt_principal") if has_request_context() else None
    found = _lookup(("party", gln), lambda engine: party(engine, gln, viewer))
    return value if found is None else party_name(found)


def party_name(found: Party) -> str:
    """An organisation's name; a location's name and the area it is in; for a name the reader
    may not see, what it is and its GLN."""
    area = place_area(found)
    if found.name is None:
        if not found.site:
            hidden = Message(N_("a household farm ({gln})"), gln=found.gln)
        elif area:
            hidden = Message(N_("site {gln} in {area}"), gln=found.gln, area=area)
        else:
            hidden = Message(N_("site {gln}"), gln=found.gln)
        return str(translate(hidden, names=False))
    return f"{found.name} ({area})" if area else found.name


def place_area(found: Party) -> str | None:
    """Where a location is, in words: the one place that names the area a site is in."""
    language = "en" if str(get_locale() or "vi") == "en" else "vi"
    place = described(found.divisions, found.commune_code, found.district_code)
    names = [place[part][language] for part in ("commune", "area") if place[part]]
    return ", ".join(names) or None


def _lookup(key: tuple[str, str], read: Any) -> Any:
    """A master-data read for a message, remembered for the rest of the request. A failing read
    leaves the id as it is: an error page must not fail for want of a name."""
    if not has_app_context():
        return None
    cache: dict[tuple[str, str], Any] = g.setdefault("hyt_names", {})
    if key not in cache:
        try:
            cache[key] = read(services().log.engine)
        except (SQLAlchemyError, LedgerError):
            logger.warning("no name for %s %s", *key, exc_info=True)
            cache[key] = None
    return cache[key]


def in_language(language: str, *, keep_query: bool = True) -> str:
    """This page's address in another language: the same path and query, ``lang`` replaced.

    The query is kept as sent, so a label's signature parameter survives the switch; an error
    page does not keep it, so that what was refused is not echoed back."""
    kept = [
        f"{quote(key, safe='')}={quote(value, safe='')}"
        for key, value in request.args.items(multi=True)
        if key != "lang" and keep_query
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
