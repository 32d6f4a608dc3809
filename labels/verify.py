"""Verify a label URL end to end: parse it, then check its signature against the trust list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from labels.digital_link import LabelUrl, parse_label_url
from labels.errors import MalformedLabelError
from labels.signature import verify_label_signature
from ledger.keys import TrustedKey
from ledger.messages import N_, Message


class VerifiedLabel(NamedTuple):
    url: LabelUrl
    key: TrustedKey


def verify_label_url(
    url: str,
    origin: str,
    keys: Sequence[TrustedKey],
    *,
    issued_at: int | None = None,
    revocation_reasons: dict[str, str] | None = None,
) -> VerifiedLabel:
    """Raise a :class:`~labels.errors.LabelError` unless the URL is a genuine label."""
    parsed = parse_label_url(url)
    if parsed.signature is None:
        raise MalformedLabelError(detail=Message(N_("the label has no signature parameter s")))
    key = verify_label_signature(
        origin,
        parsed.label,
        parsed.signature,
        keys,
        issued_at=issued_at,
        revocation_reasons=revocation_reasons,
    )
    return VerifiedLabel(parsed, key)
