"""A form page with the photo field, as the farmer's forms use it, for tests of the field, its
script and :func:`web.photo_uploads.save_uploaded_photo`."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template_string, request

from ledger.common.errors import LedgerError
from tests.support.world import FARMER_A
from web.errors import sentences
from web.i18n import translate
from web.photo_uploads import allow_photo_upload, save_uploaded_photo, uploaded_files
from web.services import services

PAGE = """<!doctype html>
<html lang="{{ current_language }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{{ url_for('static', filename='style.css') }}"></head>
<body><main>
{% from "photo_input.html" import photo_input %}
<form method="post" enctype="multipart/form-data">
{{ photo_input(name="photo", label=_("Photo (optional)"), errors=errors) }}
<button type="submit">OK</button>
</form>
{% if kept %}<p id="kept">{{ kept.sha256 }} {{ kept.width }}x{{ kept.height }}</p>{% endif %}
</main></body></html>"""


def add_photo_form(app: Flask) -> None:
    """``/test/photo-form``: the field; posted, the photo is kept for farm A, or refused."""
    bp = Blueprint("photo_form", __name__)

    @bp.route("/test/photo-form", methods=["GET", "POST"])
    def photo_form() -> tuple[str, int]:
        errors: list[str] = []
        kept = None
        status = 200
        if request.method == "POST":
            try:
                allow_photo_upload("photo")
                files = uploaded_files("photo")
                if files:
                    sha = save_uploaded_photo(files[0], FARMER_A, field="photo")
                    kept = services().photos.info(FARMER_A, sha)
            except LedgerError as error:
                errors = sentences(translate(error.errors))
                status = error.status
        return render_template_string(PAGE, errors=errors, kept=kept), status

    app.register_blueprint(bp)
