"""Plausibility bounds per product: a quantity beyond them is a typing error until a reason says
otherwise.

A product's master data may bound what one event records of it: the kilograms harvested per
hectare of the plot, the live weight of a bird at a weighing, the carcass weight per bird at a
slaughter. Beyond its bound an event is refused, naming the field, the value and the bound,
unless its data carries ``plausibility_reason``; then it is recorded, with the reason and the
bound it went beyond in its entry. A product without a bound, or a plot without an area, is not
checked. :func:`harvest_limit` and :func:`per_head_limit` say the bound before anything is
sent, so a form can ask for the reason first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ledger.common.messages import N_
from ledger.supplychain.errors import ImplausibleQuantityError
from ledger.supplychain.recording.context import RecordingContext

#: The smallest step a ratio is shown in: a bound is a judgement, not a measurement.
_SHOWN = Decimal("0.01")


def _shown(value: Decimal) -> Decimal:
    """A ratio as a message shows it: to the hundredth at most."""
    exponent = value.as_tuple().exponent
    return value.quantize(_SHOWN) if isinstance(exponent, int) and exponent < -2 else value


def _decimal_of(record: Any, name: str) -> Decimal | None:
    """A decimal of a master-data row, or of a record as the API reads it, if it has one."""
    value = record.get(name) if isinstance(record, Mapping) else getattr(record, name, None)
    return Decimal(value) if value not in (None, "") else None


def harvest_limit(plot: Any, product: Any) -> Decimal | None:
    """The most kilograms one harvest of ``product`` from ``plot`` records without a reason:
    the product's ``max_harvest_kg_per_ha`` times the plot's ``area_ha``; None if either is
    unknown."""
    bound = _decimal_of(product, "max_harvest_kg_per_ha")
    area = _decimal_of(plot, "area_ha")
    if bound is None or area is None or area <= 0:
        return None
    return bound * area


def per_head_limit(product: Any, event_type: str) -> Decimal | None:
    """The most kilograms per bird a weighing (live weight; ``product`` is the flock's) or a
    slaughter (carcass weight; the carcass lot's) records without a reason."""
    name = "max_live_kg_per_head" if event_type == "flock.weighing" else "max_carcass_kg_per_head"
    return _decimal_of(product, name)


@dataclass(frozen=True)
class Checked:
    """Where the checked value is: the field an error names (``changes.quantity`` in a
    correction), the lot it counts, and whether a reason was given with it."""

    field: str
    lot: str
    reason: bool


def in_event(ctx: RecordingContext, field_name: str, lot: str) -> Checked:
    """The value of the event's own ``field_name``, with the event's reason."""
    return Checked(field_name, lot, bool(ctx.data.get("plausibility_reason")))


def _beyond(
    ctx: RecordingContext, checked: Checked, limit: Decimal, template: str, **params: Any
) -> None:
    if checked.reason:
        ctx.payload["plausibility_bound"] = {"field": checked.field, "bound": format(limit, "f")}
        return
    error = ImplausibleQuantityError(template, **params)
    error.errors = {checked.field: [error.message]}
    raise error


def check_harvest(
    ctx: RecordingContext, plot: Any, product: Any, quantity: Decimal, checked: Checked
) -> None:
    """At most :func:`harvest_limit`."""
    limit = harvest_limit(plot, product)
    if limit is None or quantity <= limit:
        return
    bound = Decimal(product.max_harvest_kg_per_ha)
    area = Decimal(plot.area_ha)
    _beyond(
        ctx,
        checked,
        bound,
        N_(
            "{quantity} kg of lot {lot} from the {area} ha of {plot} is {ratio} kg per ha, more "
            "than the {bound} kg per ha plausible for this product (at most {at_most} kg); check "
            "the quantity, or give the reason it is right to record it anyway."
        ),
        quantity=quantity,
        lot=checked.lot,
        area=area,
        plot=f"plot:{plot.gln}",
        ratio=_shown(quantity / area),
        bound=bound,
        at_most=limit,
    )


def check_per_head(
    ctx: RecordingContext, event_type: str, product: Any, per_head: Decimal, checked: Checked
) -> None:
    """A weighing's mean live weight, a slaughter's carcass weight per bird, at most
    :func:`per_head_limit`."""
    bound = per_head_limit(product, event_type)
    if bound is None or per_head <= bound:
        return
    _beyond(
        ctx,
        checked,
        bound,
        N_(
            "{field}: {value} kg per bird is more than the {bound} kg per bird plausible for "
            "lot {lot}; check the weight, or give the reason it is right to record it anyway."
        ),
        field=checked.field,
        value=_shown(per_head),
        bound=bound,
        lot=checked.lot,
    )
