"""Master data: organisations, locations and products, mutable and versioned.

Master data is not ledger history: a farm renames itself, a plot is re-measured. Every change is
kept, though: the record's new state goes into the append-only ``master_version`` table with who
changed it, when and why, and the admin audit trail notes the action. Events that depend on
master data (a harvest's origin, the certificates valid that day) copy the facts they rely on
into their entry, so the ledger never depends on today's master data to mean what it meant.

Values arrive validated and normalised by :mod:`schemas.masterdata`; this module checks what
needs the database: that referenced organisations exist and that a product's unit fits its kind.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Table
from sqlalchemy.engine import Connection, Engine

from ledger.accounts import Principal, record_admin_action
from ledger.canonical import utc_timestamp
from ledger.clock import Clock, SystemClock
from ledger.db import write_transaction
from ledger.errors import ForbiddenError, InvalidInputError, NotFoundError
from ledger.messages import N_, Message
from ledger.models import LOCATION, MASTER_VERSION, ORGANISATION, PRODUCT
from ledger.vocabulary import PRODUCT_KINDS

ORGANISATION_FIELDS = (
    "name",
    "roles",
    "member_of",
    "province_code",
    "district_code",
    "commune_code",
    "active",
)
LOCATION_FIELDS = (
    "organisation",
    "kind",
    "name",
    "district_code",
    "commune_code",
    "in_gi_area",
    "area_ha",
    "usable_area_m2",
    "latitude",
    "longitude",
    "active",
)
PRODUCT_FIELDS = ("kind", "unit", "name_vi", "name_en", "active")


@dataclass(frozen=True)
class _Kind:
    name: str
    table: Table
    key: str
    fields: tuple[str, ...]


ORGANISATIONS = _Kind("organisation", ORGANISATION, "gln", ORGANISATION_FIELDS)
LOCATIONS = _Kind("location", LOCATION, "gln", LOCATION_FIELDS)
PRODUCTS = _Kind("product", PRODUCT, "gtin", PRODUCT_FIELDS)
KINDS = {kind.name: kind for kind in (ORGANISATIONS, LOCATIONS, PRODUCTS)}
KIND_NAMES = {
    "organisation": N_("organisation"),
    "location": N_("location"),
    "product": N_("product"),
}


@dataclass(frozen=True)
class Saved:
    kind: str
    key: str
    version: int
    created: bool


def _as_stored(kind: _Kind, values: Mapping[str, Any]) -> dict[str, Any]:
    stored = {name: values.get(name) for name in kind.fields}
    if kind is ORGANISATIONS:
        stored["roles"] = " ".join(sorted(set(values.get("roles") or ())))
    if stored.get("active") is None:
        stored["active"] = True
    if kind is LOCATIONS and stored.get("in_gi_area") is None:
        stored["in_gi_area"] = False
    return stored


def as_record(kind_name: str, row: Any) -> dict[str, Any]:
    """A master-data row as the API shows it (roles as a list)."""
    kind = KINDS[kind_name]
    record: dict[str, Any] = {kind.key: getattr(row, kind.key)}
    for name in kind.fields:
        record[name] = getattr(row, name)
    if kind is ORGANISATIONS:
        record["roles"] = row.roles.split() if row.roles else []
    record["version"] = row.version
    return record


class MasterData:
    """Writes and reads of master data. Only admins write."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock: Clock = clock or SystemClock()

    def save(
        self,
        principal: Principal,
        kind_name: str,
        key: str,
        values: Mapping[str, Any],
        reason: str,
    ) -> Saved:
        """Create or replace the record ``key``; its previous state stays in its versions."""
        if principal.role != "admin":
            raise ForbiddenError(N_("Only administrators change master data."))
        kind = KINDS[kind_name]
        stored = _as_stored(kind, values)
        now = utc_timestamp(self.clock.now())
        with write_transaction(self.engine) as connection:
            self._check_references(connection, kind, stored)
            key_column = kind.table.c[kind.key]
            current = connection.execute(
                sa.select(kind.table.c.version).where(key_column == key)
            ).first()
            version = 1 if current is None else current.version + 1
            if current is None:
                connection.execute(
                    sa.insert(kind.table).values({kind.key: key, **stored, "version": version})
                )
            else:
                connection.execute(
                    sa.update(kind.table)
                    .where(key_column == key)
                    .values({**stored, "version": version})
                )
            connection.execute(
                sa.insert(MASTER_VERSION).values(
                    kind=kind.name,
                    key=key,
                    version=version,
                    data=json.dumps(stored, ensure_ascii=False, sort_keys=True),
                    changed_by=principal.username,
                    changed_at=now,
                    reason=reason,
                )
            )
            record_admin_action(
                connection,
                now,
                principal.username,
                f"{kind.name}.{'create' if current is None else 'update'}",
                f"{kind.name}:{key}",
                {"version": version, "reason": reason},
            )
        return Saved(kind.name, key, version, current is None)

    def get(self, kind_name: str, key: str) -> dict[str, Any]:
        kind = KINDS[kind_name]
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(kind.table).where(kind.table.c[kind.key] == key)
            ).first()
        if row is None:
            raise NotFoundError(
                N_("There is no {kind} {key}."), kind=Message(KIND_NAMES[kind_name]), key=key
            )
        return as_record(kind_name, row)

    def page(self, kind_name: str, *, after: str = "", limit: int = 100) -> list[dict[str, Any]]:
        """A page of records in key order, starting after the key ``after``."""
        kind = KINDS[kind_name]
        key_column = kind.table.c[kind.key]
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(kind.table).where(key_column > after).order_by(key_column).limit(limit)
            ).all()
        return [as_record(kind_name, row) for row in rows]

    def versions(self, kind_name: str, key: str) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(MASTER_VERSION)
                .where(MASTER_VERSION.c.kind == kind_name, MASTER_VERSION.c.key == key)
                .order_by(MASTER_VERSION.c.version)
            ).all()
        if not rows:
            raise NotFoundError(
                N_("There is no {kind} {key}."), kind=Message(KIND_NAMES[kind_name]), key=key
            )
        return [
            {
                "version": row.version,
                "data": json.loads(row.data),
                "changed_by": row.changed_by,
                "changed_at": row.changed_at,
                "reason": row.reason,
            }
            for row in rows
        ]

    @staticmethod
    def _check_references(connection: Connection, kind: _Kind, stored: dict[str, Any]) -> None:
        errors: dict[str | int, Any] = {}
        if kind is ORGANISATIONS and stored.get("member_of"):
            parent = organisation(connection, stored["member_of"])
            if parent is None or "cooperative" not in parent.roles.split():
                errors["member_of"] = [
                    Message(
                        N_("{gln} is not a cooperative known to the ledger."),
                        gln=stored["member_of"],
                    )
                ]
        if kind is LOCATIONS and organisation(connection, stored["organisation"]) is None:
            errors["organisation"] = [
                Message(N_("There is no organisation with GLN {gln}."), gln=stored["organisation"])
            ]
        if kind is PRODUCTS and PRODUCT_KINDS.get(stored["kind"]) != stored["unit"]:
            errors["unit"] = [
                Message(
                    N_("A {kind} product is counted in {unit}."),
                    kind=stored["kind"],
                    unit=PRODUCT_KINDS.get(stored["kind"], "?"),
                )
            ]
        if errors:
            raise InvalidInputError(errors=errors)


# --- lookups inside another service's transaction ----------------------------------------------


def organisation(connection: Connection, gln: str) -> Any:
    return connection.execute(sa.select(ORGANISATION).where(ORGANISATION.c.gln == gln)).first()


def location(connection: Connection, gln: str) -> Any:
    return connection.execute(sa.select(LOCATION).where(LOCATION.c.gln == gln)).first()


def product(connection: Connection, gtin: str) -> Any:
    return connection.execute(sa.select(PRODUCT).where(PRODUCT.c.gtin == gtin)).first()
