"""Label signatures: what the ``s`` parameter of a QR label proves, and how it is checked.

A label names one serialised unit of a lot: GTIN-14, lot and serial, the GS1 application
identifiers (01), (10) and (21). Its issuing organisation's label key signs exactly::

    hyt-label/v1\\n<log origin>\\n(01)<GTIN-14>(10)<lot>(21)<serial>\\n

in UTF-8, over the AI values as issued (percent-decoded, case-sensitive). The origin binds the
label to one ledger, so a signature cannot be replayed against another deployment. ``s`` is the
unpadded base64url of the key ID (4 bytes, the signed-note rule over the key name
``<origin>/label/<GLN>``) followed by the 64-byte Ed25519 signature.

The signature proves that the key's organisation issued a label with these values; that the
serial was issued at all, by the holder of the lot, is the ledger's part. The server holds
label keys on the organisations' behalf, so whoever
controls the server could sign labels too: the trust list and the ledger entries that register
and revoke each key make that visible, not impossible.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from typing import NamedTuple

from labels.errors import (
    LabelKeyNotValidError,
    LabelKeyRevokedError,
    LabelOutOfScopeError,
    LabelSignatureError,
    MalformedLabelError,
    UnknownLabelKeyError,
)
from ledger.common.messages import N_, Message
from ledger.tlog.errors import InvalidSignatureError
from ledger.tlog.key_registry import ROLE_LABEL, TrustedKey, gtin_in_scope, label_key_name
from ledger.tlog.note import Signer

LABEL_CONTEXT = "hyt-label/v1\n"
KEY_ID_BYTES = 4
SIGNATURE_BYTES = 64
#: base64url without padding of 68 bytes.
ENCODED_SIGNATURE_LENGTH = 91
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class LabelId(NamedTuple):
    """One serialised unit: the AI values exactly as issued."""

    gtin: str
    lot: str
    serial: str

    @property
    def element_string(self) -> str:
        return f"(01){self.gtin}(10){self.lot}(21){self.serial}"


def signed_message(origin: str, label: LabelId) -> bytes:
    return f"{LABEL_CONTEXT}{origin}\n{label.element_string}\n".encode()


def encode_signature(signer_key_id: int, signature: bytes) -> str:
    raw = signer_key_id.to_bytes(KEY_ID_BYTES, "big") + signature
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_signature(encoded: str) -> tuple[int, bytes]:
    """The key ID and signature of an ``s`` value; anything but exactly 68 bytes is refused."""
    if len(encoded) != ENCODED_SIGNATURE_LENGTH or not _BASE64URL.fullmatch(encoded):
        raise MalformedLabelError(
            detail=Message(
                N_("the signature must be {length} base64url characters"),
                length=ENCODED_SIGNATURE_LENGTH,
            )
        )
    try:
        raw = base64.urlsafe_b64decode(encoded + "=")
    except (binascii.Error, ValueError):  # pragma: no cover - the pattern admits only valid text
        raise MalformedLabelError(detail=Message(N_("the signature is not base64url"))) from None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != encoded:
        # Unused low bits in the last character: a second spelling of the same bytes.
        raise MalformedLabelError(detail=Message(N_("the signature is not in canonical base64url")))
    return int.from_bytes(raw[:KEY_ID_BYTES], "big"), raw[KEY_ID_BYTES:]


def sign_label(signer: Signer, origin: str, label: LabelId) -> str:
    """The ``s`` value of a label (Ed25519 is deterministic: the same label, the same value)."""
    signature = signer.private_key.sign(signed_message(origin, label))
    return encode_signature(signer.key_id, signature)


def verify_label_signature(
    origin: str,
    label: LabelId,
    encoded: str,
    keys: Sequence[TrustedKey],
    *,
    issued_at: int | None = None,
    revocation_reasons: dict[str, str] | None = None,
) -> TrustedKey:
    """Check a label's signature against the trust list's label keys; return the key.

    ``issued_at`` is the ledger position of the entry that issued the serial, when the caller
    knows it (the server does; an offline verifier with only the trust list does not): a key
    signs labels issued inside its validity range, and a revoked key's labels before the
    revocation stay valid. Without it, any revoked key fails, since its labels cannot be told
    apart. Raises a :class:`~labels.errors.LabelError`.
    """
    wanted_id, signature = decode_signature(encoded)
    candidates = [
        key
        for key in keys
        if key.role == ROLE_LABEL
        and key.organisation is not None
        and key.verifier.key_id == wanted_id
        and key.verifier.name == label_key_name(origin, key.organisation)
    ]
    if not candidates:
        raise UnknownLabelKeyError(key_id=f"{wanted_id:08x}")
    message = signed_message(origin, label)
    for key in candidates:
        try:
            key.verifier.verify(message, signature)
        except InvalidSignatureError:
            continue
        break
    else:
        raise LabelSignatureError()
    if not gtin_in_scope(label.gtin, key.company_prefixes):
        raise LabelOutOfScopeError(
            organisation=key.organisation,
            prefixes=", ".join(key.company_prefixes) or "-",
            gtin=label.gtin,
        )
    name = f"{key.verifier.name}+{key.verifier.key_id:08x}"
    if key.status == "revoked" and (
        issued_at is None or (key.valid_until is not None and issued_at >= key.valid_until)
    ):
        reason = (revocation_reasons or {}).get(key.verifier.vkey) or "-"
        raise LabelKeyRevokedError(key=name, reason=reason)
    if issued_at is not None and not key.valid_at(issued_at):
        raise LabelKeyNotValidError(key=name, position=issued_at)
    return key
