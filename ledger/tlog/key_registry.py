"""Keys: the log key file, the signer's memory of what it signed, the key registry, the trust list.

* The log's private key is an Ed25519 PKCS#8 file outside the database, encrypted with a
  passphrase from the environment (PBES2: PBKDF2-HMAC-SHA256 and AES-256-CBC, as OpenSSL writes
  it). The passphrase should be a generated secret, not a memorable password.
* Beside it, the signer keeps the last (size, root) it signed. It refuses to sign anything that
  does not extend it, so a database restored from an old backup cannot make the log sign a
  second history (a fork) without anyone noticing.
* Key validity is stated in ledger positions: a log key signs checkpoints of sizes in
  ``[valid_from, valid_until)``. Rotation and revocation are ledger events; the key tables only
  ever gain rows.
* Label keys (role ``label``) belong to one organisation each and sign the QR labels it issues
  (see :mod:`labels.signature`); each is registered with the GS1 company prefixes it may sign
  for. They share the registry and its ledger events with the log key.
* The trust list, a signed note by the current log key, publishes every key with its range, and
  every label key with its organisation and company prefixes. A label key replaced by a newer one
  and revoked later shows both ends: ``retired=`` where the replacement ended it and ``until=``
  where the revocation did.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Connection

from ledger.common.messages import N_, Message
from ledger.tlog.errors import KeyFileError, MalformedNoteError
from ledger.tlog.note import Verifier
from ledger.tlog.tables import KEY_END, KEY_REVOCATION, LOG_KEY

ROLE_LOG = "log"
ROLE_LABEL = "label"
TRUST_LIST_HEADER = "hyt-ledger/trust/v1"


# --- the private key file ------------------------------------------------------------------------


def write_key_file(path: Path, key: Ed25519PrivateKey, passphrase: str | None) -> None:
    """Write a PKCS#8 PEM key readable by its owner only; never overwrite an existing key."""
    encryption: serialization.KeySerializationEncryption
    if passphrase:
        encryption = serialization.BestAvailableEncryption(passphrase.encode())
    else:
        encryption = serialization.NoEncryption()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())


def load_key_file(path: Path, passphrase: str | None, allow_unencrypted: bool) -> Ed25519PrivateKey:
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(path=str(path), detail=Message(N_("the file does not exist"))) from None
    except OSError as error:
        raise KeyFileError(path=str(path), detail=str(error)) from None
    encrypted = b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in pem
    if not encrypted and not allow_unencrypted:
        raise KeyFileError(
            path=str(path),
            detail=Message(
                N_(
                    "it is not encrypted; encrypt it, or set LEDGER_ALLOW_UNENCRYPTED_KEY=1 "
                    "if the file is protected otherwise"
                )
            ),
        )
    if encrypted and not passphrase:
        raise KeyFileError(
            path=str(path),
            detail=Message(N_("it is encrypted and LEDGER_KEY_PASSPHRASE is not set")),
        )
    try:
        key = serialization.load_pem_private_key(
            pem, passphrase.encode() if encrypted and passphrase else None
        )
    except (ValueError, TypeError):
        raise KeyFileError(
            path=str(path),
            detail=Message(N_("it cannot be read: wrong passphrase or not a PKCS#8 key")),
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(path=str(path), detail=Message(N_("it is not an Ed25519 key")))
    return key


def public_key_file(key_file: Path) -> Path:
    """Beside the private key, its verifier key in clear: what an audit pins by default."""
    return key_file.with_name(key_file.name + ".pub")


def write_public_key(key_file: Path, verifier: Verifier) -> None:
    path = public_key_file(key_file)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(verifier.vkey + "\n")
    os.replace(temporary, path)


def read_public_key(key_file: Path) -> Verifier | None:
    try:
        return Verifier.parse(public_key_file(key_file).read_text())
    except FileNotFoundError:
        return None


# --- the signer's memory -------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedHead:
    size: int
    root: bytes


class SignerState:
    """The largest (size, root) this signer has signed, kept in a small JSON file.

    Written after the checkpoint is committed, under an exclusive lock, only ever forwards, and
    atomically (temporary file, fsync, rename), so it may lag but never runs ahead of the log.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> SignedHead | None:
        try:
            data = json.loads(self.path.read_text())
            return SignedHead(int(data["size"]), bytes.fromhex(data["root"]))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as error:
            raise KeyFileError(
                path=str(self.path),
                detail=Message(N_("the signer state is unreadable ({error})"), error=str(error)),
            ) from None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def advance(self, size: int, root: bytes) -> None:
        with self._locked():
            current = self.read()
            if current is not None and current.size >= size:
                return
            payload = json.dumps({"size": size, "root": root.hex()}).encode()
            descriptor, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".state-")
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(payload)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
                raise
            directory = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)


def key_subject(verifier: Verifier) -> str:
    """The subject id of a key in the ledger: its signed-note (name, key ID) pair."""
    return f"key:{verifier.name}+{verifier.key_id:08x}"


# --- the key registry ----------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyRecord:
    row_id: int
    role: str
    verifier: Verifier
    organisation: str | None
    valid_from: int
    valid_until: int | None = None
    revoked: bool = False
    reason: str | None = None
    #: The ledger entry that introduced the key (None for the log's first key).
    entry_idx: int | None = None
    #: The ledger entry that ended the key's validity.
    ended_by: int | None = None
    #: Label keys: the GS1 company prefixes whose GTINs the key may sign.
    company_prefixes: tuple[str, ...] = ()
    #: A retired key revoked later: where its retirement ended it, and the revoking entry.
    retired_until: int | None = None
    revoked_by: int | None = None

    def valid_at(self, position: int) -> bool:
        return self.valid_from <= position and (
            self.valid_until is None or position < self.valid_until
        )

    @property
    def status(self) -> str:
        if self.valid_until is None:
            return "active"
        return "revoked" if self.revoked else "retired"


def load_keys(connection: Connection, role: str | None = None) -> list[KeyRecord]:
    """The registry's keys; a key's range ends at its revocation when one tightened its end."""
    keys, ends, revocations = LOG_KEY, KEY_END, KEY_REVOCATION
    query = (
        sa.select(
            keys.c.id,
            keys.c.role,
            keys.c.name,
            keys.c.public_key,
            keys.c.organisation,
            keys.c.valid_from,
            keys.c.entry_idx,
            keys.c.company_prefixes,
            ends.c.valid_until,
            ends.c.revoked,
            ends.c.reason,
            ends.c.entry_idx.label("ended_by"),
            revocations.c.revoked_from,
            revocations.c.reason.label("revocation_reason"),
            revocations.c.entry_idx.label("revoked_by"),
        )
        .select_from(
            keys.outerjoin(ends, ends.c.key == keys.c.id).outerjoin(
                revocations, revocations.c.key == keys.c.id
            )
        )
        .order_by(keys.c.id)
    )
    if role is not None:
        query = query.where(keys.c.role == role)
    records = []
    for row in connection.execute(query):
        later = row.revoked_by is not None
        records.append(
            KeyRecord(
                row_id=row.id,
                role=row.role,
                verifier=Verifier.from_public_key(row.name, bytes(row.public_key)),
                organisation=row.organisation,
                valid_from=row.valid_from,
                valid_until=row.revoked_from if later else row.valid_until,
                revoked=later or bool(row.revoked),
                reason=row.revocation_reason if later else row.reason,
                entry_idx=row.entry_idx,
                ended_by=row.ended_by,
                company_prefixes=tuple((row.company_prefixes or "").split()),
                retired_until=row.valid_until if later else None,
                revoked_by=row.revoked_by,
            )
        )
    return records


def label_key_name(origin: str, organisation: str) -> str:
    """The signed-note name of an organisation's label key."""
    return f"{origin}/label/{organisation}"


def label_key_path(directory: Path, organisation: str, verifier: Verifier) -> Path:
    """The private key file of an organisation's label key: ``<GLN>-<key ID>.pem``."""
    return directory / f"{organisation}-{verifier.key_id:08x}.pem"


def gtin_in_scope(gtin: str, company_prefixes: Sequence[str]) -> bool:
    """Whether a GTIN-14 lies under one of the company prefixes (after its indicator digit)."""
    return any(gtin[1:].startswith(prefix) for prefix in company_prefixes)


def active_label_key(keys: list[KeyRecord], organisation: str) -> KeyRecord | None:
    """The organisation's label key that signs labels issued from now on, if it has one."""
    return next(
        (
            k
            for k in keys
            if k.role == ROLE_LABEL and k.organisation == organisation and k.valid_until is None
        ),
        None,
    )


def register_key(
    connection: Connection,
    *,
    role: str,
    verifier: Verifier,
    valid_from: int,
    created_at: str,
    entry_idx: int | None = None,
    organisation: str | None = None,
    company_prefixes: tuple[str, ...] = (),
) -> int:
    result = connection.execute(
        sa.insert(LOG_KEY).values(
            role=role,
            name=verifier.name,
            key_id=verifier.key_id,
            public_key=verifier.public_key,
            vkey=verifier.vkey,
            organisation=organisation,
            valid_from=valid_from,
            entry_idx=entry_idx,
            created_at=created_at,
            company_prefixes=" ".join(company_prefixes) or None,
        )
    )
    primary_key = result.inserted_primary_key
    assert primary_key is not None
    return int(primary_key[0])


def end_key(
    connection: Connection,
    *,
    key: KeyRecord,
    valid_until: int,
    revoked: bool,
    reason: str,
    created_at: str,
    entry_idx: int,
) -> None:
    """End ``key`` at ``valid_until``, as the key event at ``entry_idx`` says.

    An active key gets its end: retired, or revoked when it may have leaked. A key already
    retired can only be revoked later, from a position inside the range its retirement left it:
    that is a revocation row beside its end, which stays as it was (the tables only gain rows).
    """
    if key.valid_until is not None:
        table, values = KEY_REVOCATION, {"revoked_from": valid_until}
    else:
        table, values = KEY_END, {"valid_until": valid_until, "revoked": revoked}
    connection.execute(
        sa.insert(table).values(
            key=key.row_id, reason=reason, entry_idx=entry_idx, created_at=created_at, **values
        )
    )


# --- the trust list ------------------------------------------------------------------------------


def trust_list_text(origin: str, records: list[KeyRecord]) -> str:
    """The body of the trust list note: one line per key, ``key=value`` tokens after ``key``."""
    lines = [TRUST_LIST_HEADER, f"origin {origin}"]
    for record in records:
        tokens = [f"role={record.role}", f"from={record.valid_from}"]
        if record.valid_until is not None:
            tokens.append(f"until={record.valid_until}")
        tokens.append(f"status={record.status}")
        if record.retired_until is not None:
            tokens.append(f"retired={record.retired_until}")
        if record.organisation:
            tokens.append(f"org={record.organisation}")
        if record.company_prefixes:
            tokens.append(f"prefixes={','.join(record.company_prefixes)}")
        tokens.append(f"vkey={record.verifier.vkey}")
        lines.append("key " + " ".join(tokens))
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class TrustedKey:
    role: str
    verifier: Verifier
    valid_from: int
    valid_until: int | None
    status: str
    organisation: str | None
    company_prefixes: tuple[str, ...] = ()
    #: Where the key's retirement ended it, when it was revoked after being retired.
    retired_until: int | None = None

    def valid_at(self, position: int) -> bool:
        return self.valid_from <= position and (
            self.valid_until is None or position < self.valid_until
        )


_TOKEN = re.compile(r"([a-z_]+)=(\S+)")


def parse_trust_list(text: str) -> tuple[str, list[TrustedKey]]:
    lines = text.rstrip("\n").split("\n")
    if len(lines) < 2 or lines[0] != TRUST_LIST_HEADER or not lines[1].startswith("origin "):
        raise MalformedNoteError(detail=Message(N_("not a trust list")))
    origin = lines[1][len("origin ") :]
    keys = []
    for line in lines[2:]:
        if not line.startswith("key "):
            continue  # unknown line kinds are for later versions
        tokens = dict(_TOKEN.findall(line[4:]))
        try:
            keys.append(
                TrustedKey(
                    role=tokens["role"],
                    verifier=Verifier.parse(tokens["vkey"]),
                    valid_from=int(tokens["from"]),
                    valid_until=int(tokens["until"]) if "until" in tokens else None,
                    status=tokens.get("status", "active"),
                    organisation=tokens.get("org"),
                    company_prefixes=tuple(filter(None, tokens.get("prefixes", "").split(","))),
                    retired_until=int(tokens["retired"]) if "retired" in tokens else None,
                )
            )
        except (KeyError, ValueError):
            raise MalformedNoteError(
                detail=Message(N_("bad trust list line {line!r}"), line=line)
            ) from None
    return origin, keys
