"""Errors of the transparency log: appends it refused, keys it could not use, and what its
verifiers found.

Verifiers raise instead of returning booleans (as ``pyca/cryptography`` does), so a caller cannot
forget to look at the result.
"""

from __future__ import annotations

from ledger.common.errors import ConfigurationError, ConflictError, LedgerError
from ledger.common.messages import N_


class EntryTooLargeError(LedgerError):
    code = "entry_too_large"
    status = 413
    template = N_("The entry is {size} bytes; the ledger accepts at most {limit} bytes per entry.")


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


class NotInitialisedError(LedgerError):
    code = "not_initialised"
    status = 503
    template = N_("The ledger is not initialised: run `flask ledger init`.")


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
