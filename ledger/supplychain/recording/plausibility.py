"""Plausibility bounds per product: a quantity beyond them is a typing error until a reason says
otherwise.

A product's master data may bound what one event records of it: the kilograms harvested per
hectare of the plot, the live weight of a bird at a weighing, the carcass weight per bird at a
slaughter. Beyond its bound an event is refused, naming the field, the value and the bound,
unless its data carries ``plausibility_reason``; then it is recorded, with the reason and the
bound it went beyond in its entry. A product without a bound, or a plot without an area, is not
checked.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Checked:
    """Where the checked value is: the field an error names (``changes.quantity`` in a
    correction), the lot it counts, and whether a reason was given with it."""

    field: str
    lot: str
    reason: bool


def _beyond(
    ctx: RecordingContext, checked: Checked, limit: Decimal, template: str, **params: Any
) -> None:
    if checked.reason:
        ctx.payload["plausibility_bound"] = {"field": checked.field, "bound": format(limit, "f")}
        return
    error = ImplausibleQuantityError(template, **params)
    error.errors = {checked.field: [error.message]}
    raise error


def in_event(ctx: RecordingContext, field_name: str, lot: str) -> Checked:
    """The value of the event's own ``field_name``, with the event's reason."""
    return Checked(field_name, lot, bool(ctx.data.get("plausibility_reason")))


def check_harvest(
    ctx: RecordingContext, plot: Any, product: Any, quantity: Decimal, checked: Checked
) -> None:
    """At most the product's ``max_harvest_kg_per_ha`` times the plot's area."""
    if not product.max_harvest_kg_per_ha or not plot.area_ha or Decimal(plot.area_ha) <= 0:
        return
    bound = Decimal(product.max_harvest_kg_per_ha)
    area = Decimal(plot.area_ha)
    if quantity <= bound * area:
        return
    _beyond(
        ctx,
        checked,
        bound,
        N_(
            "{quantity} kg of lot {lot} from the {area} ha of {plot} is {ratio} kg per ha, more "
            "than the {bound} kg per ha plausible for this product (at most {at_most} kg); check "
            "the quantity, or give plausibility_reason to record it."
        ),
        quantity=quantity,
        lot=checked.lot,
        area=area,
        plot=f"plot:{plot.gln}",
        ratio=_shown(quantity / area),
        bound=bound,
        at_most=bound * area,
    )


def check_per_head(
    ctx: RecordingContext, bound_text: str | None, per_head: Decimal, checked: Checked
) -> None:
    """A weighing's mean live weight, a slaughter's carcass weight per bird, at most the bound
    its product gives (``max_live_kg_per_head``, ``max_carcass_kg_per_head``)."""
    if not bound_text:
        return
    bound = Decimal(bound_text)
    if per_head <= bound:
        return
    _beyond(
        ctx,
        checked,
        bound,
        N_(
            "{field}: {value} kg per bird is more than the {bound} kg per bird plausible for "
            "lot {lot}; check the weight, or give plausibility_reason to record it."
        ),
        field=checked.field,
        value=_shown(per_head),
        bound=bound,
        lot=checked.lot,
    )
