"""What a field worker's pages read: an organisation's own plots, houses, flocks and lots, the
shipments coming to it, and the parties and products a form may name.

A form offers only what its user may record on (a farmer's own plots, the lots its organisation
holds), so a wrong choice is not even on the list; the recording service still checks every
rule, since a form can be posted by hand. Everything here is a read of master data and of the
custody state, one or two indexed queries per list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledger.supplychain.custody import ACTIVE, IN_TRANSIT, lot_status
from ledger.supplychain.tables import LOCATION, LOT, ORGANISATION, PRODUCT

#: How many lots a list shows: a field page is read on a phone, not paged through.
LIST_LIMIT = 200


@dataclass(frozen=True)
class Site:
    """A location an organisation owns."""

    gln: str
    name: str
    kind: str
    area_ha: str | None


@dataclass(frozen=True)
class LotLine:
    """A lot as a field page lists it."""

    id: str
    gtin: str
    code: str
    product_vi: str
    product_en: str
    kind: str
    unit: str
    quantity: str
    status: str
    holder: str
    source: str | None
    created_utc: str

    def product(self, language: str) -> str:
        return self.product_en if language == "en" else self.product_vi


@dataclass(frozen=True)
class ProductLine:
    gtin: str
    kind: str
    unit: str
    name_vi: str
    name_en: str

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_vi


@dataclass(frozen=True)
class PartyLine:
    gln: str
    name: str
    roles: tuple[str, ...]


class FieldWork:
    """Reads for the field pages of one organisation at a time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def sites(self, organisation: str, kinds: tuple[str, ...] = ()) -> list[Site]:
        """The organisation's active locations (of ``kinds``, if given), by name."""
        statement = (
            sa.select(LOCATION.c.gln, LOCATION.c.name, LOCATION.c.kind, LOCATION.c.area_ha)
            .where(LOCATION.c.organisation == organisation, LOCATION.c.active.is_(True))
            .order_by(LOCATION.c.name, LOCATION.c.gln)
        )
        if kinds:
            statement = statement.where(LOCATION.c.kind.in_(kinds))
        with self.engine.connect() as connection:
            return [Site(*row) for row in connection.execute(statement)]

    def held_lots(
        self, organisation: str, kinds: tuple[str, ...] = (), today: str = ""
    ) -> list[LotLine]:
        """Lots the organisation holds with something left and not shipped, newest first: what
        it may record on now."""
        condition = sa.and_(LOT.c.holder == organisation, LOT.c.status == ACTIVE)
        return self._lots(condition, kinds, today)

    def incoming(self, organisation: str, today: str = "") -> list[LotLine]:
        """Lots shipped to the organisation and not yet received."""
        condition = sa.and_(LOT.c.receiver == organisation, LOT.c.status == IN_TRANSIT)
        return self._lots(condition, (), today)

    def blocked(self, organisation: str, today: str = "") -> list[LotLine]:
        """Lots the organisation holds that are recalled or on hold."""
        condition = sa.and_(
            LOT.c.holder == organisation,
            sa.or_(LOT.c.recall_entry.is_not(None), LOT.c.hold_entry.is_not(None)),
        )
        return self._lots(condition, (), today)

    def lot(self, lot_id: str, today: str = "") -> LotLine | None:
        found = self._lots(LOT.c.id == lot_id, (), today)
        return found[0] if found else None

    def _lots(self, condition: Any, kinds: tuple[str, ...], today: str) -> list[LotLine]:
        statement = (
            sa.select(LOT, PRODUCT.c.name_vi, PRODUCT.c.name_en, PRODUCT.c.kind)
            .select_from(LOT.outerjoin(PRODUCT, PRODUCT.c.gtin == LOT.c.gtin))
            .where(condition)
            .order_by(LOT.c.created_utc.desc(), LOT.c.id)
            .limit(LIST_LIMIT)
        )
        if kinds:
            statement = statement.where(PRODUCT.c.kind.in_(kinds))
        with self.engine.connect() as connection:
            rows = connection.execute(statement).all()
        return [
            LotLine(
                id=row.id,
                gtin=row.gtin,
                code=row.lot_code,
                product_vi=row.name_vi or row.gtin,
                product_en=row.name_en or row.gtin,
                kind=row.kind or "",
                unit=row.unit,
                quantity=row.quantity,
                status=lot_status(row, today or "0000-00-00"),
                holder=row.holder,
                source=row.source,
                created_utc=row.created_utc,
            )
            for row in rows
        ]

    def products(self, kinds: tuple[str, ...]) -> list[ProductLine]:
        """Active products of ``kinds``, by Vietnamese name."""
        statement = (
            sa.select(PRODUCT.c.gtin, PRODUCT.c.kind, PRODUCT.c.unit, PRODUCT.c.name_vi)
            .add_columns(PRODUCT.c.name_en)
            .where(PRODUCT.c.kind.in_(kinds), PRODUCT.c.active.is_(True))
            .order_by(PRODUCT.c.name_vi, PRODUCT.c.gtin)
        )
        with self.engine.connect() as connection:
            return [ProductLine(*row) for row in connection.execute(statement)]

    def parties(self, roles: tuple[str, ...], exclude: str | None = None) -> list[PartyLine]:
        """Active organisations with any of ``roles`` (never households: a farm hands over to
        a slaughterhouse, a packhouse or a trader), by name."""
        statement = (
            sa.select(ORGANISATION.c.gln, ORGANISATION.c.name, ORGANISATION.c.roles)
            .where(ORGANISATION.c.active.is_(True))
            .order_by(ORGANISATION.c.name, ORGANISATION.c.gln)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(statement).all()
        found = []
        for row in rows:
            held = tuple((row.roles or "").split())
            if row.gln != exclude and "farm" not in held and set(held) & set(roles):
                found.append(PartyLine(row.gln, row.name, held))
        return found

    def organisation_name(self, gln: str | None) -> str | None:
        if gln is None:
            return None
        with self.engine.connect() as connection:
            name = connection.execute(
                sa.select(ORGANISATION.c.name).where(ORGANISATION.c.gln == gln)
            ).scalar()
        return None if name is None else str(name)
