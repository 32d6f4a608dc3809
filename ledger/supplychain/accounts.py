"""People and machines that act on the ledger: accounts, API tokens, and the admin audit trail.

Passwords are hashed with Argon2id (``argon2-cffi``). API tokens are 32 random bytes shown once;
only their SHA-256 is stored, which is enough for a secret with that much entropy and lets a
token be checked with one indexed lookup. A token is scoped to one organisation and one role and
expires; revoking it is immediate. Accounts hold the personal data (a display name); the public
log only ever names organisations.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.engine import Connection, Engine

from ledger.common.clock import Clock, SystemClock
from ledger.common.db import write_transaction
from ledger.common.errors import ConflictError, InvalidInputError, NotFoundError
from ledger.common.messages import N_, Message
from ledger.supplychain.errors import AuthenticationError, ForbiddenError
from ledger.supplychain.tables import ACCOUNT, API_TOKEN, ORGANISATION
from ledger.supplychain.vocabulary import ACCOUNT_ROLES, AUTHORITY_ROLES, ORGANISATION_ACCOUNT_ROLES
from ledger.tlog.admin_actions import record_admin_action
from ledger.tlog.canonical import parse_time, utc_timestamp

TOKEN_PREFIX = "hyt_"  # noqa: S105 - a label, not a secret
MAX_TOKEN_DAYS = 366
MIN_PASSWORD_LENGTH = 10
_HASHER = PasswordHasher()
#: Verified against when the username is unknown, so both failures take the same time.
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class Principal:
    """Who is acting: an account, through a session or a token, for one organisation."""

    account_id: int | None
    username: str
    role: str
    organisation: str | None
    #: The account's session generation when it signed in (see :meth:`Accounts.end_sessions`).
    session_generation: int = 0

    @property
    def authority(self) -> bool:
        """Auditors and administrators act for the authorities: they recall any lot, inspect
        any site and read every record."""
        return self.role in AUTHORITY_ROLES

    @property
    def actor(self) -> str:
        """The organisation as the ledger names it in an envelope."""
        if self.organisation is None:
            raise ForbiddenError(
                N_("Account {username} acts for no organisation, so it cannot record events."),
                username=self.username,
            )
        return f"org:{self.organisation}"

    @property
    def label(self) -> str:
        return f"{self.username} ({self.role})"


@dataclass(frozen=True)
class AccountInfo:
    id: int
    username: str
    role: str
    organisation: str | None
    display_name: str
    active: bool


@dataclass(frozen=True)
class IssuedToken:
    """A new token. ``secret`` is shown once and never stored."""

    id: int
    secret: str
    organisation: str | None
    role: str
    expires_at: str


def token_digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


def _principal(row: Any) -> Principal:
    """The principal of an account row, on its current session generation."""
    return Principal(
        row.id, row.username, row.role, row.organisation, int(row.session_generation or 0)
    )


def _account_info(row: Any) -> AccountInfo:
    return AccountInfo(
        row.id, row.username, row.role, row.organisation, row.display_name, row.active
    )


class Accounts:
    """Creating and checking accounts and tokens; every change leaves an admin audit row."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock: Clock = clock or SystemClock()

    def now(self) -> str:
        return utc_timestamp(self.clock.now())

    # --- accounts ------------------------------------------------------------------------------

    def create_account(
        self,
        *,
        username: str,
        password: str,
        role: str,
        organisation: str | None,
        display_name: str,
        by: str,
    ) -> AccountInfo:
        errors: dict[str | int, Any] = {}
        if role not in ACCOUNT_ROLES:
            errors["role"] = [
                Message(N_("Must be one of: {choices}."), choices=", ".join(ACCOUNT_ROLES))
            ]
        if role in ORGANISATION_ACCOUNT_ROLES and organisation is None:
            errors["organisation"] = [
                Message(N_("A {role} account must belong to an organisation."), role=role)
            ]
        if len(password) < MIN_PASSWORD_LENGTH:
            errors["password"] = [
                Message(N_("Must be at least {limit} characters long."), limit=MIN_PASSWORD_LENGTH)
            ]
        if errors:
            raise InvalidInputError(errors=errors)
        now = self.now()
        with write_transaction(self.engine) as connection:
            if organisation is not None:
                self._require_organisation(connection, organisation)
            taken = connection.execute(
                sa.select(ACCOUNT.c.id).where(ACCOUNT.c.username == username)
            ).first()
            if taken is not None:
                raise ConflictError(N_("The username {username} is taken."), username=username)
            account_id = connection.execute(
                sa.insert(ACCOUNT)
                .values(
                    username=username,
                    password_hash=_HASHER.hash(password),
                    role=role,
                    organisation=organisation,
                    display_name=display_name,
                    active=True,
                    created_at=now,
                    version=1,
                    session_generation=0,
                )
                .returning(ACCOUNT.c.id)
            ).scalar_one()
            record_admin_action(
                connection,
                now,
                by,
                "account.create",
                f"account:{username}",
                {"role": role, "organisation": organisation},
            )
        return AccountInfo(account_id, username, role, organisation, display_name, True)

    def set_active(self, username: str, active: bool, *, by: str) -> None:
        with write_transaction(self.engine) as connection:
            result = connection.execute(
                sa.update(ACCOUNT)
                .where(ACCOUNT.c.username == username)
                .values(
                    active=active,
                    version=ACCOUNT.c.version + 1,
                    # Deactivating ends every session at once, not at their next check only.
                    session_generation=ACCOUNT.c.session_generation + 1,
                )
            )
            if result.rowcount != 1:
                raise NotFoundError(N_("There is no account {username}."), username=username)
            record_admin_action(
                connection,
                self.now(),
                by,
                "account.activate" if active else "account.deactivate",
                f"account:{username}",
                {},
            )

    def account(self, username: str) -> AccountInfo:
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(ACCOUNT).where(ACCOUNT.c.username == username)
            ).first()
        if row is None:
            raise NotFoundError(N_("There is no account {username}."), username=username)
        return _account_info(row)

    def accounts(self) -> list[AccountInfo]:
        """Every account, by username (for the administrators' command line)."""
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(ACCOUNT).order_by(ACCOUNT.c.username)).all()
        return [_account_info(row) for row in rows]

    def authenticate_password(self, username: str, password: str) -> Principal:
        """The account's principal, or :class:`AuthenticationError` (the same for every cause)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(ACCOUNT).where(ACCOUNT.c.username == username)
            ).first()
        stored = row.password_hash if row is not None else _DUMMY_HASH
        try:
            _HASHER.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            raise AuthenticationError(N_("Wrong username or password.")) from None
        if row is None or not row.active:
            raise AuthenticationError(N_("Wrong username or password."))
        return _principal(row)

    def principal_for_session(self, account_id: int, generation: int) -> Principal | None:
        """The principal of a signed-in session; None once the account is deactivated, or its
        sessions were ended (signed out, a new password) since this one was signed in."""
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(ACCOUNT).where(ACCOUNT.c.id == account_id)).first()
        if row is None or not row.active or row.session_generation != generation:
            return None
        return _principal(row)

    def end_sessions(self, account_id: int) -> None:
        """End every session of the account, on every device: the cookies a browser keeps are
        signed, so only the server can tell them apart from current ones."""
        with write_transaction(self.engine) as connection:
            connection.execute(
                sa.update(ACCOUNT)
                .where(ACCOUNT.c.id == account_id)
                .values(session_generation=ACCOUNT.c.session_generation + 1)
            )

    def change_password(self, username: str, current: str, new: str) -> Principal:
        """Set a new password after checking the current one; every session ends, and the
        returned principal (on the new session generation) may sign in again."""
        self.authenticate_password(username, current)
        return self.set_password(username, new, by=username)

    def set_password(self, username: str, password: str, *, by: str) -> Principal:
        """Set the account's password (an administrator's reset, or a change by its owner);
        ends every session of the account."""
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidInputError(
                errors={
                    "new_password": [
                        Message(
                            N_("Must be at least {limit} characters long."),
                            limit=MIN_PASSWORD_LENGTH,
                        )
                    ]
                }
            )
        with write_transaction(self.engine) as connection:
            result = connection.execute(
                sa.update(ACCOUNT)
                .where(ACCOUNT.c.username == username)
                .values(
                    password_hash=_HASHER.hash(password),
                    version=ACCOUNT.c.version + 1,
                    session_generation=ACCOUNT.c.session_generation + 1,
                )
            )
            if result.rowcount != 1:
                raise NotFoundError(N_("There is no account {username}."), username=username)
            record_admin_action(
                connection, self.now(), by, "account.password", f"account:{username}", {}
            )
            row = connection.execute(sa.select(ACCOUNT).where(ACCOUNT.c.username == username)).one()
        return _principal(row)

    # --- tokens --------------------------------------------------------------------------------

    def create_token(self, username: str, *, label: str, days: int = 90, by: str) -> IssuedToken:
        """A token acting as ``username`` for the account's organisation and role."""
        if not 1 <= days <= MAX_TOKEN_DAYS:
            raise InvalidInputError(
                errors={
                    "days": [
                        Message(N_("Must be between {low} and {high}."), low=1, high=MAX_TOKEN_DAYS)
                    ]
                }
            )
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self.clock.now()
        expires_at = utc_timestamp(now + timedelta(days=days))
        with write_transaction(self.engine) as connection:
            account = connection.execute(
                sa.select(ACCOUNT).where(ACCOUNT.c.username == username)
            ).first()
            if account is None:
                raise NotFoundError(N_("There is no account {username}."), username=username)
            token_id = connection.execute(
                sa.insert(API_TOKEN)
                .values(
                    token_hash=token_digest(secret),
                    account=account.id,
                    organisation=account.organisation,
                    role=account.role,
                    label=label,
                    created_at=utc_timestamp(now),
                    expires_at=expires_at,
                    revoked_at=None,
                )
                .returning(API_TOKEN.c.id)
            ).scalar_one()
            record_admin_action(
                connection,
                utc_timestamp(now),
                by,
                "token.create",
                f"token:{token_id}",
                {"account": username, "label": label, "expires_at": expires_at},
            )
        return IssuedToken(token_id, secret, account.organisation, account.role, expires_at)

    def revoke_token(self, token_id: int, *, by: str) -> None:
        now = self.now()
        with write_transaction(self.engine) as connection:
            result = connection.execute(
                sa.update(API_TOKEN)
                .where(API_TOKEN.c.id == token_id, API_TOKEN.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            if result.rowcount != 1:
                raise NotFoundError(N_("There is no active token {id}."), id=token_id)
            record_admin_action(connection, now, by, "token.revoke", f"token:{token_id}", {})

    def authenticate_token(self, secret: str) -> Principal:
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > 128:
            raise AuthenticationError(N_("The API token is not valid."))
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(
                    API_TOKEN.c.role,
                    API_TOKEN.c.organisation,
                    API_TOKEN.c.expires_at,
                    API_TOKEN.c.revoked_at,
                    ACCOUNT.c.id,
                    ACCOUNT.c.username,
                    ACCOUNT.c.active,
                )
                .select_from(API_TOKEN.join(ACCOUNT, ACCOUNT.c.id == API_TOKEN.c.account))
                .where(API_TOKEN.c.token_hash == token_digest(secret))
            ).first()
        if row is None or not row.active:
            raise AuthenticationError(N_("The API token is not valid."))
        if row.revoked_at is not None:
            raise AuthenticationError(N_("The API token was revoked."))
        if parse_time(row.expires_at) <= self.clock.now():
            raise AuthenticationError(
                N_("The API token expired at {at}."), at=parse_time(row.expires_at)
            )
        return Principal(row.id, row.username, row.role, row.organisation)

    @staticmethod
    def _require_organisation(connection: Connection, gln: str) -> None:
        found = connection.execute(
            sa.select(ORGANISATION.c.gln).where(ORGANISATION.c.gln == gln)
        ).first()
        if found is None:
            raise InvalidInputError(
                errors={
                    "organisation": [
                        Message(N_("There is no organisation with GLN {gln}."), gln=gln)
                    ]
                }
            )
