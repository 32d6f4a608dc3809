"""Farm inputs as the forms list them and as the recorder checks an event against them.

An input product (master data of the kind ``input_product``, written through
:class:`~ledger.supplychain.masterdata.MasterData`) is a pesticide, fertiliser, veterinary drug,
vaccine or feed with the facts its registration gives: the active ingredients and their
concentration, the crops a pesticide is registered for, its pre-harvest interval or withdrawal
period. A form chooses one and copies :meth:`InputProduct.event_facts` into the event, so the
ledger entry stays self-contained; when the event names the product (``input_product``), the
recorder checks with :func:`disagreements` that what it carries is what the registration says.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledger.common.messages import N_, Message
from ledger.supplychain.tables import INPUT_PRODUCT
from ledger.supplychain.vocabulary import INPUT_CATEGORY_OF_EVENT

#: Names of the categories, for messages and pages.
CATEGORY_NAMES = {
    "pesticide": N_("pesticide"),
    "fertiliser": N_("fertiliser"),
    "veterinary": N_("veterinary drug"),
    "vaccine": N_("vaccine"),
    "feed": N_("feed"),
}


@dataclass(frozen=True)
class ActiveIngredient:
    """An active ingredient and its concentration as the registration writes it (``18 g/l``,
    ``5%``, ``10⁶ EID50/liều``); a feed or fertiliser may give none."""

    name: str
    concentration: str | None = None

    @property
    def label(self) -> str:
        """As an event carries it: ``Abamectin 18 g/l``."""
        return f"{self.name} {self.concentration}" if self.concentration else self.name


@dataclass(frozen=True)
class InputProduct:
    """One input product as master data holds it now."""

    code: str
    category: str
    name: str
    registration_no: str | None
    active_ingredients: tuple[ActiveIngredient, ...]
    #: Product kinds (``fresh_longan``, ``pink_banana``) a pesticide is registered for.
    crops: tuple[str, ...]
    phi_days: int | None
    withdrawal_days: int | None
    dose_unit: str | None
    n_pct: Decimal | None
    p_pct: Decimal | None
    k_pct: Decimal | None
    active: bool
    version: int

    @property
    def ingredient_labels(self) -> list[str]:
        return [ingredient.label for ingredient in self.active_ingredients]

    @property
    def active_substance(self) -> str:
        """The active ingredients in one text, as a vaccination or treatment carries them."""
        return ", ".join(self.ingredient_labels)

    def event_facts(self, event_type: str) -> dict[str, Any]:
        """The fields of ``data`` an event of ``event_type`` copies from this product, as the
        event's schema takes them (the form adds the dose, the plot or flock, who did it).
        Empty for an event type this product's category is not for."""
        if INPUT_CATEGORY_OF_EVENT.get(event_type) != self.category:
            return {}
        facts: dict[str, Any] = {"input_product": self.code}
        if self.category == "pesticide":
            facts.update(
                product=self.name,
                registration_no=self.registration_no,
                active_ingredients=self.ingredient_labels,
                phi_days=self.phi_days or 0,
            )
        elif self.category in ("vaccine", "veterinary"):
            facts.update(
                product=self.name,
                active_substance=self.active_substance,
                withdrawal_days=self.withdrawal_days or 0,
            )
        elif self.category == "fertiliser":
            facts["product"] = self.name
            for name in ("n_pct", "p_pct", "k_pct"):
                value = getattr(self, name)
                if value is not None:
                    facts[name] = format(value, "f")
        else:
            facts["feed_type"] = self.name
        if self.dose_unit and event_type != "flock.feed" and self.category != "fertiliser":
            facts["dose_unit"] = self.dose_unit
        return facts


def _decimal(value: str | None) -> Decimal | None:
    return Decimal(value) if value not in (None, "") else None


def from_row(row: Any) -> InputProduct:
    """An ``input_product`` row, or a record as the API reads and writes it (where absent facts
    may be left out; a record not yet saved is active, at version 0), as an
    :class:`InputProduct`."""
    values: Mapping[str, Any] = row if isinstance(row, Mapping) else row._mapping
    ingredients = values.get("active_ingredients") or []
    if isinstance(ingredients, str):
        ingredients = json.loads(ingredients or "[]")
    crops = values.get("crops") or ()
    if isinstance(crops, str):
        crops = crops.split()
    return InputProduct(
        code=values["code"],
        category=values["category"],
        name=values["name"],
        registration_no=values.get("registration_no"),
        active_ingredients=tuple(
            ActiveIngredient(item["name"], item.get("concentration")) for item in ingredients
        ),
        crops=tuple(crops),
        phi_days=values.get("phi_days"),
        withdrawal_days=values.get("withdrawal_days"),
        dose_unit=values.get("dose_unit"),
        n_pct=_decimal(values.get("n_pct")),
        p_pct=_decimal(values.get("p_pct")),
        k_pct=_decimal(values.get("k_pct")),
        active=bool(values.get("active", True)),
        version=values.get("version", 0),
    )


class InputProducts:
    """The product lists of the forms: which inputs an event may name, for which crop."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def listed(
        self,
        categories: Sequence[str] = (),
        *,
        crop: str | None = None,
        include_inactive: bool = False,
    ) -> list[InputProduct]:
        """Input products of ``categories`` (every category if empty), by name; with ``crop``,
        only pesticides registered for it (other categories are not registered by crop)."""
        query = sa.select(INPUT_PRODUCT).order_by(INPUT_PRODUCT.c.name, INPUT_PRODUCT.c.code)
        if categories:
            query = query.where(INPUT_PRODUCT.c.category.in_(list(categories)))
        if not include_inactive:
            query = query.where(INPUT_PRODUCT.c.active.is_(True))
        with self.engine.connect() as connection:
            products = [from_row(row) for row in connection.execute(query)]
        if crop is not None:
            products = [p for p in products if p.category != "pesticide" or crop in p.crops]
        return products

    def for_event(self, event_type: str, *, crop: str | None = None) -> list[InputProduct]:
        """The active products a form of ``event_type`` offers (a spray's only those registered
        for the plot's ``crop`` when it is given); empty for a type that takes none."""
        category = INPUT_CATEGORY_OF_EVENT.get(event_type)
        if category is None:
            return []
        return self.listed((category,), crop=crop)

    def get(self, code: str) -> InputProduct | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(INPUT_PRODUCT).where(INPUT_PRODUCT.c.code == code)
            ).first()
        return from_row(row) if row is not None else None


# --- what an event carries against what the registration says ---------------------------------


def _same_text(left: Any, right: Any) -> bool:
    """Texts equal but for case, spacing and Unicode form (``18 G/L`` is ``18 g/l``)."""

    def folded(value: Any) -> str:
        return " ".join(unicodedata.normalize("NFC", str(value)).casefold().split())

    return folded(left) == folded(right)


def disagreements(
    product: InputProduct, event_type: str, data: Mapping[str, Any]
) -> dict[str, Message]:
    """The fields of ``data`` that contradict ``product``, each with why: the name, the
    registration, the active ingredients; a pre-harvest interval or withdrawal period shorter
    than the registration's. A longer interval is allowed (it is safer); nutrients and
    optional facts the event leaves out are not contradictions."""
    facts = product.event_facts(event_type)
    found: dict[str, Message] = {}
    for name, expected in facts.items():
        if name in ("input_product", "dose_unit") or name not in data:
            continue
        given = data[name]
        if name in ("phi_days", "withdrawal_days"):
            if int(given) < int(expected):
                found[name] = Message(
                    N_(
                        "{product} has a {kind} of {expected} days; {given} days is shorter "
                        "than its registration allows."
                    ),
                    product=product.name,
                    kind=Message(
                        N_("pre-harvest interval")
                        if name == "phi_days"
                        else N_("withdrawal period")
                    ),
                    expected=int(expected),
                    given=int(given),
                )
        elif name == "active_ingredients":
            if sorted(_folded_all(given)) != sorted(_folded_all(expected)):
                found[name] = _differs(product, name, ", ".join(expected))
        elif name in ("n_pct", "p_pct", "k_pct"):
            if Decimal(given) != Decimal(expected):
                found[name] = _differs(product, name, expected)
        elif not _same_text(given, expected):
            found[name] = _differs(product, name, expected)
    return found


def _folded_all(items: Sequence[str]) -> list[str]:
    return [" ".join(unicodedata.normalize("NFC", item).casefold().split()) for item in items]


def _differs(product: InputProduct, name: str, expected: Any) -> Message:
    return Message(
        N_("Input product {code} gives {field} as {expected}; the event says otherwise."),
        code=product.code,
        field=name,
        expected=str(expected),
    )


def registered_as(connection: sa.Connection, registration_no: str) -> list[InputProduct]:
    """The active input products of a registration number, as a spray that typed its facts
    instead of choosing the product is checked against (a short list: read whole)."""
    rows = connection.execute(
        sa.select(INPUT_PRODUCT).where(
            INPUT_PRODUCT.c.registration_no == registration_no,
            INPUT_PRODUCT.c.active.is_(True),
        )
    ).all()
    return [from_row(row) for row in rows]
