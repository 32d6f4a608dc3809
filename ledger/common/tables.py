"""The one SQLAlchemy metadata every table of the ledger registers in, with its naming convention.

The transparency log's tables (:mod:`ledger.tlog.tables`) and the supply chain's
(:mod:`ledger.supplychain.tables`) share it, so one Alembic chain migrates them all.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import (
    BigInteger,
    Integer,
    MetaData,
    Table,
)
from sqlalchemy.orm import DeclarativeBase

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


metadata = Base.metadata


def table_of(model: type[Base]) -> Table:
    """A mapped class's table, typed as the ``Table`` it is, for SQLAlchemy Core statements."""
    return cast(Table, model.__table__)
