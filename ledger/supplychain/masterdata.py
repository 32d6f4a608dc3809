"""Master data: organisations, locations, products and farm inputs, mutable and versioned.

Master data is not ledger history: a farm renames itself, a plot is re-measured. Every change is
kept, though: the record's new state goes into the append-only ``master_version`` table with who
changed it, when and why, and the admin audit trail notes the action. Events that depend on
master data (a harvest's origin, the certificates valid that day) copy the facts they rely on
into their entry, so the ledger never depends on today's master data to mean what it meant.

Values arrive validated and normalised by :mod:`schemas.masterdata`; this module checks what
needs the database or the divisions' data: that referenced organisations exist, that a product's
unit fits its kind, and that a place's codes exist in the edition of the divisions it names
(:mod:`ledger.supplychain.places`; new records are of the 2025 edition, a record keeps its edition
unless the change names another). Farm inputs (:mod:`ledger.supplychain.input_products`) are
public product facts: a registration number, active ingredients, the crops a pesticide is
registered for, its pre-harvest interval or withdrawal period.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Table
from sqlalchemy.engine import Connection, Engine

from ledger.common.clock import Clock, SystemClock
from ledger.common.db import write_transaction
from ledger.common.errors import ConflictError, InvalidInputError, NotFoundError
from ledger.common.messages import N_, Message
from ledger.supplychain.accounts import Principal
from ledger.supplychain.errors import ForbiddenError
from ledger.supplychain.places import DIVISIONS_2025, check
from ledger.supplychain.tables import (
    CERTIFICATE,
    INPUT_PRODUCT,
    LOCATION,
    MASTER_VERSION,
    ORGANISATION,
    PRODUCT,
)
from ledger.supplychain.vocabulary import PRODUCT_KINDS
from ledger.tlog.admin_actions import record_admin_action
from ledger.tlog.canonical import utc_timestamp

ORGANISATION_FIELDS = (
    "name",
    "roles",
    "member_of",
    "divisions",
    "province_code",
    "district_code",
    "commune_code",
    "active",
)
LOCATION_FIELDS = (
    "organisation",
    "kind",
    "name",
    "divisions",
    "district_code",
    "commune_code",
    "in_gi_area",
    "area_ha",
    "usable_area_m2",
    "latitude",
    "longitude",
    "clients",
    "crop",
    "active",
)
PRODUCT_FIELDS = (
    "kind",
    "unit",
    "name_vi",
    "name_en",
    "max_harvest_kg_per_ha",
    "max_live_kg_per_head",
    "max_carcass_kg_per_head",
    "active",
)
INPUT_PRODUCT_FIELDS = (
    "category",
    "name",
    "registration_no",
    "active_ingredients",
    "crops",
    "phi_days",
    "withdrawal_days",
    "dose_unit",
    "n_pct",
    "p_pct",
    "k_pct",
    "active",
)


@dataclass(frozen=True)
class _Kind:
    name: str
    table: Table
    key: str
    fields: tuple[str, ...]


ORGANISATIONS = _Kind("organisation", ORGANISATION, "gln", ORGANISATION_FIELDS)
LOCATIONS = _Kind("location", LOCATION, "gln", LOCATION_FIELDS)
PRODUCTS = _Kind("product", PRODUCT, "gtin", PRODUCT_FIELDS)
INPUT_PRODUCTS = _Kind("input_product", INPUT_PRODUCT, "code", INPUT_PRODUCT_FIELDS)
KINDS = {kind.name: kind for kind in (ORGANISATIONS, LOCATIONS, PRODUCTS, INPUT_PRODUCTS)}
KIND_NAMES = {
    "organisation": N_("organisation"),
    "location": N_("location"),
    "product": N_("product"),
    "input_product": N_("input product"),
}
#: Kinds of master data that are product facts, the same for every reader.
_PUBLIC_KINDS = frozenset({"product", "input_product"})


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
    if kind is LOCATIONS:
        stored["clients"] = " ".join(sorted(set(values.get("clients") or ())))
    if kind is INPUT_PRODUCTS:
        stored["crops"] = " ".join(sorted(set(values.get("crops") or ())))
        stored["active_ingredients"] = json.dumps(
            [
                {"name": item["name"], "concentration": item.get("concentration")}
                for item in values.get("active_ingredients") or ()
            ],
            ensure_ascii=False,
            sort_keys=True,
        )
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
    if kind is LOCATIONS:
        record["clients"] = row.clients.split() if row.clients else []
    if kind is INPUT_PRODUCTS:
        record["crops"] = row.crops.split() if row.crops else []
        record["active_ingredients"] = json.loads(row.active_ingredients or "[]")
    record["version"] = row.version
    record["restricted"] = False
    return record


#: What anyone signed in may read of a household and of its plots and houses: enough to know
#: what and where it is (the public log names it by GLN), nothing that names or locates people.
HOUSEHOLD_PUBLIC_FIELDS = {
    "organisation": frozenset(
        {"gln", "roles", "member_of", "divisions", "province_code", "district_code"}
        | {"commune_code", "active", "version", "certificates"}
    ),
    "location": frozenset(
        {"gln", "organisation", "kind", "divisions", "district_code", "commune_code"}
        | {"in_gi_area", "active", "version"}
    ),
}


def is_household(row: Any) -> bool:
    """A household farm: an organisation whose name is a person's (the role ``farm``)."""
    return row is not None and "farm" in (row.roles or "").split()


def reads_household(viewer: Principal | None, household: Any) -> bool:
    """Whether ``viewer`` may read a household's personal data: the household itself, the
    cooperative it belongs to, auditors and administrators."""
    if viewer is None:
        return False
    if viewer.authority:
        return True
    return viewer.organisation is not None and viewer.organisation in (
        household.gln,
        household.member_of,
    )


def restricted(kind_name: str, record: dict[str, Any]) -> dict[str, Any]:
    """The record as others see it: the personal fields blanked (kept as null, so the shape of
    the answer does not change), ``restricted`` true."""
    allowed = HOUSEHOLD_PUBLIC_FIELDS[kind_name]
    shown: dict[str, Any] = {
        name: (value if name in allowed else [] if isinstance(value, list) else None)
        for name, value in record.items()
    }
    shown["restricted"] = True
    return shown


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
        reason: str | None,
        *,
        expected_version: int | None = None,
    ) -> Saved:
        """Create or replace the record ``key``; its previous state stays in its versions.

        A record sent back as it is changes nothing (no new version, no reason needed), so a
        client may send what it read. ``expected_version``, when given, must be the current
        version: a change made meanwhile by someone else is a 409, not silently overwritten.
        """
        if principal.role != "admin":
            raise ForbiddenError(N_("Only administrators change master data."))
        return self._write(principal, kind_name, key, values, reason, expected_version)

    def _write(
        self,
        principal: Principal,
        kind_name: str,
        key: str,
        values: Mapping[str, Any],
        reason: str | None,
        expected_version: int | None,
    ) -> Saved:
        kind = KINDS[kind_name]
        stored = _as_stored(kind, values)
        now = utc_timestamp(self.clock.now())
        with write_transaction(self.engine) as connection:
            key_column = kind.table.c[kind.key]
            current = connection.execute(sa.select(kind.table).where(key_column == key)).first()
            if kind in (ORGANISATIONS, LOCATIONS):
                stored.update(_places(kind, stored, current))
            self._check_references(connection, kind, stored)
            if expected_version is not None and expected_version != (
                current.version if current is not None else 0
            ):
                raise ConflictError(
                    N_(
                        "{key} is at version {current}, not {expected}: someone changed it "
                        "since it was read. Read it again and repeat the change."
                    ),
                    key=key,
                    current=current.version if current is not None else 0,
                    expected=expected_version,
                )
            if current is not None and _unchanged(current, stored):
                return Saved(kind.name, key, current.version, False)
            if not reason:
                raise InvalidInputError(
                    errors={"reason": [Message(N_("Say why the record changes."))]}
                )
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
                    data=json.dumps(_as_version(kind, stored), ensure_ascii=False, sort_keys=True),
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

    def save_clients(
        self, principal: Principal, location_gln: str, clients: Sequence[str], reason: str
    ) -> Saved:
        """Set the organisations that may act at a site: by its owner or an administrator.

        A cold store or packhouse lets its clients record what they do there (store, cool,
        pack); the list is part of the location, so every change is a version with its reason.
        """
        with self.engine.connect() as connection:
            row = location(connection, location_gln)
        if row is None:
            raise NotFoundError(
                N_("There is no {kind} {key}."),
                kind=Message(KIND_NAMES["location"]),
                key=location_gln,
            )
        if principal.role != "admin" and principal.organisation != row.organisation:
            raise ForbiddenError(
                N_("Only the owner of {gln} or an administrator says who may act there."),
                gln=location_gln,
            )
        current = as_record("location", row)
        values = {name: current[name] for name in LOCATION_FIELDS}
        values["clients"] = list(clients)
        return self._write(principal, "location", location_gln, values, reason, row.version)

    def get(
        self, kind_name: str, key: str, viewer: Principal | None = None, *, full: bool = False
    ) -> dict[str, Any]:
        """A record as ``viewer`` may read it (``full`` for the services' own reads)."""
        kind = KINDS[kind_name]
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(kind.table).where(kind.table.c[kind.key] == key)
            ).first()
            if row is None:
                raise NotFoundError(
                    N_("There is no {kind} {key}."), kind=Message(KIND_NAMES[kind_name]), key=key
                )
            [record] = self._as_read(connection, kind_name, [row], viewer, full)
        return record

    def page(
        self,
        kind_name: str,
        *,
        after: str = "",
        limit: int = 100,
        viewer: Principal | None = None,
    ) -> list[dict[str, Any]]:
        """A page of records in key order, starting after the key ``after``."""
        kind = KINDS[kind_name]
        key_column = kind.table.c[kind.key]
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(kind.table).where(key_column > after).order_by(key_column).limit(limit)
            ).all()
            return self._as_read(connection, kind_name, rows, viewer, False)

    def versions(
        self, kind_name: str, key: str, viewer: Principal | None = None
    ) -> list[dict[str, Any]]:
        """Every version of a record; a household's history only for those who may read its
        personal data (every version holds it)."""
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
            household = self._household_of(connection, kind_name, key)
        if household is not None and not reads_household(viewer, household):
            raise ForbiddenError(
                N_(
                    "The history of {key} holds a household's personal data; only the "
                    "household, its cooperative, auditors and administrators read it."
                ),
                key=key,
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

    def _as_read(
        self,
        connection: Connection,
        kind_name: str,
        rows: Sequence[Any],
        viewer: Principal | None,
        full: bool,
    ) -> list[dict[str, Any]]:
        records = [as_record(kind_name, row) for row in rows]
        if kind_name == "organisation":
            held = _certificates_of(connection, [r["gln"] for r in records], rows)
            for record in records:
                record["certificates"] = held.get(record["gln"], [])
        if full or kind_name in _PUBLIC_KINDS:
            return records
        owners: dict[str, Any] = {}
        if kind_name == "organisation":
            owners = {row.gln: row for row in rows}
        else:
            wanted = sorted({row.organisation for row in rows})
            for offset in range(0, len(wanted), 500):
                owners.update(
                    (row.gln, row)
                    for row in connection.execute(
                        sa.select(ORGANISATION).where(
                            ORGANISATION.c.gln.in_(wanted[offset : offset + 500])
                        )
                    )
                )
        shown = []
        for row, record in zip(rows, records, strict=True):
            owner = owners.get(row.gln if kind_name == "organisation" else row.organisation)
            if is_household(owner) and not reads_household(viewer, owner):
                record = restricted(kind_name, record)
            shown.append(record)
        return shown

    @staticmethod
    def _household_of(connection: Connection, kind_name: str, key: str) -> Any:
        """The household a record is about (itself, or the owner of a plot), or None."""
        if kind_name in _PUBLIC_KINDS:
            return None
        gln: str | None = key
        if kind_name == "location":
            gln = connection.execute(
                sa.select(LOCATION.c.organisation).where(LOCATION.c.gln == key)
            ).scalar()
        owner = organisation(connection, gln) if gln else None
        return owner if is_household(owner) else None

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


def _certificates_of(
    connection: Connection, glns: list[str], rows: Sequence[Any]
) -> dict[str, list[dict[str, Any]]]:
    """The certificates each organisation holds, or its cooperative holds for its members."""
    cooperative = {row.gln: row.member_of for row in rows if row.member_of}
    holders = sorted(set(glns) | set(cooperative.values()))
    by_holder: dict[str, list[dict[str, Any]]] = {}
    for offset in range(0, len(holders), 500):
        for row in connection.execute(
            sa.select(CERTIFICATE)
            .where(CERTIFICATE.c.holder.in_(holders[offset : offset + 500]))
            .order_by(CERTIFICATE.c.id)
        ):
            by_holder.setdefault(row.holder, []).append(
                {
                    "id": row.id,
                    "scheme": row.scheme,
                    "number": row.number,
                    "holder": row.holder,
                    "valid_from": row.valid_from,
                    "valid_to": row.valid_to,
                    "revoked_on": row.revoked_on,
                }
            )
    return {
        gln: by_holder.get(gln, []) + by_holder.get(cooperative.get(gln, ""), []) for gln in glns
    }


def _places(kind: _Kind, stored: Mapping[str, Any], current: Any) -> dict[str, Any]:
    """The record's codes checked against its edition of the divisions (a 400 naming the field
    of an unknown or misplaced code), canonical, with the district or area filled in."""
    values = dict(stored)
    if not values.get("divisions"):
        values["divisions"] = current.divisions if current is not None else DIVISIONS_2025
    canonical, errors = check(values, with_province=kind is ORGANISATIONS)
    if errors:
        raise InvalidInputError(errors=errors)
    return canonical


def _as_version(kind: _Kind, stored: Mapping[str, Any]) -> dict[str, Any]:
    """What a version keeps of a record: as stored, but an input product's ingredients as the
    list they are (not JSON inside JSON)."""
    version = dict(stored)
    if kind is INPUT_PRODUCTS:
        version["active_ingredients"] = json.loads(stored["active_ingredients"])
    return version


def _unchanged(current: Any, stored: Mapping[str, Any]) -> bool:
    """Whether a stored row already holds these values (booleans may come back as 0 and 1)."""
    for name, value in stored.items():
        held = getattr(current, name)
        if isinstance(value, bool) or isinstance(held, bool):
            if bool(held) != bool(value):
                return False
        elif (held or None) != (value or None):
            return False
    return True


# --- lookups inside another service's transaction ----------------------------------------------


def organisation(connection: Connection, gln: str) -> Any:
    return connection.execute(sa.select(ORGANISATION).where(ORGANISATION.c.gln == gln)).first()


def location(connection: Connection, gln: str) -> Any:
    return connection.execute(sa.select(LOCATION).where(LOCATION.c.gln == gln)).first()


def product(connection: Connection, gtin: str) -> Any:
    return connection.execute(sa.select(PRODUCT).where(PRODUCT.c.gtin == gtin)).first()


def input_product(connection: Connection, code: str) -> Any:
    return connection.execute(sa.select(INPUT_PRODUCT).where(INPUT_PRODUCT.c.code == code)).first()
