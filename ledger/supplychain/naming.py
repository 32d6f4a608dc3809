"""What a message calls the things it refers to, for one reader.

Errors and warnings carry ids (a GLN, ``plot:…``, ``lot:…``) so that every caller gets the same
facts; a person reads names instead. The names come from master data, under its privacy rule
(:func:`ledger.supplychain.masterdata.reads_household`): a household's name, and the names of its
plots and houses, only for the household, its cooperative, auditors and administrators. A reader
without an account also never sees the name of a plot or a house, as on the public label page.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from ledger.supplychain.accounts import Principal
from ledger.supplychain.journey import PRIVATE_SITES
from ledger.supplychain.masterdata import (
    is_household,
    location,
    organisation,
    product,
    reads_household,
)


@dataclass(frozen=True)
class Party:
    """An organisation or a location (``site``) as the reader may see it. ``name`` is None when
    the reader may not read it: a household's, or a site's (its own, or of a household)."""

    gln: str
    name: str | None
    household: bool
    site: bool = False
    district_code: str | None = None
    commune_code: str | None = None
    #: The edition of the divisions its codes belong to (see :mod:`ledger.supplychain.places`).
    divisions: str | None = None


def party(engine: Engine, gln: str, viewer: Principal | None) -> Party | None:
    """The organisation or location with this GLN (one number space for both), or None."""
    with engine.connect() as connection:
        row = organisation(connection, gln)
        if row is not None:
            private = is_household(row) and not reads_household(viewer, row)
            return Party(gln, None if private else str(row.name), is_household(row))
        site = location(connection, gln)
        if site is None:
            return None
        owner = organisation(connection, site.organisation)
    private = (is_household(owner) and not reads_household(viewer, owner)) or (
        viewer is None and site.kind in PRIVATE_SITES
    )
    return Party(
        gln,
        None if private else str(site.name),
        is_household(owner),
        True,
        site.district_code,
        site.commune_code,
        site.divisions,
    )


def product_names(engine: Engine, gtin: str) -> tuple[str, str] | None:
    """A product's Vietnamese and English names (public, as on every label), or None."""
    with engine.connect() as connection:
        row = product(connection, gtin)
    return None if row is None else (str(row.name_vi), str(row.name_en))
