"""Using the field pages as a browser does: signing in through the form, reading a form's hidden
fields, and posting it back."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.apps import PASSWORD

_HIDDEN = re.compile(r'<input type="hidden" name="(csrf_token|submission)" value="([^"]*)">')


def sign_in(client: FlaskClient, username: str, language: str = "en") -> TestResponse:
    """Sign in through the page's form, as a person does; the answer is where it led."""
    page = client.get(f"/sign-in?lang={language}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    return client.post(
        "/sign-in",
        data={"csrf_token": token.group(1), "username": username, "password": PASSWORD},
    )


def hidden_fields(html: str) -> dict[str, str]:
    """The CSRF token and the submission id a form page carries."""
    return dict(_HIDDEN.findall(html))


def post_form(
    client: FlaskClient, path: str, values: dict[str, Any], *, page: str | None = None
) -> TestResponse:
    """Open the form at ``path`` (or use the ``page`` already shown) and post ``values`` with
    its hidden fields, as a browser sends them."""
    html = page if page is not None else client.get(path).get_data(as_text=True)
    data = {**hidden_fields(html), **{k: str(v) for k, v in values.items()}}
    return client.post(path, data=data)
