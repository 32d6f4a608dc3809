"""Translatable messages that do not depend on Flask.

The ledger and the schemas run outside any request (CLI, benchmarks, the audit), so they cannot
call Flask-Babel. They produce :class:`Message` objects instead: plain English strings that also
remember their template and parameters. The web layer looks the template up in its catalogue and
formats the translation with the same parameters, so a Vietnamese reader gets the same facts
(field, value, limit) as an English one.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

#: Parameters whose value, a bare 13-digit GLN, names an organisation or a location. Typed ids
#: (``org:…``, ``plot:…``, ``lot:…``) say what they name whatever the parameter is called; a
#: bare GLN needs its parameter's name to be read as one. Pages show both by name. (``gln``
#: is not one: "There is no active location with GLN {gln}" means the number.)
PARTY_PARAMETERS = frozenset(
    {"holder", "receiver", "organisation", "owner", "site", "body", "issuer"}
)


#: Parameters whose value is a unit (its code ``head`` or its name ``heads``): pages show the
#: unit's name in the reader's language ("con" for heads in Vietnamese).
UNIT_PARAMETERS = frozenset({"unit", "wanted"})


#: Parameters that echo what a sender wrote, which may be of any length: messages show an
#: excerpt (:func:`excerpt`).
ECHOED_PARAMETERS = frozenset({"value", "layout", "link_type"})


def N_(template: str) -> str:
    """Mark a template for extraction into the message catalogue without translating it."""
    return template


class Message(str):
    """An English message carrying its template and parameters for later translation.

    Parameters keep their type, so each language can show them its way: a :class:`Decimal`
    quantity, a :class:`datetime`, an id (see :data:`PARTY_PARAMETERS`), another message."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, /, **params: Any) -> Message:
        plain = {key: _plain(key, value) for key, value in params.items()}
        text = template.format(**plain) if params else template
        instance = super().__new__(cls, text)
        instance.template = template
        instance.params = params
        return instance

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep the template and parameters when errors cross a process boundary.
        return (_rebuild_message, (self.template, self.params))


#: How much of a value a message echoes: enough to recognise it, not a page of it.
EXCERPT_LENGTH = 24


def excerpt(value: str, limit: int = EXCERPT_LENGTH) -> str:
    """``value`` as a message may echo it: whole if short, else its start and an ellipsis."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _plain(key: str, value: Any) -> Any:
    """A parameter as the English text shows it: quantities in positional notation (never
    ``1E-7``), times as ISO 8601 (pages format both in the reader's language instead), and
    what the sender wrote as a short excerpt."""
    if key in ECHOED_PARAMETERS and isinstance(value, str):
        return excerpt(value)
    if isinstance(value, Decimal) and value.is_finite():
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _rebuild_message(template: str, params: dict[str, Any]) -> Message:
    return Message(template, **params)
