"""The limits the recording rules hold events to, set in the configuration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class DomainSettings:
    """Plausibility limits of the recording rules; each can be set in the configuration."""

    max_future_seconds: int = 300
    max_late_days: int = 30
    #: Even with a reason, events older than this are refused (a typing error, not a backlog).
    max_backfill_days: int = 3650
    slaughter_kg_per_head: tuple[Decimal, Decimal] = (Decimal("0.9"), Decimal("2.8"))
    drying_yield: tuple[Decimal, Decimal] = (Decimal("0.08"), Decimal("0.30"))
    ripening_yield: tuple[Decimal, Decimal] = (Decimal("0.85"), Decimal("1"))
    #: Labels a lot may have beyond one per unit (torn or misprinted ones), as a fraction.
    label_spare: Decimal = Decimal("0.02")
    #: Refuses (raising a LedgerError) a lot whose labels, up to the given serial, would not fit
    #: the QR code: ``(gtin, lot code, last serial)``. The web app passes the public host's.
    label_fits: Callable[[str, str, int], None] | None = None
