"""Steps of a season: event requests at plausible times, as a client would send them.

A :class:`Step` is one request to ``POST /api/v1/events`` with the username that sends it. The
:class:`StepWriter` numbers the steps and dates each one so that it never precedes a step about
the same lot; the product builders (:mod:`demo.longan`, :mod:`demo.pink_banana`,
:mod:`demo.hill_chicken`) write through it and return the :class:`Lots` they made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from demo.draws import Draws
from demo.inputs import facts

VIETNAM = timezone(timedelta(hours=7))


@dataclass
class Step:
    """One event request, sent by ``username``. ``refused`` marks a step that must be refused."""

    username: str
    request: dict[str, Any]
    refused: bool = False


@dataclass
class Lots:
    """The lots a builder made, by stage, for the benchmarks and the README walk-through."""

    farm: list[str] = field(default_factory=list)
    retail: list[str] = field(default_factory=list)
    #: Lots whose units carry signed labels.
    labelled: list[str] = field(default_factory=list)


class StepWriter:
    """Writes the steps, each at a plausible time that never precedes what it depends on."""

    def __init__(self, steps: list[Step], now: datetime, draw: Draws) -> None:
        self.steps = steps
        self.now = now
        self.draw = draw
        #: Numbers the steps' idempotency keys and the lot codes, in one sequence.
        self.counter = 0
        #: The time of the latest step that touched each lot: a step about a lot comes after it.
        self.last: dict[str, datetime] = {}

    def moment(self, days_ago: float, hour: int = 7) -> datetime:
        moment = (self.now - timedelta(days=days_ago)).astimezone(VIETNAM)
        return moment.replace(hour=hour, minute=self.draw.integer(0, 60), second=0, microsecond=0)

    def time(self, days_ago: float, hour: int = 7) -> str:
        return self._bounded(self.moment(days_ago, hour)).isoformat(timespec="milliseconds")

    def _bounded(self, moment: datetime) -> datetime:
        latest = (self.now - timedelta(minutes=5)).astimezone(VIETNAM).replace(microsecond=0)
        return min(moment, latest)

    def step(
        self,
        username: str,
        type_: str,
        data: dict[str, Any],
        days_ago: float,
        *,
        hour: int = 7,
        refused: bool = False,
        **extra: Any,
    ) -> Step:
        self.counter += 1
        lots = lots_in(data)
        moment = self.moment(days_ago, hour)
        earlier = [self.last[lot] for lot in lots if lot in self.last]
        if earlier:
            moment = max(moment, max(earlier) + timedelta(minutes=self.draw.integer(5, 40)))
        moment = self._bounded(moment)
        if not refused:
            self.last.update(dict.fromkeys(lots, moment))
        request = {
            "type": type_,
            "event_time": moment.isoformat(timespec="milliseconds"),
            "idempotency_key": f"demo-{self.counter:06d}",
            "data": data,
            **extra,
        }
        step = Step(username, request, refused)
        self.steps.append(step)
        return step

    def code(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter:06d}"


def lots_in(data: dict[str, Any]) -> list[str]:
    """The lots a request names, including one a shipment splits off."""
    lots = [data[k] for k in ("lot", "flock", "input", "output") if isinstance(data.get(k), str)]
    lots += [item["lot"] for k in ("inputs", "outputs") for item in data.get(k) or ()]
    lots += list(data.get("lots") or ())
    if data.get("split_lot") and isinstance(data.get("lot"), str):
        lots.append(f"{data['lot'].rpartition('/')[0]}/{data['split_lot']}")
    return [lot for lot in lots if lot.startswith("lot:")]


def lot(product: str, code: str) -> str:
    return f"lot:{product}/{code}"


def ship(
    w: StepWriter, who: str, lot: str, quantity: str, to: str, days: float, **extra: Any
) -> Step:
    """A shipment as the demo sends most of them: by van over 25 km, measured, with a delivery
    note numbered after the latest step; ``extra`` changes any of that or adds fields."""
    data = {
        "lot": lot,
        "quantity": quantity,
        "receiver": to,
        "vehicle_class": extra.pop("vehicle", "van"),
        "refrigerated": extra.pop("refrigerated", False),
        "distance_km": extra.pop("distance", "25"),
        "transport_document": extra.pop("document", f"PX-{w.counter:06d}"),
        "data_source": "measured",
    }
    hour = extra.pop("hour", 9)
    data.update(extra)
    return w.step(who, "ship", data, days, hour=hour)


def ship_chilled(
    w: StepWriter,
    who: str,
    lot: str,
    quantity: str,
    to: str,
    days: float,
    *,
    distance: str,
    degrees: tuple[float, float],
    **extra: Any,
) -> Step:
    """A shipment by refrigerated truck, its logger reading between ``degrees`` °C."""
    return ship(
        w,
        who,
        lot,
        quantity,
        to,
        days,
        vehicle="refrigerated_truck",
        refrigerated=True,
        distance=distance,
        temperature=w.draw.temperature(*degrees),
        **extra,
    )


def cool(
    w: StepWriter,
    who: str,
    lot: str,
    site: str,
    degrees: tuple[float, float],
    days: float,
    hour: int,
) -> Step:
    """A lot cooled at ``site``, its logger reading between ``degrees`` °C."""
    temperature = w.draw.temperature(*degrees)
    return w.step(
        who, "cooling", {"lot": lot, "site": site, "temperature": temperature}, days, hour=hour
    )


def fertilise(w: StepWriter, farm: str, plot: str, product: str, kg: str, days: float) -> Step:
    """A measured application of the fertiliser ``product`` (an input product's code), with the
    facts the form copies from it: its name and its N, P and K percentages."""
    data = {
        "plot": plot,
        **facts(product, "farm_input.fertiliser"),
        "quantity_kg": kg,
        "data_source": "measured",
    }
    return w.step(farm, "farm_input.fertiliser", data, days)
