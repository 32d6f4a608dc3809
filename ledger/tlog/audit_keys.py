"""The audit of the key registry: every key after the first is introduced by a key event.

The registry is only a convenience beside the log; these checks hold it to the ledger's own
entries (see :mod:`ledger.tlog.key_events`) and carry trust from the pinned log key forward only
through handover checkpoints the old key co-signed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.common.messages import N_, Message
from ledger.tlog.audit_checks import at_checkpoint, at_entry, fail
from ledger.tlog.audit_streams import as_bytes
from ledger.tlog.canonical import envelope_of
from ledger.tlog.envelope import LEDGER_ACTOR
from ledger.tlog.key_events import KEY_ROTATED, LABEL_KEY_ENDED, LABEL_KEY_REGISTERED
from ledger.tlog.key_registry import KeyRecord
from ledger.tlog.note import Verifier
from ledger.tlog.tables import ENTRY


class KeyChain:
    """The log keys as the registry states them, checked against the ledger's own entries.

    The registry is only a convenience: every key after the first must have been introduced by
    a rotation entry in the log, with the ranges that entry states. Trust is anchored in the
    pinned key and carried forward only through handover checkpoints the old key co-signed.
    """

    def __init__(self, keys: list[KeyRecord], label_keys: list[KeyRecord] | None = None) -> None:
        self.label_keys = LabelKeys(label_keys or [])
        self.keys = sorted(keys, key=lambda k: k.row_id)
        self.latest: tuple[int, frozenset[Verifier]] | None = None
        self._verified_at: dict[int, frozenset[Verifier]] = {}
        if not self.keys or self.keys[0].valid_from != 0 or self.keys[0].entry_idx is not None:
            raise fail(Message(N_("log keys")), N_("the log's first key is not registered"))
        for old, new in zip(self.keys, self.keys[1:], strict=False):
            where = Message(N_("log key {vkey}"), vkey=new.verifier.vkey)
            if new.entry_idx is None or new.valid_from != new.entry_idx + 1:
                raise fail(where, N_("no rotation entry introduces it"))
            expected_end = old.valid_until if old.revoked else new.valid_from + 1
            if (
                old.valid_until is None
                or old.ended_by != new.entry_idx
                or old.valid_until != expected_end
                or (old.revoked and not old.valid_from <= old.valid_until <= new.valid_from)
            ):
                raise fail(where, N_("the registry's ranges disagree with the rotation"))
        if self.keys[-1].valid_until is not None:
            raise fail(Message(N_("log keys")), N_("no log key is active"))
        pairs = list(zip(self.keys, self.keys[1:], strict=False))
        #: rotation entry index -> (old key, new key); every later key has an entry index.
        self.rotations: dict[int, tuple[KeyRecord, KeyRecord]] = {
            new.entry_idx: (old, new) for old, new in pairs if new.entry_idx is not None
        }
        self._successor_from = {old.verifier: new.valid_from for old, new in pairs}

    def valid_at(self, size: int) -> list[Verifier]:
        return [k.verifier for k in self.keys if k.valid_at(size)]

    def revoked_window(self, size: int) -> list[Verifier]:
        """Keys revoked for ``size`` although they signed checkpoints of it before the revocation
        (between the compromise and the rotation)."""
        return [
            k.verifier
            for k in self.keys
            if k.revoked
            and k.valid_until is not None
            and k.valid_until <= size < self._successor_from[k.verifier]
        ]

    def check_own_entry(self, index: int, envelope: dict[str, Any]) -> None:
        """The ledger's own entries are key events; each must match the key registry."""
        if envelope.get("type") in (LABEL_KEY_REGISTERED, LABEL_KEY_ENDED):
            self.label_keys.check(index, envelope)
        else:
            self.check_rotation(index, envelope)

    def check_rotation(self, index: int, envelope: dict[str, Any]) -> None:
        """A rotation entry must state exactly what the registry says about the two keys."""
        where = at_entry(index)
        if envelope.get("type") != KEY_ROTATED or index not in self.rotations:
            raise fail(where, N_("the ledger's own entry is not a key rotation the registry knows"))
        old, new = self.rotations[index]
        payload = envelope.get("payload", {})
        revoked_from = payload.get("old_key_revoked_from")
        if (
            payload.get("old_key") != old.verifier.vkey
            or payload.get("new_key") != new.verifier.vkey
            or payload.get("new_key_valid_from") != new.valid_from
            or (revoked_from is not None) != old.revoked
            or (old.revoked and revoked_from != old.valid_until)
        ):
            raise fail(where, N_("the key rotation disagrees with the key registry"))

    def record(self, size: int, verified: frozenset[Verifier]) -> None:
        self.latest = (size, verified)
        if any(new.valid_from == size for _, new in self.rotations.values()):
            self._verified_at[size] = verified

    def trusted(self, pinned: Sequence[Verifier]) -> set[Verifier]:
        trusted = {v for v in pinned if any(k.verifier == v for k in self.keys)}
        if pinned and not trusted:
            raise fail(
                Message(N_("pinned log key")),
                N_("{vkey} is not a log key of this ledger"),
                vkey=pinned[0].vkey,
            )
        if not pinned:
            trusted = {self.keys[0].verifier}
        for old, new in zip(self.keys, self.keys[1:], strict=False):
            signed = self._verified_at.get(new.valid_from, frozenset())
            if (
                old.verifier in trusted
                and not old.revoked
                and {old.verifier, new.verifier} <= signed
            ):
                trusted.add(new.verifier)
        return trusted

    def latest_size(self) -> int:
        return self.latest[0] if self.latest is not None else 0

    def check_anchor(self, pinned: Sequence[Verifier]) -> None:
        if self.latest is None:
            raise fail(Message(N_("checkpoints")), N_("no checkpoint is stored"))
        for old, new in zip(self.keys, self.keys[1:], strict=False):
            # What a revoked key signed is only believed because a later checkpoint by its
            # successor covers it: the successor's first checkpoint must be there.
            if old.revoked and new.verifier not in self._verified_at.get(new.valid_from, ()):
                raise fail(
                    at_checkpoint(new.valid_from),
                    N_(
                        "the checkpoint that covers the revoked key's last checkpoints is "
                        "missing or not signed by its successor"
                    ),
                )
        trusted = self.trusted(pinned)
        size, signed = self.latest
        if not signed & trusted:
            raise fail(
                at_checkpoint(size),
                N_(
                    "the latest checkpoint is not signed by the pinned log key or by a key it "
                    "handed over to"
                ),
            )


class LabelKeys:
    """The label keys as the registry states them, checked against the entries that registered
    and ended them: a key without its entry, or an entry that disagrees with its key, fails.

    A key may have two ends: its retirement (by its replacement, or on its own) and a later
    revocation that tightens it; each has its entry.
    """

    def __init__(self, keys: list[KeyRecord]) -> None:
        self.keys = keys
        self.by_entry = {k.entry_idx: k for k in keys}
        self.by_end = {k.ended_by: k for k in keys if k.ended_by is not None}
        self.by_revocation = {k.revoked_by: k for k in keys if k.revoked_by is not None}
        if None in self.by_entry or len(self.by_entry) != len(keys):
            raise fail(Message(N_("label keys")), N_("no ledger entry registers it"))
        if len(self.by_end) != sum(1 for k in keys if k.valid_until is not None) or any(
            k.ended_by is None or k.retired_until is None for k in self.by_revocation.values()
        ):
            raise fail(
                Message(N_("label keys")),
                N_("the end of the label key disagrees with the key registry"),
            )
        self.seen: set[int] = set()
        self.ended: set[int] = set()
        self.revoked_later: set[int] = set()

    def check(self, index: int, envelope: dict[str, Any]) -> None:
        where = at_entry(index)
        payload = envelope.get("payload")
        if not isinstance(payload, dict):
            raise fail(where, N_("the stored bytes are not an envelope"))
        if envelope.get("type") == LABEL_KEY_REGISTERED:
            key = self.by_entry.get(index)
            if key is None:
                raise fail(where, N_("the key registry has no label key registered by it"))
            replaced = self.by_end.get(index)
            if (
                payload.get("key") != key.verifier.vkey
                or payload.get("organisation") != key.organisation
                or payload.get("valid_from") != key.valid_from
                or payload.get("valid_from") != index + 1
                or tuple(payload.get("company_prefixes", ())) != key.company_prefixes
                or payload.get("replaces") != (replaced.verifier.vkey if replaced else None)
                or (replaced is not None and _first_end(replaced) != (index + 1, False))
            ):
                raise fail(where, N_("the label key registration disagrees with the key registry"))
            self.seen.add(index)
            if replaced is not None:
                self.ended.add(replaced.row_id)
            return
        later = self.by_revocation.get(index)
        if later is not None:
            self._check_later_revocation(index, payload, later)
            return
        key = self.by_end.get(index)
        if key is None:
            raise fail(where, N_("the end of the label key disagrees with the key registry"))
        valid_until, revoked = _first_end(key)
        if (
            payload.get("key") != key.verifier.vkey
            or payload.get("organisation") != key.organisation
            or payload.get("valid_until") != valid_until
            or payload.get("revoked") != revoked
            or "retired_until" in payload
            or valid_until is None
            # Retired from the next position; revoked from a position inside its range.
            or (not revoked and valid_until != index + 1)
            or (revoked and not key.valid_from <= valid_until <= index)
        ):
            raise fail(where, N_("the end of the label key disagrees with the key registry"))
        self.ended.add(key.row_id)

    def _check_later_revocation(self, index: int, payload: dict[str, Any], key: KeyRecord) -> None:
        """A retired key revoked from a position inside the range its retirement left it."""
        assert key.valid_until is not None
        assert key.retired_until is not None
        if (
            payload.get("key") != key.verifier.vkey
            or payload.get("organisation") != key.organisation
            or payload.get("valid_until") != key.valid_until
            or payload.get("revoked") is not True
            or payload.get("retired_until") != key.retired_until
            or not key.valid_from <= key.valid_until <= key.retired_until
            or key.ended_by is None
            or not key.ended_by < index
        ):
            raise fail(
                at_entry(index), N_("the end of the label key disagrees with the key registry")
            )
        self.revoked_later.add(key.row_id)

    def check_all_seen(self) -> None:
        """Every registered label key was introduced by an entry the audit read."""
        for index, key in self.by_entry.items():
            if index not in self.seen:
                raise fail(
                    Message(N_("label key {vkey}"), vkey=key.verifier.vkey),
                    N_("no ledger entry registers it"),
                )
        for key in self.keys:
            if (key.valid_until is not None and key.row_id not in self.ended) or (
                key.revoked_by is not None and key.row_id not in self.revoked_later
            ):
                raise fail(
                    Message(N_("label key {vkey}"), vkey=key.verifier.vkey),
                    N_("the end of the label key disagrees with the key registry"),
                )


#: The domain's label-issuing entries, which the rows of ``label_issue`` must reproduce.


def _first_end(key: KeyRecord) -> tuple[int | None, bool]:
    """Where the key's first end (``key_end``) put it and whether that end revoked it."""
    if key.revoked_by is not None:
        return key.retired_until, False
    return key.valid_until, key.revoked


def check_rotation_entries(connection: Connection, chain: KeyChain) -> None:
    """Before trusting the registry's keys for any checkpoint, read the entries that introduced
    them (a handful) and check that each is the rotation the registry describes."""
    if not chain.rotations:
        return
    rows = connection.execute(
        sa.select(ENTRY.c.idx, ENTRY.c.data, ENTRY.c.actor).where(
            ENTRY.c.idx.in_(sorted(chain.rotations))
        )
    ).all()
    found = {row.idx: row for row in rows}
    for index in sorted(chain.rotations):
        row = found.get(index)
        if row is None or row.actor != LEDGER_ACTOR:
            raise fail(
                at_entry(index),
                N_("the key registry names it as a key rotation, but it is not one"),
            )
        try:
            envelope = envelope_of(as_bytes(row.data))
        except ValueError:
            raise fail(at_entry(index), N_("the stored bytes are not an envelope")) from None
        chain.check_rotation(index, envelope)
