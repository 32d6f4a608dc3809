"""Key events: the ledger's own entries that rotate its log key and register or end label keys.

Each is one operation — replace a key — in one transaction under the append lock: the entry
that states the change, the registry rows it describes (the old key's end, the new key's row),
and the admin audit row naming who asked for it. Either all of it is committed or none of it, so
the registry never holds a key the log does not introduce (the audit checks exactly that).

Positions: the event appended at index ``i`` makes a new key valid from ``i + 1``. A retired label
key stays valid for what was issued before (up to ``i + 1``); the old log key co-signs the
checkpoint of size ``i + 1`` as a handover, so its validity ends at ``i + 2``. A revoked key ends
where the revocation says, inside the range it had.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from ledger.common.errors import ConflictError, InvalidInputError, NotFoundError
from ledger.common.messages import N_, Message
from ledger.tlog.admin_actions import record_admin_action
from ledger.tlog.envelope import LEDGER_ACTOR, NewEvent, SubjectRef
from ledger.tlog.errors import KeyFileError
from ledger.tlog.key_registry import (
    ROLE_LABEL,
    ROLE_LOG,
    KeyRecord,
    active_label_key,
    end_key,
    key_subject,
    label_key_name,
    label_key_path,
    load_keys,
    register_key,
)
from ledger.tlog.log import Log, LogTransaction
from ledger.tlog.note import Signer, Verifier
from ledger.tlog.results import Appended

#: Type of the ledger's own event that records a log key rotation.
KEY_ROTATED = "ledger.log_key_rotated"
#: Types of the ledger's own events that register a label key (new or replacing the
#: organisation's current one) and end one (retired or revoked).
LABEL_KEY_REGISTERED = "ledger.label_key_registered"
LABEL_KEY_ENDED = "ledger.label_key_ended"


@dataclass(frozen=True)
class _Ending:
    """The end of a key: where it stops being valid, and whether it is revoked (compromised).

    A key already retired can only be revoked, from a position inside the range it kept
    (see :func:`~ledger.tlog.key_registry.end_key`)."""

    key: KeyRecord
    valid_until: int
    revoked: bool


@dataclass(frozen=True)
class _Registration:
    """A new key, valid from the position after its event."""

    role: str
    verifier: Verifier
    organisation: str | None = None
    company_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _KeyChange:
    """What one key event writes: its entry, the registry rows and the admin audit row."""

    event_type: str
    subjects: Sequence[SubjectRef]
    payload: dict[str, Any]
    reason: str
    action: str
    target: str
    detail: dict[str, Any]
    ending: _Ending | None = None
    registration: _Registration | None = None


def rotate_log_key(
    log: Log,
    new_signer: Signer,
    reason: str,
    revoke_from: int | None = None,
    *,
    by: str = "cli",
) -> Appended:
    """Replace the log key, as a ledger event, from the next position on.

    The rotation entry at index ``i`` makes the new key valid for checkpoints of size
    ``i + 1`` and later. The checkpoint of size ``i + 1`` is signed in the same transaction by
    the new key and, as a handover, by the old one, so whoever pinned the old key can follow
    the log to the new key; the old key's validity ends there. With ``revoke_from`` the old
    key is declared compromised from that position on: it does not co-sign, and checkpoints it
    signed from then on are no longer attested by it.
    """
    signer = log.signer
    if signer is None:
        raise KeyFileError(
            path=str(log.settings.key_file),
            detail=Message(N_("the current log key must be loaded to rotate it")),
        )
    if new_signer.name != log.origin:
        raise ValueError("the new log key must carry the log's origin as its name")
    with log.transaction(sign_when_due=False) as transaction:
        active = [k for k in load_keys(transaction.connection, ROLE_LOG) if k.valid_until is None]
        if len(active) != 1 or active[0].verifier != signer.verifier():
            raise KeyFileError(
                path=str(log.settings.key_file),
                detail=Message(N_("the loaded key is not the ledger's active log key")),
            )
        old = active[0]
        position = transaction.size
        _check_revoke_from(revoke_from, old, position)
        new = new_signer.verifier()
        payload: dict[str, Any] = {
            "old_key": old.verifier.vkey,
            "new_key": new.vkey,
            "new_key_valid_from": position + 1,
            "reason": reason,
        }
        if revoke_from is not None:
            payload["old_key_revoked_from"] = revoke_from
        appended = _record(
            transaction,
            _KeyChange(
                KEY_ROTATED,
                [
                    SubjectRef(key_subject(old.verifier), "input"),
                    SubjectRef(key_subject(new), "output"),
                ],
                payload,
                reason,
                "key.revoke" if revoke_from is not None else "key.rotate",
                key_subject(old.verifier),
                {"new_key": new.vkey, "reason": reason, "revoke_from": revoke_from},
                ending=_Ending(
                    old,
                    position + 2 if revoke_from is None else revoke_from,
                    revoke_from is not None,
                ),
                registration=_Registration(ROLE_LOG, new),
            ),
            by,
        )
        transaction.sign_checkpoint(
            [new_signer] if revoke_from is not None else [new_signer, signer]
        )
    log.signer = new_signer
    return appended


def register_label_key(
    log: Log,
    organisation: str,
    verifier: Verifier,
    company_prefixes: Sequence[str],
    reason: str,
    *,
    by: str = "cli",
) -> Appended:
    """Register an organisation's label key, as a ledger event; it replaces the current one.

    The entry at index ``i`` makes the key valid for labels issued by entries ``i + 1`` and
    later; a replaced key stays valid for the labels issued before (it is retired, not
    revoked). ``company_prefixes`` are the GS1 company prefixes whose GTINs it may sign.
    """
    _check_label_key_name(label_key_name(log.origin, organisation), verifier, organisation)
    prefixes = _company_prefixes(company_prefixes)
    with log.transaction(sign_when_due=False) as transaction:
        keys = load_keys(transaction.connection)
        if any(k.verifier.public_key == verifier.public_key for k in keys):
            raise ConflictError(N_("The key {vkey} is already registered."), vkey=verifier.vkey)
        old = active_label_key(keys, organisation)
        position = transaction.size
        payload: dict[str, Any] = {
            "organisation": organisation,
            "key": verifier.vkey,
            "valid_from": position + 1,
            "company_prefixes": list(prefixes),
            "reason": reason,
        }
        subjects = [SubjectRef(key_subject(verifier), "output")]
        if old is not None:
            payload["replaces"] = old.verifier.vkey
            subjects.insert(0, SubjectRef(key_subject(old.verifier), "input"))
        return _record(
            transaction,
            _KeyChange(
                LABEL_KEY_REGISTERED,
                subjects,
                payload,
                reason,
                "label_key.register",
                key_subject(verifier),
                {"organisation": organisation, "reason": reason},
                ending=None if old is None else _Ending(old, position + 1, revoked=False),
                registration=_Registration(ROLE_LABEL, verifier, organisation, prefixes),
            ),
            by,
        )


def end_label_key(
    log: Log,
    organisation: str,
    reason: str,
    revoke_from: int | None = None,
    *,
    key_id: int | None = None,
    by: str = "cli",
) -> Appended:
    """End one of the organisation's label keys, as a ledger event.

    Without ``revoke_from`` the active key is retired: labels issued before this entry stay
    valid. With it a key is revoked from that ledger position on (its ``valid_from`` revokes
    every label it signed): use it when the private key may have leaked. ``key_id`` picks a
    key other than the active one: a key already replaced by a newer one can still be
    revoked, from a position inside the range its retirement left it.

    A revoked key's file is set aside once the revocation is committed (renamed ``….revoked``,
    not deleted: an investigation may need to know what it signed).
    """
    with log.transaction(sign_when_due=False) as transaction:
        key = _label_key_to_end(transaction.connection, organisation, key_id)
        retired = key.valid_until is not None
        if key.revoked or (retired and revoke_from is None):
            raise ConflictError(
                N_("The label key {vkey} is already {status}."),
                vkey=key.verifier.vkey,
                status=Message(N_("revoked") if key.revoked else N_("retired")),
            )
        position = transaction.size
        _check_revoke_from(
            revoke_from, key, position if key.valid_until is None else key.valid_until
        )
        valid_until = position + 1 if revoke_from is None else revoke_from
        payload: dict[str, Any] = {
            "organisation": organisation,
            "key": key.verifier.vkey,
            "valid_until": valid_until,
            "revoked": revoke_from is not None,
            "reason": reason,
        }
        if retired:
            payload["retired_until"] = key.valid_until
        appended = _record(
            transaction,
            _KeyChange(
                LABEL_KEY_ENDED,
                [SubjectRef(key_subject(key.verifier), "input")],
                payload,
                reason,
                "label_key.revoke" if revoke_from is not None else "label_key.retire",
                key_subject(key.verifier),
                {"organisation": organisation, "reason": reason},
                ending=_Ending(key, valid_until, revoked=revoke_from is not None),
            ),
            by,
        )
    if revoke_from is not None:
        path = label_key_path(log.settings.label_keys_directory, organisation, key.verifier)
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, path.with_name(path.name + ".revoked"))
    return appended


def _record(transaction: LogTransaction, change: _KeyChange, by: str) -> Appended:
    """Append the key event, then write the registry rows and the admin audit row it names."""
    connection = transaction.connection
    now = transaction.log.now()
    event = NewEvent(
        type=change.event_type,
        biz_step="key_management",
        event_time=now,
        actor=LEDGER_ACTOR,
        subjects=tuple(change.subjects),
        payload=change.payload,
    )
    [appended] = transaction.append([event])
    ending = change.ending
    if ending is not None:
        end_key(
            connection,
            key=ending.key,
            valid_until=ending.valid_until,
            revoked=ending.revoked,
            reason=change.reason,
            created_at=now,
            entry_idx=appended.index,
        )
    new = change.registration
    if new is not None:
        register_key(
            connection,
            role=new.role,
            verifier=new.verifier,
            valid_from=appended.index + 1,
            created_at=now,
            entry_idx=appended.index,
            organisation=new.organisation,
            company_prefixes=new.company_prefixes,
        )
    detail = {"entry": appended.index, **change.detail}
    record_admin_action(connection, now, by, change.action, change.target, detail)
    return appended


def _label_key_to_end(connection: Connection, organisation: str, key_id: int | None) -> KeyRecord:
    """The organisation's active label key, or its key ``key_id``."""
    keys = [k for k in load_keys(connection, ROLE_LABEL) if k.organisation == organisation]
    if key_id is None:
        key = active_label_key(keys, organisation)
    else:
        key = next((k for k in keys if k.verifier.key_id == key_id), None)
    if key is None:
        raise NotFoundError(
            N_("Organisation {organisation} has no active label key.")
            if key_id is None
            else N_("Organisation {organisation} has no label key {key_id}."),
            organisation=organisation,
            key_id=f"{key_id or 0:08x}",
        )
    return key


def _check_label_key_name(name: str, verifier: Verifier, organisation: str) -> None:
    if verifier.name != name:
        raise InvalidInputError(
            errors={
                "key": [
                    Message(
                        N_("A label key of {organisation} must be named {name}."),
                        organisation=organisation,
                        name=name,
                    )
                ]
            }
        )


def _company_prefixes(company_prefixes: Sequence[str]) -> tuple[str, ...]:
    """The GS1 company prefixes a label key may sign for: 4 to 12 digits each, at least one."""
    prefixes = tuple(dict.fromkeys(company_prefixes))
    bad = [p for p in prefixes if not (p.isascii() and p.isdigit() and 4 <= len(p) <= 12)]
    if not prefixes or bad:
        raise InvalidInputError(
            errors={
                "company_prefixes": [
                    Message(
                        N_("Give one or more GS1 company prefixes of 4 to 12 digits, not {bad}."),
                        bad=", ".join(bad) or "none",
                    )
                ]
            }
        )
    return prefixes


def _check_revoke_from(revoke_from: int | None, key: KeyRecord, size: int) -> None:
    """A key is revoked from a position inside its range: after its start, not in the future."""
    if revoke_from is not None and not key.valid_from <= revoke_from <= size:
        raise InvalidInputError(
            errors={
                "revoke_from": [
                    Message(N_("Must be between {low} and {high}."), low=key.valid_from, high=size)
                ]
            }
        )
