"""The two APIs: the public read API of the log under ``/ledger`` (:mod:`web.api.ledger`), and
the REST API under ``/api/v1``, built with flask-smorest on the schemas in :mod:`schemas`.

Views are thin: the schema parses, one service call decides, the response schema renders. Every
error is the JSON ``{code, message, errors}`` of :mod:`web.errors`, in the caller's language;
body and query validation errors are 400 with the field that is wrong, rule violations 422.
The OpenAPI 3 document is at ``/api/openapi.json`` and interactive docs at ``/api/docs``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, send_from_directory
from flask_smorest import Api
from swagger_ui_bundle import swagger_ui_path

from schemas.api import ErrorSchema

API_PREFIX = "/api/v1"
SWAGGER_ASSETS = "/api/docs/assets"

swagger_assets = Blueprint("swagger_assets", __name__)


@swagger_assets.get(f"{SWAGGER_ASSETS}/<path:name>")
def swagger_asset(name: str) -> Response:
    """The Swagger UI's own files (swagger-ui-bundle, Apache-2.0), cached for a day."""
    response = send_from_directory(str(swagger_ui_path), name, max_age=86400)
    return response


# flask-smorest has no type hints, so its Api is ``Any`` to the checker.
class LedgerApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, leaving error responses to :mod:`web.errors`."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        """Errors are rendered by the application's own handlers, in the caller's language."""


def init_app(app: Flask) -> None:
    from web.api import (
        events,
        labels,
        ledger,
        lots,
        masterdata,
        openapi,
        photos,
        recalls,
        session,
    )

    # Plain Flask, outside the OpenAPI document: it serves the log's own formats (signed notes,
    # tiles, proofs) to auditors, with its own CORS and cache headers.
    app.register_blueprint(ledger.bp)

    app.config.setdefault("API_TITLE", "Hưng Yên Trace")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("OPENAPI_SWAGGER_UI_PATH", "docs")
    # Served from the installed swagger-ui-bundle package, so the docs work offline too.
    app.config.setdefault("OPENAPI_SWAGGER_UI_URL", f"{SWAGGER_ASSETS}/")
    spec_kwargs: dict[str, Any] = {
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            }
        },
        "security": [{"bearer": []}, {"session": []}],
    }
    app.url_map.converters["lotcode"] = openapi.LotCodeConverter
    api = LedgerApi(app, spec_kwargs=spec_kwargs)
    openapi.init_api(api)
    for module in (session, events, lots, labels, masterdata, recalls, photos):
        api.register_blueprint(module.bp)
    openapi.describe_events(api)
    app.register_blueprint(swagger_assets)
