"""Label keys: one Ed25519 key per issuing organisation, held by the server on its behalf.

The private keys are PKCS#8 files in the label key directory (``LEDGER_LABEL_KEY_DIR``, by
default ``label-keys/`` beside the log key), encrypted with the log key's passphrase, one file
per key: ``<GLN>-<key ID>.pem``. Registration, rotation and revocation are ledger events (see
:mod:`ledger.tlog.key_events`), and the trust list publishes every key with its
organisation, validity range and company prefixes.

Threat model, stated plainly: whoever controls the server and its passphrase can sign labels in
any organisation's name. What they cannot do unseen is register a key, issue serials or back-date
either: each is an entry in the append-only log, covered by signed checkpoints that auditors keep.
A revoked key's file is renamed ``….revoked`` (see :func:`ledger.tlog.key_events.end_label_key`)
and never loaded again.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.common.errors import NotFoundError
from ledger.common.messages import N_, Message
from ledger.supplychain.masterdata import MasterData
from ledger.tlog.errors import KeyFileError
from ledger.tlog.key_events import register_label_key
from ledger.tlog.key_registry import (
    KeyRecord,
    label_key_name,
    label_key_path,
    load_key_file,
    write_key_file,
)
from ledger.tlog.log import Log
from ledger.tlog.note import Signer, Verifier
from ledger.tlog.results import Appended


def create_label_key(
    log: Log,
    organisation: str,
    company_prefixes: Sequence[str],
    reason: str,
    *,
    by: str = "cli",
) -> tuple[Appended, Verifier]:
    """Generate a label key for an organisation and register it; it replaces the current one.

    The file is written first and removed if the registration is refused, so a registered key
    always has its file and a refused one leaves none.
    """
    MasterData(log.engine, log.clock).get("organisation", organisation)
    settings = log.settings
    if not settings.key_passphrase and not settings.allow_unencrypted_key:
        raise KeyFileError(
            path=str(settings.label_keys_directory),
            detail=Message(
                N_("set LEDGER_KEY_PASSPHRASE: label keys are encrypted like the log key")
            ),
        )
    private_key = Ed25519PrivateKey.generate()
    signer = Signer.from_private_key(label_key_name(log.origin, organisation), private_key)
    path = label_key_path(settings.label_keys_directory, organisation, signer.verifier())
    write_key_file(path, private_key, settings.key_passphrase)
    try:
        appended = register_label_key(
            log, organisation, signer.verifier(), company_prefixes, reason, by=by
        )
    except BaseException:
        path.unlink()
        raise
    return appended, signer.verifier()


def label_signer(log: Log, record: KeyRecord) -> Signer:
    """The private key of a registered label key, checked against the registry."""
    if record.organisation is None or record.revoked:
        raise KeyFileError(
            path=record.verifier.vkey, detail=Message(N_("the key is revoked and signs nothing"))
        )
    settings = log.settings
    path = label_key_path(settings.label_keys_directory, record.organisation, record.verifier)
    private_key = load_key_file(path, settings.key_passphrase, settings.allow_unencrypted_key)
    signer = Signer.from_private_key(record.verifier.name, private_key)
    if signer.verifier() != record.verifier:
        raise KeyFileError(
            path=str(path), detail=Message(N_("it does not hold the registered label key"))
        )
    return signer


def active_label_signer(log: Log, organisation: str) -> tuple[Signer, KeyRecord]:
    """The key that signs the organisation's labels issued from now on."""
    record = log.active_label_key(organisation)
    if record is None:
        raise NotFoundError(
            N_(
                "Organisation {organisation} has no label key; an administrator creates one with "
                "`flask labels keys create`."
            ),
            organisation=organisation,
        )
    return label_signer(log, record), record
