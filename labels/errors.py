"""Typed refusals of a label: each names what failed, so a page can say it in plain words.

Every verifier raises one of these instead of returning a boolean. ``verdict`` is the short,
stable name the committed test vectors and the page's JavaScript use for the same outcome.
"""

from __future__ import annotations

from typing import ClassVar

from ledger.common.errors import LedgerError
from ledger.common.messages import N_


class LabelError(LedgerError):
    """The label failed a check."""

    code = "label_invalid"
    status = 422
    verdict: ClassVar[str] = "invalid"
    template = N_("The label could not be verified.")


class MalformedLabelError(LabelError):
    """The URL is not a label of this system: a part is missing, misplaced or badly encoded."""

    code = "label_malformed"
    status = 400
    verdict = "malformed"
    template = N_("The label is malformed: {detail}")


class LabelTooLongError(LabelError):
    """The URL would not fit the QR code every phone reads (version 9, error correction M)."""

    code = "label_too_long"
    verdict = "too_long"
    template = N_(
        "The label URL would be {length} bytes; a label holds at most {limit}. Shorten the {part}."
    )


class UnknownLabelKeyError(LabelError):
    code = "label_unknown_key"
    verdict = "unknown_key"
    template = N_("The label is signed by key {key_id}, which the trust list does not know.")


class LabelSignatureError(LabelError):
    code = "label_bad_signature"
    verdict = "bad_signature"
    template = N_("The label's signature does not match its product, lot and serial.")


class LabelKeyRevokedError(LabelError):
    code = "label_key_revoked"
    verdict = "key_revoked"
    template = N_("The key {key} that signed the label was revoked: {reason}")


class LabelKeyNotValidError(LabelError):
    """The key was not (or no longer) the organisation's label key when the label was issued."""

    code = "label_key_not_valid"
    verdict = "key_not_valid"
    template = N_("The key {key} was not valid at ledger position {position}.")


class LabelOutOfScopeError(LabelError):
    code = "label_out_of_scope"
    verdict = "out_of_scope"
    template = N_(
        "The key of {organisation} may sign GTINs of company prefixes {prefixes}, not {gtin}."
    )


class LabelNotIssuedError(LabelError):
    """No issuing entry allocated this serial of this GTIN to this lot: it was never issued."""

    code = "label_not_issued"
    status = 404
    verdict = "not_issued"
    template = N_("Serial {serial} of GTIN {gtin} was never issued for lot {lot}.")


class LabelIssuerError(LabelError):
    """The signing key is not the one the issuing entry named, or its organisation did not hold
    the lot when that entry was appended."""

    code = "label_wrong_issuer"
    verdict = "wrong_issuer"
    template = N_(
        "The label is signed by {organisation}, but {issuer} issued it, holding the lot at entry "
        "{index}."
    )
