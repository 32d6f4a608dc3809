"""What every page shares: the site's icon, and the way to sign in or out."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.support.apps import PASSWORD, create_accounts
from tests.support.world import FARM_A, World
from web.services import services


def test_the_site_has_an_icon(client: FlaskClient) -> None:
    """Browsers ask for /favicon.ico on every site, whatever a page links to."""
    answer = client.get("/favicon.ico")
    assert answer.status_code == 200
    assert answer.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert answer.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert 'rel="icon" href="/favicon.ico"' in client.get("/").get_data(as_text=True)


def test_a_signed_out_visitor_finds_the_sign_in_and_a_signed_in_one_the_sign_out(
    app: Flask,
) -> None:
    with app.app_context():
        World(services().log).setup()
    create_accounts(app, (("pages-an", "farmer", FARM_A),))
    client = app.test_client()
    home = client.get("/").get_data(as_text=True)
    assert 'href="/sign-in?next=/?"' in home
    refused = client.get("/print/08930000000019/NH-1", follow_redirects=True)
    assert refused.request.path == "/sign-in"
    page = refused.get_data(as_text=True)
    assert 'name="password"' in page
    signed_in = client.post("/api/v1/session", json={"username": "pages-an", "password": PASSWORD})
    assert signed_in.status_code == 200
    home = client.get("/").get_data(as_text=True)
    assert 'action="/sign-out"' in home
    assert "pages-an" in home
    assert 'href="/sign-in' not in home
