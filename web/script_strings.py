"""The words a page's JavaScript shows, from the same catalogs as the page itself.

A script never carries its own copy of a sentence: what it may say is written in the page's
template, through Flask-Babel like every other word (so ``make extract-messages`` finds it and
the translators see it), and handed to the script as a JSON data block::

    {{ script_strings('camera-strings', {
      'denied': _('The camera was not allowed. Type the code below instead.'),
      'read': _('Read: {code}'),
    }) }}
    <script type="module" src="{{ url_for('static', filename='camera.js') }}"></script>

and in the script::

    import { scriptStrings, fill } from "./strings.js";
    const words = scriptStrings("camera-strings");
    status.textContent = fill(words.read, { code });

Placeholders are ``{name}`` in braces, filled by ``fill`` on the device (the catalog test
checks that each translation keeps the placeholders of its msgid). A sentence whose form
depends on a number the device counts gives its forms by CLDR category, and ``plural`` picks
the one the page's language uses::

    'cartons': {'one': ngettext('{count} carton', '{count} cartons', 1),
                'other': ngettext('{count} carton', '{count} cartons', 2)},

    tally.textContent = plural(words.cartons, scanned.size);
 A ``%`` in such a msgid is
written ``%%``: Jinja's ``_()`` formats with ``%`` whether or not it is given parameters.

The block is ``<script type="application/json">``: a data block, which the browser never runs,
so the Content-Security-Policy of :mod:`web.security` (no inline script) needs no hash or nonce
for it. Its JSON is HTML-safe (``<``, ``>``, ``&`` and ``'`` escaped as ``\\u003c`` and so on),
so a translated text, or a name from the ledger put beside it, cannot close the element.

Values are the translated strings; a :class:`~ledger.common.messages.Message` or a
``lazy_gettext`` string is translated here; mappings and lists of them nest (a name per GLN,
say). Anything else is refused, so a number or a date is formatted by the template in the
reader's language, not by the script.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Flask
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape

from ledger.common.messages import Message
from web.i18n import translate

#: An element id a script can find with ``getElementById`` and a CSS selector can name.
_ELEMENT_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


def init_app(app: Flask) -> None:
    """Make :func:`script_strings` a global of every template."""
    app.add_template_global(script_strings, "script_strings")


def script_strings(element_id: str, strings: Mapping[str, Any]) -> Markup:
    """``<script type="application/json" id="element_id">`` holding ``strings``.

    Raises :class:`ValueError` for an id a script could not look up, and :class:`TypeError`
    for a value that is not text (see the module's docstring): both are mistakes in a
    template, found by its first test rather than by a shopper."""
    if not _ELEMENT_ID.fullmatch(element_id):
        raise ValueError(f"not an element id for script strings: {element_id!r}")
    data = _texts(strings, element_id)
    # The JSON is made safe by _html_safe_json, and the id by its pattern and escape().
    body = Markup(_html_safe_json(data))  # noqa: S704
    return Markup('<script type="application/json" id="{}">{}</script>').format(
        escape(element_id), body
    )


def _texts(value: Any, where: str) -> Any:
    """``value`` with every message translated, refused if anything in it is not text."""
    if isinstance(value, Message):
        return str(translate(value))
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"script strings {where}: the key {key!r} is not text")
            out[key] = _texts(item, f"{where}.{key}")
        return out
    if isinstance(value, LazyString):  # lazy_gettext, translated now, in the page's language
        return str(value)
    if isinstance(value, Sequence):
        return [_texts(item, f"{where}[{n}]") for n, item in enumerate(value)]
    raise TypeError(f"script strings {where}: {type(value).__name__} is not text")


def _html_safe_json(data: Any) -> str:
    """JSON that cannot end the element it sits in nor start markup inside it."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("'", "\\u0027")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
