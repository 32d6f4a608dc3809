"""Typed errors of the ledger.

Every refusal is an exception with a stable machine-readable ``code``, the HTTP status a web
client should see, and a :class:`~ledger.common.messages.Message` that names the field, the value
and the reason. The errors of the transparency log and of the supply chain subclass these,
beside the code that raises them (:mod:`ledger.tlog.errors`, :mod:`ledger.supplychain.errors`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ledger.common.messages import N_, Message

#: Field-level errors in the marshmallow shape: a field maps to a list of messages or to the
#: nested errors of its sub-fields.
ErrorTree = dict[str | int, Any]


class LedgerError(Exception):
    """Base class: something the ledger refused or found wrong."""

    code: ClassVar[str] = "ledger_error"
    status: ClassVar[int] = 500
    template: ClassVar[str] = N_("The ledger could not complete the request.")

    def __init__(
        self, template: str | None = None, /, *, errors: ErrorTree | None = None, **params: Any
    ) -> None:
        self.message = Message(template or self.template, **params)
        self.params = params
        self.errors: ErrorTree = errors or {}
        super().__init__(str(self.message))


# --- input problems (4xx) -------------------------------------------------------------------


class InvalidInputError(LedgerError):
    """The request is malformed; ``errors`` names each field and what is wrong with it."""

    code = "invalid_input"
    status = 400
    template = N_("The request contains invalid data.")


class NotFoundError(LedgerError):
    code = "not_found"
    status = 404
    template = N_("Not found.")


class ConflictError(LedgerError):
    code = "conflict"
    status = 409
    template = N_("The request conflicts with the current state of the ledger.")


class ConfigurationError(LedgerError):
    code = "configuration_error"
    status = 500
    template = N_("The ledger is misconfigured: {detail}")
