"""The field pages' own small stylesheets and scripts, written into the page itself.

On a phone at a loading dock (Slow 4G: over half a second a round trip) every stylesheet or
script a page links costs one more round trip before its form can be used: a page that links
three files takes about twice as long as a page of the same size that holds them. The field
pages are for that phone, so their templates write these files into the page
(``{{ inline_style('field.css') }}``, ``{{ inline_script('field.js') }}``), a few kilobytes each.

The Content Security Policy still forbids inline code: a page's policy allows exactly the
SHA-256 of each file its template wrote (:func:`policy_sources`, read by
:mod:`web.security`), computed from the file when the application starts, so text from a
request can never be allowed, and no page allows what it did not inline. A script is written
once per page however often a template asks (a form with two photo fields runs ``photo.js``
once, as a linked module would). A relative import (``from "./strings.js"``) becomes the
static folder's URL, as the browser would resolve it from the file's own address.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, g
from markupsafe import Markup

#: The files a template may write into a page: the field pages' stylesheets and scripts.
INLINE_FILES = ("style.css", "field.css", "scan.css", "field.js", "photo.js", "scan.js")
_RELATIVE_IMPORT = re.compile(r"""(\bfrom\s+|\bimport\s*\(\s*)(["'])\./""")
_EXTENSION = "inline_assets"


@dataclass(frozen=True)
class InlineAsset:
    """One file as the page holds it, and the CSP source that allows exactly that text."""

    name: str
    text: str
    source: str

    @property
    def is_style(self) -> bool:
        return self.name.endswith(".css")


def _asset(static: Path, static_url: str, name: str) -> InlineAsset:
    text = (static / name).read_text(encoding="utf-8")
    if not name.endswith(".css"):
        text = _RELATIVE_IMPORT.sub(lambda m: f"{m[1]}{m[2]}{static_url}/", text)
    closing = "</style" if name.endswith(".css") else "</script"
    if closing in text.lower():
        raise ValueError(f"{name} holds {closing!r} and cannot be written into a page")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return InlineAsset(name, text, f"'sha256-{digest}'")


def init_app(app: Flask) -> None:
    """Read the files once and give the templates :func:`inline_style` and
    :func:`inline_script`."""
    static = Path(app.static_folder or "")
    url = (app.static_url_path or "/static").rstrip("/")
    app.extensions[_EXTENSION] = {name: _asset(static, url, name) for name in INLINE_FILES}
    app.jinja_env.globals.update(inline_style=inline_style, inline_script=inline_script)


def _written(name: str) -> InlineAsset | None:
    """The asset, recorded as written on this page; None if it was written already."""
    asset: InlineAsset = current_app.extensions[_EXTENSION][name]
    written: list[InlineAsset] = g.setdefault("inline_assets", [])
    if asset in written:
        return None
    written.append(asset)
    return asset


def inline_style(name: str) -> Markup:
    """``<style>`` holding the stylesheet ``name`` of :data:`INLINE_FILES`."""
    asset = _written(name)
    if asset is None:
        return Markup("")
    # Our own file, read at start-up and checked to hold no closing tag.
    return Markup(f"<style>{asset.text}</style>")  # noqa: S704


def inline_script(name: str) -> Markup:
    """``<script type="module">`` holding the script ``name`` of :data:`INLINE_FILES`."""
    asset = _written(name)
    if asset is None:
        return Markup("")
    return Markup(f'<script type="module">{asset.text}</script>')  # noqa: S704 (as above)


def policy_sources() -> tuple[list[str], list[str]]:
    """The hash sources of the scripts and of the styles this request's page holds."""
    written: list[InlineAsset] = g.get("inline_assets", [])
    scripts = [asset.source for asset in written if not asset.is_style]
    styles = [asset.source for asset in written if asset.is_style]
    return scripts, styles
