"""Typed errors of the ledger.

Every refusal is an exception with a stable machine-readable ``code``, the HTTP status a web
client should see, and a :class:`~ledger.messages.Message` that names the field, the value and the
reason. Verifiers raise instead of returning booleans (as ``pyca/cryptography`` does), so a caller
cannot forget to look at the result.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ledger.messages import N_, Message

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


class EntryTooLargeError(LedgerError):
    code = "entry_too_large"
    status = 413
    template = N_("The entry is {size} bytes; the ledger accepts at most {limit} bytes per entry.")


class NotFoundError(LedgerError):
    code = "not_found"
    status = 404
    template = N_("Not found.")


class ConflictError(LedgerError):
    code = "conflict"
    status = 409
    template = N_("The request conflicts with the current state of the ledger.")


class PrevMismatchError(ConflictError):
    """An ``expect_prev`` did not match the subject's head: someone appended first."""

    code = "prev_mismatch"
    template = N_(
        "Subject {subject}: expected previous entry {expected} but its current head is entry "
        "{head_index} ({head_hash})."
    )


class IdempotencyConflictError(ConflictError):
    code = "idempotency_conflict"
    template = N_(
        "Idempotency key {key!r} of {actor} was already used for entry {index} with different "
        "content."
    )


class BatchError(LedgerError):
    """One line of a batch failed, so nothing of the batch was appended."""

    code = "batch_rejected"
    status = 400
    template = N_("Line {line} was refused, so nothing was appended: {reason}")

    def __init__(self, line: int, cause: LedgerError) -> None:
        self.line = line
        self.cause = cause
        self.status = cause.status  # type: ignore[misc]
        super().__init__(
            line=line, reason=cause.message, errors={line: cause.errors or [cause.message]}
        )


# --- state problems ----------------------------------------------------------------------------


class NotInitialisedError(LedgerError):
    code = "not_initialised"
    status = 503
    template = N_("The ledger is not initialised: run `flask ledger init`.")


class ConfigurationError(LedgerError):
    code = "configuration_error"
    status = 500
    template = N_("The ledger is misconfigured: {detail}")


class OriginMismatchError(ConfigurationError):
    code = "origin_mismatch"
    template = N_(
        "This ledger was initialised with origin {stored!r}, but LEDGER_ORIGIN is {configured!r}. "
        "The origin names the log in every checkpoint and cannot change."
    )


class KeyFileError(ConfigurationError):
    code = "key_file_error"
    template = N_("The log key file {path} cannot be used: {detail}")


class SignerUnavailableError(LedgerError):
    """This process holds no log key (a read-only replica), so it cannot sign."""

    code = "signer_unavailable"
    status = 503
    template = N_(
        "This server holds no log key, so it cannot sign {what}; ask the server that signs the log."
    )


class RewindError(LedgerError):
    """The database is behind (or different from) what the signer already signed."""

    code = "rewind_detected"
    status = 500
    template = N_(
        "Refusing to continue: the log key already signed a checkpoint of size {signed_size} "
        "with root {signed_root}, but {detail}. The database was probably restored from an "
        "older backup or replaced. Restore a backup that contains at least {signed_size} "
        "entries (an export bundle holds every entry), then start again. Never delete {state_file} "
        "to silence this: it is what stops the log from signing a forked history."
    )


# --- verification failures ---------------------------------------------------------------------


class VerificationError(LedgerError):
    """A proof, signature or stored structure failed a check."""

    code = "verification_failed"
    status = 422
    template = N_("Verification failed: {detail}")


class InclusionProofError(VerificationError):
    code = "invalid_inclusion_proof"
    template = N_("Invalid inclusion proof: {detail}")


class ConsistencyProofError(VerificationError):
    code = "invalid_consistency_proof"
    template = N_("Invalid consistency proof: {detail}")


class MalformedNoteError(VerificationError):
    code = "malformed_note"
    template = N_("Malformed signed note: {detail}")


class UnverifiedNoteError(VerificationError):
    code = "unverified_note"
    template = N_("The note carries no valid signature by a trusted key: {detail}")


class InvalidSignatureError(VerificationError):
    code = "invalid_signature"
    template = N_("The signature by {name}+{key_id} does not verify.")


class MalformedCheckpointError(VerificationError):
    code = "malformed_checkpoint"
    template = N_("Malformed checkpoint: {detail}")


class CommitmentMismatchError(VerificationError):
    code = "commitment_mismatch"
    template = N_("Private field {field!r} of entry {index} does not match its commitment.")


class AuditError(VerificationError):
    """The full audit found a problem; ``subject`` says where (entry, checkpoint, subject)."""

    code = "audit_failed"
    template = N_("{where}: {detail}")


# --- who may do what (the domain services) -----------------------------------------------------


class AuthenticationError(LedgerError):
    """No valid credentials: a missing, wrong, expired or revoked password or token."""

    code = "unauthenticated"
    status = 401
    template = N_("Sign in or send a valid API token.")


class ForbiddenError(LedgerError):
    """The caller is known but may not do this; the message says why."""

    code = "forbidden"
    status = 403
    template = N_("You are not allowed to do this.")


class RuleViolationError(LedgerError):
    """The request is well-formed but breaks a rule of the supply chain (custody, quantities,
    food-safety intervals, recalls); nothing was recorded."""

    code = "rule_violation"
    status = 422
    template = N_("The event breaks a rule of the ledger and was not recorded.")


class InsufficientQuantityError(RuleViolationError):
    code = "insufficient_quantity"
    template = N_("Lot {lot} has {available} {unit} available; the event needs {requested} {unit}.")


class FoodSafetyIntervalError(RuleViolationError):
    code = "food_safety_interval"
    template = N_(
        "{subject} cannot be harvested or slaughtered before {safe_from}: {what} (entry {index}) "
        "has a {kind} of {days} days."
    )


class LotBlockedError(RuleViolationError):
    code = "lot_blocked"
    template = N_("Lot {lot} is {status}: {reason}")
