"""The accounts ``make run`` makes (demo/masterdata.py, password ``DEMO_PASSWORD``) can use
every field page: each farmer, distributor, processor and retailer of the demo season signs in
through the form, lands on today's work, and every link there (forms, records, scan, lot cards)
opens, never a 4xx or 5xx."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask

from demo.masterdata import DEMO_PASSWORD
from ledger.supplychain.accounts import Accounts
from tests.support.field import sign_in
from web.field.home import FIELD_ROLES
from web.services import services

pytestmark = pytest.mark.timeout(240)
_LINK = re.compile(r'<a [^>]*href="(/[^"]*)"')


def test_every_demo_field_account_opens_its_home_and_each_link_on_it(
    demo_season: tuple[Flask, str],
) -> None:
    app, _ = demo_season
    with app.app_context():
        everyone = Accounts(services().log.engine).accounts()
    field = [account for account in everyone if account.role in FIELD_ROLES]
    assert {account.role for account in field} == {"farmer", "distributor", "processor", "retailer"}
    opened: dict[str, int] = {}
    for account in field:
        client = app.test_client()
        landed = sign_in(client, account.username, password=DEMO_PASSWORD)
        assert landed.status_code == 303, account.username
        assert landed.headers["Location"] == "/field/", account.username
        home = client.get("/field/")
        assert home.status_code == 200, account.username
        links = {unescape(link) for link in _LINK.findall(home.get_data(as_text=True))}
        assert any(link.startswith("/field/") for link in links), account.username
        for link in sorted(links):
            answer = client.get(link)
            assert answer.status_code < 400, (account.username, link, answer.status_code)
            assert "Traceback" not in answer.get_data(as_text=True)
            opened[link] = opened.get(link, 0) + 1
    # Every kind of field page was reached by some account.
    import web.field.farm  # noqa: F401 - the farmer's forms register themselves when it is read
    from web.field.forms import REGISTRY

    for slug in REGISTRY:
        assert f"/field/record/{slug}" in opened, slug
    assert "/field/records" in opened
    assert "/field/scan" in opened
    assert any(link.startswith("/field/lots/") for link in opened)
