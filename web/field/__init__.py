"""The pages of people at work in the field: a home per role ("Việc hôm nay"), the event forms
(declared with :mod:`web.field.forms`, served by :mod:`web.field.pages`) and "my records".

Server-rendered and usable without JavaScript; ``static/field.js`` only shows, as a number is
typed, the value the server will understand.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import gettext

from ledger.common.messages import N_
from web.errors import sentences
from web.i18n import format_moment, translate


def _message(value: Any) -> str:
    return str(translate(value))


def _problems(tree: Any) -> list[str]:
    return sentences(translate(tree or {}))


def _moment(value: Any) -> str:
    return format_moment(value) if value else ""


#: What a lot's status is called on a page.
LOT_STATUS_NAMES = {
    "recalled": N_("recalled"),
    "on_hold": N_("on hold"),
    "depleted": N_("none left"),
    "expired": N_("past its best-before date"),
    "in_transit": N_("in transit"),
    "active": N_("on hand"),
}


def _lot_status(value: str) -> str:
    return gettext(LOT_STATUS_NAMES[value]) if value in LOT_STATUS_NAMES else value


def init_app(app: Flask) -> None:
    """Register the field pages and the filters their templates use."""
    # The farm forms register themselves, and the home page adds its routes to the blueprint,
    # when first imported.
    from web.field import farm, home, pages  # noqa: F401
    from web.field.rendering import unit_name

    app.register_blueprint(pages.bp)
    app.add_template_filter(_message, "message")
    app.add_template_filter(_problems, "problems")
    app.add_template_filter(_moment, "moment")
    app.add_template_filter(_lot_status, "lot_status")
    app.add_template_filter(unit_name, "unit")
