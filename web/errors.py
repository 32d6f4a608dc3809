"""Every failure becomes a clear answer: JSON ``{code, message, errors}`` for the API and the
ledger endpoints, a page for people. Never a traceback, never a bare 500 for bad input."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ledger.common.errors import ErrorTree, InvalidInputError, LedgerError
from ledger.common.messages import N_, Message
from web.i18n import translate

JSON_PREFIXES = ("/ledger", "/api", "/scans")

_HTTP_MESSAGES = {
    400: N_("The request is not valid."),
    404: N_("There is nothing at this address."),
    405: N_("This address does not accept the {method} method."),
    413: N_("The request body is larger than the server accepts."),
    429: N_("Too many requests; wait a moment and try again."),
    500: N_("Something went wrong on the server. The error was logged."),
}
_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    429: "too_many_requests",
    500: "internal_error",
}


def wants_json() -> bool:
    if request.path.startswith(JSON_PREFIXES):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(
    status: int,
    code: str,
    message: Message,
    errors: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    sentence = translate(message)
    if wants_json():
        response = jsonify(
            {"code": code, "message": sentence, "errors": _identified(message, errors, sentence)}
        )
    else:
        problems = [text for text in sentences(translate(errors or {})) if text != sentence]
        response = current_app.make_response(
            (
                render_template(
                    "error.html", status=status, code=code, message=sentence, problems=problems
                ),
                status,
            )
        )
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if request.path.startswith("/ledger"):
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _identified(message: Message, errors: Any, sentence: str) -> Any:
    """The API's field errors keep the ids the sentence shows by name, for the programs that
    read them; an error without fields keeps them under ``$`` (the request as a whole)."""
    if errors:
        return translate(errors, names=False)
    with_ids = translate(message, names=False)
    return {"$": [with_ids]} if with_ids != sentence else {}


def sentences(tree: Any) -> list[str]:
    """Every message of a (translated) error tree, in order, once each: what a page shows
    instead of the field names and nesting a program reads."""
    found: list[str] = []
    stack = [tree]
    while stack:
        item = stack.pop(0)
        if isinstance(item, dict):
            stack[:0] = list(item.values())
        elif isinstance(item, list | tuple):
            stack[:0] = list(item)
        elif item is not None and str(item) not in found:
            found.append(str(item))
    return found


def field_errors(error: ValidationError) -> ErrorTree:
    """A marshmallow error as the field errors of an :class:`InvalidInputError`."""
    # marshmallow leaves normalized_messages unannotated; it returns a dict of field errors.
    found: ErrorTree = error.normalized_messages()  # type: ignore[no-untyped-call]
    return found


def init_app(app: Flask) -> None:
    @app.errorhandler(LedgerError)
    def ledger_error(error: LedgerError) -> Response:
        if error.status >= 500:
            app.logger.error("ledger error: %s", error)
        return error_response(error.status, error.code, error.message, error.errors)

    @app.errorhandler(ValidationError)
    def validation_error(error: ValidationError) -> Response:
        return ledger_error(InvalidInputError(errors=field_errors(error)))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        template = _HTTP_MESSAGES.get(status, N_("The request could not be handled."))
        headers = {}
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(sorted(error.valid_methods))
        message = Message(template, method=request.method) if status == 405 else Message(template)
        return error_response(status, _HTTP_CODES.get(status, "http_error"), message, None, headers)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", Message(_HTTP_MESSAGES[500]))
