"""Bringing a ledger to life and opening it: schema, identity, log key, first checkpoint.

``initialise`` is idempotent: on an existing ledger it only checks that the origin, the key file
and the signer's memory still agree with the database, and fails loudly if they do not.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Engine

from ledger.common.clock import Clock, SystemClock
from ledger.common.db import create_engine, migrate, schema_exists, write_transaction
from ledger.common.messages import N_, Message
from ledger.common.settings import LedgerSettings
from ledger.tlog import key_events, merkle
from ledger.tlog.canonical import utc_timestamp
from ledger.tlog.errors import KeyFileError, NotInitialisedError, OriginMismatchError
from ledger.tlog.key_registry import (
    ROLE_LOG,
    load_key_file,
    load_keys,
    read_public_key,
    register_key,
    write_key_file,
    write_public_key,
)
from ledger.tlog.log import Log
from ledger.tlog.note import Signer
from ledger.tlog.tables import LEDGER_META, TREE_HEAD


@dataclass(frozen=True)
class Initialised:
    log: Log
    created_ledger: bool
    created_key: bool


def engine_for(settings: LedgerSettings) -> Engine:
    return create_engine(
        settings.database_url,
        busy_timeout_ms=settings.busy_timeout_ms,
        lock_timeout_ms=settings.lock_timeout_ms,
    )


def pending_key_file(settings: LedgerSettings) -> Path:
    return settings.key_file.with_name(settings.key_file.name + ".new")


def initialise(
    settings: LedgerSettings, clock: Clock | None = None, engine: Engine | None = None
) -> Initialised:
    clock = clock or SystemClock()
    engine = engine or engine_for(settings)
    migrate(engine)
    now = utc_timestamp(clock.now())
    created_ledger = False
    with write_transaction(engine) as connection:
        meta = connection.execute(sa.select(LEDGER_META.c.origin)).first()
        if meta is None:
            connection.execute(
                sa.insert(LEDGER_META).values(
                    id=1, origin=settings.origin, tile_height=settings.tile_height, created_at=now
                )
            )
            connection.execute(
                sa.insert(TREE_HEAD).values(id=1, size=0, root=merkle.EMPTY_ROOT, recorded_at=None)
            )
            created_ledger = True
        elif meta.origin != settings.origin:
            raise OriginMismatchError(stored=meta.origin, configured=settings.origin)
        registered = load_keys(connection, ROLE_LOG)

    created_key = False
    if not settings.key_file.exists():
        if registered:
            raise KeyFileError(
                path=str(settings.key_file),
                detail=Message(
                    N_(
                        "the ledger already has a log key ({vkey}) but its file is missing; "
                        "restore the key file instead of creating a new key"
                    ),
                    vkey=registered[-1].verifier.vkey,
                ),
            )
        if not settings.key_passphrase and not settings.allow_unencrypted_key:
            raise KeyFileError(
                path=str(settings.key_file),
                detail=Message(N_("set LEDGER_KEY_PASSPHRASE so the new log key can be encrypted")),
            )
        write_key_file(settings.key_file, Ed25519PrivateKey.generate(), settings.key_passphrase)
        created_key = True

    signer = load_signer(settings, engine, required=True)
    assert signer is not None
    if not read_public_key(settings.key_file):
        write_public_key(settings.key_file, signer.verifier())
    if not registered:
        with write_transaction(engine) as connection:
            register_key(
                connection,
                role=ROLE_LOG,
                verifier=signer.verifier(),
                valid_from=0,
                created_at=now,
            )
    log = Log(engine, settings, signer=signer, clock=clock)
    log.check_no_rewind()
    log.checkpoint(force=True)  # the first checkpoint (size 0) or the current tree if unsigned
    return Initialised(log, created_ledger, created_key)


def load_signer(settings: LedgerSettings, engine: Engine, *, required: bool) -> Signer | None:
    """The log signer from the key file, checked against the ledger's active log key.

    A rotation that committed but was interrupted before the key files were swapped is finished
    here: the pending key file holds the key the ledger now expects.
    """
    if not settings.key_file.exists() and not required:
        return None
    key = load_key_file(settings.key_file, settings.key_passphrase, settings.allow_unencrypted_key)
    signer = Signer.from_private_key(settings.origin, key)
    with engine.connect() as connection:
        active = [k for k in load_keys(connection, ROLE_LOG) if k.valid_until is None]
    if not active or active[0].verifier == signer.verifier():
        return signer
    pending = pending_key_file(settings)
    if pending.exists():
        new_key = load_key_file(pending, settings.key_passphrase, settings.allow_unencrypted_key)
        new_signer = Signer.from_private_key(settings.origin, new_key)
        if active[0].verifier == new_signer.verifier():
            _swap_key_files(settings, signer)
            return new_signer
    raise KeyFileError(
        path=str(settings.key_file),
        detail=Message(
            N_("it holds key {found} but the ledger's active log key is {expected}"),
            found=signer.verifier().vkey,
            expected=active[0].verifier.vkey,
        ),
    )


def _swap_key_files(settings: LedgerSettings, old: Signer) -> None:
    retired = settings.key_file.with_name(f"{settings.key_file.name}.retired-{old.key_id:08x}")
    os.replace(settings.key_file, retired)
    os.replace(pending_key_file(settings), settings.key_file)
    new_key = load_key_file(
        settings.key_file, settings.key_passphrase, settings.allow_unencrypted_key
    )
    write_public_key(
        settings.key_file, Signer.from_private_key(settings.origin, new_key).verifier()
    )


def open_log(
    settings: LedgerSettings,
    clock: Clock | None = None,
    *,
    engine: Engine | None = None,
    signer_required: bool = False,
    check_rewind: bool = True,
    load_key: bool = True,
) -> Log:
    """Open an initialised ledger; refuse if the database is behind what the key signed.

    ``check_rewind=False`` and ``load_key=False`` are for the audit: it must be able to look at
    such a database and report the rewind itself, and it needs no private key.
    """
    engine = engine or engine_for(settings)
    if not schema_exists(engine):
        raise NotInitialisedError()
    signer = load_signer(settings, engine, required=signer_required) if load_key else None
    log = Log(engine, settings, signer=signer, clock=clock)
    if check_rewind:
        log.check_no_rewind()
    return log


def rotate_log_key(
    settings: LedgerSettings,
    reason: str,
    revoke_from: int | None = None,
    clock: Clock | None = None,
) -> tuple[Log, int]:
    """Generate a new log key, record the rotation in the ledger, then swap the key files.

    The new key is written beside the old one first, so whatever step is interrupted, the next
    start finds a key that matches the database.
    """
    log = open_log(settings, clock, signer_required=True)
    assert log.signer is not None
    old = log.signer
    pending = pending_key_file(settings)
    if pending.exists():
        raise KeyFileError(
            path=str(pending),
            detail=Message(N_("an earlier rotation left this file; inspect it and remove it")),
        )
    new_key = Ed25519PrivateKey.generate()
    write_key_file(pending, new_key, settings.key_passphrase)
    try:
        appended = key_events.rotate_log_key(
            log, Signer.from_private_key(settings.origin, new_key), reason, revoke_from
        )
    except BaseException:
        pending.unlink()
        raise
    _swap_key_files(settings, old)
    return log, appended.index
