"""Verify a label URL end to end.

:func:`verify_label_url` is what anyone can do with the trust list alone: parse the URL and check
the signature. :func:`check_issued_label` is what the server does besides, with the ledger: the
serial was issued for that lot, by the entry that names the signing key, and that key was valid at
the entry's position and belongs to the organisation that held the lot when the entry was
appended (the recording rules let only the holder issue labels).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from labels.digital_link import LabelUrl, parse_label_url
from labels.errors import LabelIssuerError, LabelNotIssuedError, MalformedLabelError
from labels.signature import verify_label_signature
from ledger.common.messages import N_, Message
from ledger.supplychain.label_issues import IssuedLabel, holder_at, issued_label
from ledger.tlog.key_registry import ROLE_LABEL, KeyRecord, TrustedKey
from ledger.tlog.log import Log


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


class CheckedLabel(NamedTuple):
    url: LabelUrl
    key: TrustedKey
    issued: IssuedLabel


def trusted_keys(records: Sequence[KeyRecord]) -> list[TrustedKey]:
    """The registry's keys as a trust list states them."""
    return [
        TrustedKey(
            role=record.role,
            verifier=record.verifier,
            valid_from=record.valid_from,
            valid_until=record.valid_until,
            status=record.status,
            organisation=record.organisation,
            company_prefixes=record.company_prefixes,
            retired_until=record.retired_until,
        )
        for record in records
    ]


_UNREAD: Any = object()


def check_issued_label(
    log: Log,
    url: str,
    *,
    issued: IssuedLabel | None = _UNREAD,
    records: Any = None,
    holder: str | None = _UNREAD,
) -> CheckedLabel:
    """Raise a :class:`~labels.errors.LabelError` unless the URL is a label this ledger issued,
    signed by the key its issuing entry named, of the organisation that held the lot when that
    entry was appended (replayed from the lot's chain:
    :func:`ledger.supplychain.label_issues.holder_at`). ``issued``, ``records`` (the label keys) and
    ``holder`` may be given when the caller has read them already."""
    parsed = parse_label_url(url)
    label = parsed.label
    if issued is _UNREAD:
        with log.engine.connect() as connection:
            issued = issued_label(connection, label.gtin, label.serial)
    if issued is None or issued.issue.lot != f"lot:{label.gtin}/{label.lot}":
        raise LabelNotIssuedError(serial=label.serial, gtin=label.gtin, lot=label.lot)
    if records is None:
        records = log.keys(ROLE_LABEL)
    verified = verify_label_url(
        url,
        log.origin,
        trusted_keys(records),
        issued_at=issued.issue.entry_idx,
        revocation_reasons={r.verifier.vkey: r.reason or "-" for r in records if r.revoked},
    )
    if holder is _UNREAD:
        holder = holder_at(log, issued.issue.lot, issued.issue.entry_idx)
    if (
        verified.key.organisation != issued.issue.issuer
        or verified.key.verifier.vkey != issued.issue.label_key
        or holder != issued.issue.issuer
    ):
        raise LabelIssuerError(
            organisation=verified.key.organisation,
            issuer=issued.issue.issuer,
            index=issued.issue.entry_idx,
        )
    return CheckedLabel(parsed, verified.key, issued)
