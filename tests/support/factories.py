"""Factories of realistic envelopes: a longan season in Hưng Yên, in canonical form."""

from __future__ import annotations

import itertools
from typing import Any

from ledger.tlog.envelope import NewEvent, SubjectRef
from schemas.envelope import load_envelope

COOPERATIVE = "org:8930000000019"  # HTX nhãn lồng Hưng Yên (demo GLN, valid check digit)
LONGAN_GTIN = "08930000000019"
PLOT = "plot:8930000000026"
_counter = itertools.count()


def envelope(**overrides: Any) -> dict[str, Any]:
    """A client envelope (JSON-like dict) for a longan harvest; override any field."""
    number = next(_counter)
    data: dict[str, Any] = {
        "type": "harvest",
        "biz_step": "commissioning",
        "event_time": "2026-07-15T06:30:00+07:00",
        "actor": COOPERATIVE,
        "subjects": [
            {"id": f"lot:{LONGAN_GTIN}/NH-{number:05d}", "role": "output"},
            {"id": PLOT, "role": "observed"},
        ],
        "payload": {"quantity": "1250.5", "unit": "kg", "giống": "Nhãn lồng Hưng Yên"},
    }
    data.update(overrides)
    return data


def event(**overrides: Any) -> NewEvent:
    return load_envelope(envelope(**overrides))


def simple_event(subject: str, *, key: str | None = None, note: str = "", **extra: Any) -> NewEvent:
    """A minimal event on one subject, without going through the schema (fast, for bulk tests)."""
    return NewEvent(
        type="observe",
        biz_step="inspecting",
        event_time="2026-07-15T06:30:00.000+07:00",
        actor=COOPERATIVE,
        subjects=(SubjectRef(subject, "observed"),),
        payload={"note": note, **extra},
        idempotency_key=key,
    )
