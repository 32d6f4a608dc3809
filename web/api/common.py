"""What every API view shares: the strict argument parser, the error schema, authentication."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import flask
import marshmallow as ma
from flask_smorest import Blueprint
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from ledger.common.errors import InvalidInputError, LedgerError
from ledger.common.messages import N_, Message
from schemas.api import ErrorSchema
from web.auth import require_principal
from web.errors import field_errors

View = TypeVar("View", bound=Callable[..., Any])

#: Every status an API operation may answer besides its success, documented on each operation.
ERROR_STATUSES = {
    400: "The request is malformed; `errors` names each field.",
    401: "No valid session or API token.",
    403: "Not allowed for this account; `message` says why.",
    404: "Not found.",
    409: "Conflicts with what is recorded (idempotency key, existing lot).",
    413: "The body or an entry is too large.",
    415: "The body is not JSON in UTF-8 (a `charset` other than `utf-8` is refused).",
    422: "Well-formed, but breaks a rule (custody, quantities, food safety, recall).",
    429: "Too many failed attempts; wait and retry.",
}


def _flatten(messages: Any) -> dict[str | int, Any]:
    """webargs nests errors under their location (json, query, …); callers want the fields."""
    flat: dict[str | int, Any] = {}
    if isinstance(messages, dict):
        for location, errors in messages.items():
            if location in ("json", "query", "form", "view_args") and isinstance(errors, dict):
                flat.update(errors)
            else:
                flat[location] = errors
    return flat


class UnsupportedCharsetError(LedgerError):
    """JSON travels in UTF-8 (RFC 8259): a body declared in another charset is refused rather
    than read as if it were UTF-8, which would record something else than was meant."""

    code = "unsupported_media_type"
    status = 415
    template = N_("Send JSON in UTF-8; the charset {charset!r} is not accepted.")


def check_charset(req: flask.Request) -> None:
    """Refuse a body whose ``Content-Type`` names a charset other than UTF-8."""
    charset = req.mimetype_params.get("charset")
    if charset is not None and charset.strip().lower() not in ("utf-8", "utf8"):
        raise UnsupportedCharsetError(
            charset=charset[:40],
            errors={
                "Content-Type": [Message(UnsupportedCharsetError.template, charset=charset[:40])]
            },
        )


class StrictParser(FlaskParser):
    """JSON through the application's strict parser; validation errors are 400 with fields."""

    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            if req.get_data(cache=True):
                raise InvalidInputError(
                    errors={"$": [Message(N_("Send the body as application/json."))]}
                )
            return core.missing
        check_charset(req)
        return req.get_json()

    def handle_error(self, error: ma.ValidationError, *args: Any, **kwargs: Any) -> Any:
        raise InvalidInputError(errors=_flatten(field_errors(error)))


# flask-smorest has no type hints, so its Blueprint is ``Any`` to the checker.
class ApiBlueprint(Blueprint):  # type: ignore[misc]
    """flask-smorest's Blueprint with the strict parser, requiring a principal on every view
    but the ``public`` ones."""

    ARGUMENTS_PARSER = StrictParser()

    def __init__(self, *args: Any, public: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._public = public

        self.before_request(self._authenticate)

    def _authenticate(self) -> None:
        endpoint = (flask.request.endpoint or "").rpartition(".")[2]
        if endpoint not in self._public:
            require_principal()

    # Typed views of flask-smorest's decorators: each wraps the view (to parse, document or
    # render) and hands it back callable as declared, so the views keep their checked types.

    def route(self, rule: str, **options: Any) -> Callable[[View], View]:
        decorate: Callable[[View], View] = super().route(rule, **options)
        return decorate

    def arguments(self, schema: Any, **options: Any) -> Callable[[View], View]:
        decorate: Callable[[View], View] = super().arguments(schema, **options)
        return decorate

    def response(self, status: int, schema: Any = None, **options: Any) -> Callable[[View], View]:
        decorate: Callable[[View], View] = super().response(status, schema, **options)
        return decorate

    def doc(self, **options: Any) -> Callable[[View], View]:
        decorate: Callable[[View], View] = super().doc(**options)
        return decorate

    def alt_response(self, status: int, **options: Any) -> Callable[[View], View]:
        decorate: Callable[[View], View] = super().alt_response(status, **options)
        return decorate


def documented_errors(bp: ApiBlueprint, *statuses: int) -> Callable[[View], View]:
    """Document the error answers of an operation: the spec says everything the API can say."""

    def decorate(view: View) -> View:
        for status in sorted({401, 429, *statuses}):
            view = bp.alt_response(status, schema=ErrorSchema, description=ERROR_STATUSES[status])(
                view
            )
        return view

    return decorate
