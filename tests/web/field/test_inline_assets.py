"""The field pages hold their own stylesheets and scripts, and their policy allows exactly the
hashes of those files: not the text of any other script or style, and on no other page."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from flask import Flask

from tests.support.field import signed_in
from tests.support.paths import ROOT
from web.inline_assets import INLINE_FILES

pytestmark = pytest.mark.timeout(60)
TEMPLATES = ROOT / "web" / "templates"
_INLINE = re.compile(r"<(script|style)(?![^>]*\ssrc=)([^>]*)>(.*?)</\1>", re.DOTALL)


def _policy(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.mark.parametrize("path", ["/field/", "/field/record/harvest", "/field/scan"])
def test_a_field_page_holds_its_files_and_allows_exactly_them(field_app: Flask, path: str) -> None:
    answer = signed_in(field_app, "an").get(path)
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert 'rel="stylesheet"' not in page
    assert not re.search(r"<script[^>]*\ssrc=", page)  # one round trip: nothing linked
    inline = [
        (kind, text) for kind, attributes, text in _INLINE.findall(page)
        if "application/json" not in attributes
    ]  # fmt: skip
    assert inline
    policy = _policy(answer.headers["Content-Security-Policy"])
    for kind, text in inline:
        directive = "style-src" if kind == "style" else "script-src"
        assert _hash(text) in policy[directive], (kind, text[:60])
    allowed = [
        source for source in policy["script-src"] + policy["style-src"] if "sha256" in source
    ]
    assert sorted(allowed) == sorted(_hash(text) for _, text in inline)
    # A script nobody wrote into the file (an injected one) would have no hash in the policy.
    assert _hash("alert(1)") not in allowed


def test_every_inlined_file_is_one_the_templates_use() -> None:
    templates = "".join(path.read_text() for path in TEMPLATES.rglob("*.html"))
    for name in INLINE_FILES:
        assert f"inline_style('{name}')" in templates or f"inline_script('{name}')" in templates


def test_pages_that_hold_no_file_of_their_own_allow_no_inline_code(field_app: Flask) -> None:
    policy = _policy(field_app.test_client().get("/").headers["Content-Security-Policy"])
    assert "style-src" not in policy
    assert policy.get("script-src", ["'self'"]) == ["'self'"]
