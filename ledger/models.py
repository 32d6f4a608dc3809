"""Tables of the ledger core.

History tables (entries, subject links, checkpoints, keys, the log's identity) are append-only;
the migration installs triggers that refuse UPDATE, DELETE and TRUNCATE on them. The tree head,
the tiles and the subject heads may only grow or move forward. Private values are the one
erasable table: erasure clears a value and its salt and nothing else.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: SQLite only makes ``INTEGER PRIMARY KEY`` an alias of its row id, which keeps dense indexes fast.
Position = BigInteger().with_variant(Integer(), "sqlite")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class LedgerMeta(Base):
    """The log's identity, fixed at init: its origin line and the tile height of its storage."""

    __tablename__ = "ledger_meta"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    origin: Mapped[str] = mapped_column(Text)
    tile_height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[str] = mapped_column(String(32))


class TreeHead(Base):
    """The single row that every append locks: size, root and time of the newest entry."""

    __tablename__ = "tree_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    recorded_at: Mapped[str | None] = mapped_column(String(32))


class Entry(Base):
    """One event: its exact canonical bytes and the columns needed to find it.

    Everything else (type, times, subjects) is read from the bytes, which are what is signed;
    a column that merely repeated them would be one more thing that could disagree.
    """

    __tablename__ = "entry"
    __table_args__ = (
        UniqueConstraint("idempotency_key", "actor"),
        Index("ix_entry_leaf_hash", "leaf_hash"),
    )

    idx: Mapped[int] = mapped_column(Position, primary_key=True, autoincrement=False)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    #: Copied from the envelope for the idempotency constraint; the audit checks the copies.
    actor: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    #: SHA-256 of the client-supplied fields (private values excluded), to recognise repeats.
    request_digest: Mapped[bytes | None] = mapped_column(LargeBinary(32))


class Tile(Base):
    """A tlog-tiles tile: consecutive hashes of one tree level, growing until full."""

    __tablename__ = "tile"

    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hashes: Mapped[bytes] = mapped_column(LargeBinary)


class SubjectLink(Base):
    """Position ``seq`` of a subject's hash chain is entry ``entry_idx``."""

    __tablename__ = "subject_link"
    __table_args__ = (Index("ix_subject_link_entry_idx", "entry_idx"),)

    subject: Mapped[str] = mapped_column(String(256), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    entry_idx: Mapped[int] = mapped_column(BigInteger)
    role: Mapped[str] = mapped_column(String(16))


class SubjectHead(Base):
    """The newest entry of each subject: what the next entry's ``prev`` must name."""

    __tablename__ = "subject_head"

    subject: Mapped[str] = mapped_column(String(256), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    entry_idx: Mapped[int] = mapped_column(BigInteger)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class Checkpoint(Base):
    """Every signed checkpoint; one per size, so the log can never state two roots for a size."""

    __tablename__ = "checkpoint"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[bytes] = mapped_column(LargeBinary)
    signed_at: Mapped[str] = mapped_column(String(32))


class LogKey(Base):
    """A public key the log trusts, with the first ledger position it is valid for."""

    __tablename__ = "log_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(256))
    key_id: Mapped[int] = mapped_column(BigInteger)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    vkey: Mapped[str] = mapped_column(Text, unique=True)
    organisation: Mapped[str | None] = mapped_column(String(64))
    valid_from: Mapped[int] = mapped_column(BigInteger)
    entry_idx: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[str] = mapped_column(String(32))


class KeyEnd(Base):
    """The end of a key's validity: retired by rotation or revoked, from a ledger position on."""

    __tablename__ = "key_end"

    key: Mapped[int] = mapped_column(ForeignKey("log_key.id"), primary_key=True)
    valid_until: Mapped[int] = mapped_column(BigInteger)
    revoked: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    entry_idx: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[str] = mapped_column(String(32))


class PrivateValue(Base):
    """The value and salt behind a private-field commitment; erasable, never rewritten."""

    __tablename__ = "private_value"

    entry_idx: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    salt: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    value: Mapped[bytes | None] = mapped_column(LargeBinary)
    erased_at: Mapped[str | None] = mapped_column(String(32))
    erasure_reason: Mapped[str | None] = mapped_column(Text)


metadata = Base.metadata


def table_of(model: type[Base]) -> Table:
    """A mapped class's table, typed as the ``Table`` it is, for SQLAlchemy Core statements."""
    return cast(Table, model.__table__)


ENTRY = table_of(Entry)
TREE_HEAD = table_of(TreeHead)
TILE = table_of(Tile)
SUBJECT_LINK = table_of(SubjectLink)
SUBJECT_HEAD = table_of(SubjectHead)
CHECKPOINT = table_of(Checkpoint)
LOG_KEY = table_of(LogKey)
KEY_END = table_of(KeyEnd)
PRIVATE_VALUE = table_of(PrivateValue)
LEDGER_META = table_of(LedgerMeta)

#: Tables whose rows may never change or disappear.
APPEND_ONLY_TABLES = ("ledger_meta", "entry", "subject_link", "checkpoint", "log_key", "key_end")
