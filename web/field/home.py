""" "Việc hôm nay": where a person at work lands after signing in, one page per role.

A farmer sees the plots, houses and flocks, the lots still on hand and the sprays and
treatments whose interval still runs (with the day it ends); a distributor, processor or
retailer the shipments coming in, the lots held and those on hold or recalled. Both see a link
to every form their role may use, and nothing else: a form the role cannot record is not
offered.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, url_for

from ledger.supplychain.accounts import Principal
from ledger.supplychain.custody import VIETNAM
from ledger.supplychain.vocabulary import ORGANISATION_ACCOUNT_ROLES
from web.field.farm import interval_notice
from web.field.forms import REGISTRY, SELECT, EventForm, FormContext
from web.field.pages import bp, form_context, lot_path, signed_in_principal
from web.services import services

#: Roles whose work this page is about; the others (auditors, administrators) get the links.
FIELD_ROLES = ORGANISATION_ACCOUNT_ROLES


def forms_for(principal: Principal, ctx: FormContext) -> list[EventForm]:
    """The forms the principal's role may send and has something to send about (a plot for
    a spray, a flock for its feed, a lot to hand over), in the order they were declared."""
    if principal.organisation is None:
        return []
    return [
        form for form in REGISTRY.values() if principal.role in form.roles and offered(form, ctx)
    ]


def offered(form: EventForm, ctx: FormContext) -> bool:
    """Whether each list the form must choose from has something on it."""
    return all(
        item.options(ctx)
        for item in form.fields
        if item.kind == SELECT and item.required and not item.on_demand and item.options
    )


def home_url(principal: Principal) -> str:
    """Where the principal lands after signing in."""
    return url_for("field.home") if principal.role in FIELD_ROLES else url_for("pages.home")


@bp.get("/")
def home() -> Any:
    principal = signed_in_principal()
    if not isinstance(principal, Principal):
        return principal
    found = services()
    work = found.fieldwork
    organisation = principal.organisation
    today = found.log.clock.now().astimezone(VIETNAM).date().isoformat()
    page: dict[str, Any] = {
        "principal": principal,
        "organisation_name": work.organisation_name(organisation),
        "forms": forms_for(principal, form_context(principal)),
        "lot_path": lot_path,
    }
    if organisation is not None and principal.role == "farmer":
        page["intervals"] = [
            interval_notice(i)
            for i in found.intervals.running_intervals_of_organisation(organisation)
        ]
        page["plots"] = work.sites(organisation, ("farm_plot",))
        page["houses"] = work.sites(organisation, ("chicken_house",))
        lots = work.held_lots(organisation, today=today)
        page["flocks"] = [lot for lot in lots if lot.kind == "live_chicken"]
        page["lots"] = [lot for lot in lots if lot.kind != "live_chicken"]
    elif organisation is not None and principal.role in FIELD_ROLES:
        page["incoming"] = work.incoming(organisation, today)
        page["held"] = work.held_lots(organisation, today=today)
        page["blocked"] = work.blocked(organisation, today)
    return render_template("field/home.html", **page)
