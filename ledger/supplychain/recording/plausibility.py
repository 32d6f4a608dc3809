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


def _beyond(
    ctx: RecordingContext, field_name: str, limit: Decimal, template: str, **params: Any
) -> None:
    if ctx.data.get("plausibility_reason"):
        ctx.payload["plausibility_bound"] = {"field": field_name, "bound": format(limit, "f")}
        return
    error = ImplausibleQuantityError(template, **params)
    error.errors = {field_name: [error.message]}
    raise error


def check_harvest(ctx: RecordingContext, plot: Any, product: Any, quantity: Decimal) -> None:
    """At most the product's ``max_harvest_kg_per_ha`` times the plot's area."""
    if not product.max_harvest_kg_per_ha or not plot.area_ha or Decimal(plot.area_ha) <= 0:
        return
    bound = Decimal(product.max_harvest_kg_per_ha)
    area = Decimal(plot.area_ha)
    if quantity <= bound * area:
        return
    _beyond(
        ctx,
        "quantity",
        bound,
        N_(
            "{quantity} kg of lot {lot} from the {area} ha of {plot} is {ratio} kg per ha, more "
            "than the {bound} kg per ha plausible for this product (at most {at_most} kg); check "
            "the quantity, or give plausibility_reason to record it."
        ),
        quantity=quantity,
        lot=ctx.data["lot"],
        area=area,
        plot=f"plot:{plot.gln}",
        ratio=_shown(quantity / area),
        bound=bound,
        at_most=bound * area,
    )


def check_per_head(
    ctx: RecordingContext, field_name: str, bound_text: str | None, per_head: Decimal, lot: str
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
        field_name,
        bound,
        N_(
            "{field}: {value} kg per bird is more than the {bound} kg per bird plausible for "
            "lot {lot}; check the weight, or give plausibility_reason to record it."
        ),
        field=field_name,
        value=_shown(per_head),
        bound=bound,
        lot=lot,
    )
