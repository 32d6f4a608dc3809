"""The words of the pages' JavaScript come from the server's catalogs, in the page's language,
in a data block no markup can break out of; the label page's script finds every word it uses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from flask_babel import lazy_gettext

from ledger.common.messages import Message
from tests.support.labels import issue_labels
from web.script_strings import script_strings

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r'<script type="application/json" id="([^"]+)">(.*?)</script>', re.DOTALL)


def blocks(html: str) -> dict[str, object]:
    return {element_id: json.loads(body) for element_id, body in BLOCK.findall(html)}


def test_the_strings_are_the_catalogs_in_the_pages_language(app: Flask) -> None:
    template = """{{ script_strings('account-strings', {
        'in': _('Sign in'), 'out': {'button': _('Sign out')}, 'list': [_('Sign in')],
        'filled': _('Check failed: {reason}') }) }}"""
    for language, signed_in, failed in (
        ("vi", "Đăng nhập", "Kiểm tra không đạt: {reason}"),
        ("en", "Sign in", "Check failed: {reason}"),
    ):
        with app.test_request_context(f"/?lang={language}"):
            html = render_template_string(template)
        assert blocks(html)["account-strings"] == {
            "in": signed_in,
            "out": {"button": "Đăng xuất" if language == "vi" else "Sign out"},
            "list": [signed_in],
            "filled": failed,
        }


def test_messages_and_lazy_strings_are_translated_there(app: Flask) -> None:
    with app.test_request_context("/?lang=vi"):
        html = script_strings(
            "words", {"message": Message("Sign in"), "lazy": lazy_gettext("Sign out")}
        )
    assert blocks(html) == {"words": {"message": "Đăng nhập", "lazy": "Đăng xuất"}}


def test_no_text_can_close_the_block_or_start_markup(app: Flask) -> None:
    hostile = "</script><script>alert(1)</script><!-- & ' \u2028"
    with app.test_request_context("/"):
        html = str(script_strings("words", {"name": hostile}))
    assert html.count("</script>") == 1
    assert html.endswith("</script>")
    assert "<!--" not in html
    assert "<script>" not in html
    assert blocks(html) == {"words": {"name": hostile}}


@pytest.mark.parametrize(
    ("element_id", "strings", "error"),
    [
        ('x" onload="alert(1)', {"a": "b"}, ValueError),
        ("", {"a": "b"}, ValueError),
        ("1st", {"a": "b"}, ValueError),
        ("words", {"count": 3}, TypeError),
        ("words", {"nested": {"when": 1.5}}, TypeError),
        ("words", {1: "one"}, TypeError),
        ("words", {"none": None}, TypeError),
    ],
)
def test_a_mistake_in_a_template_is_refused(
    app: Flask, element_id: str, strings: dict[object, object], error: type[Exception]
) -> None:
    """A number or a date would reach the script unformatted: the template formats it."""
    with app.test_request_context("/"), pytest.raises(error):
        script_strings(element_id, strings)  # type: ignore[arg-type]


def test_the_label_script_finds_a_sentence_for_every_word_and_verdict_it_uses(
    app: Flask,
) -> None:
    """Every ``words.<key>`` verify.js reads is in the label page's blocks, and every verdict it
    can throw has its sentence there, in Vietnamese and in English."""
    source = (ROOT / "web/static/verify.js").read_text()
    used = set(re.findall(r"\bwords\.([a-z_]+)", source))
    verdicts = set(re.findall(r'new LabelCheckError\("([a-z_]+)"', source))
    assert {"malformed", "bad_signature", "bad_proof", "unavailable"} <= verdicts
    url = issue_labels(app)["good"][0].removeprefix("http://localhost")
    client = app.test_client()
    pages = {language: client.get(f"{url}&lang={language}") for language in ("vi", "en")}
    for answer in pages.values():
        assert answer.status_code == 200
        found = blocks(answer.get_data(as_text=True))
        on_device, share_area = found["on-device-strings"], found["share-area-strings"]
        assert isinstance(on_device, dict)
        assert isinstance(share_area, dict)
        assert used <= set(on_device) | set(share_area)
        assert verdicts | {"error"} <= set(on_device["verdicts"])
        assert all(on_device["verdicts"].values())
    vi = blocks(pages["vi"].get_data(as_text=True))["on-device-strings"]
    en = blocks(pages["en"].get_data(as_text=True))["on-device-strings"]
    assert isinstance(vi, dict)
    assert isinstance(en, dict)
    assert all(vi["verdicts"][key] != en["verdicts"][key] for key in en["verdicts"])
    assert vi["failed"] == "Kiểm tra không đạt: {reason}"
