"""A lot's journey as the public page tells it: where it grew, who handled it, how cold it was kept.

Read from the ledgered events of the lot and of every lot it was made from, with the corrections
applied. Only what a shopper may see leaves this module: the cooperative, commune, area (former
district) and GI area of the origin (never a household farm's name, a person or a price), the
business names and sites of the packhouses, carriers' receivers, cold stores and shops, dates,
and temperature summaries. Each step keeps its ledger entry index, so the page can link to the
proof.

Places are given by name in Vietnamese and English (:func:`ledger.supplychain.places.described`): a
commune recorded with the codes before 2025 keeps the name it had, with the 2025 commune it is part
of today.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ledger.supplychain import lots
from ledger.supplychain.places import described
from ledger.supplychain.tables import CERTIFICATE, LOCATION, LOT, LOT_BLOCK, ORGANISATION, RECALL
from ledger.supplychain.trace import trace_back
from ledger.tlog.canonical import envelope_of
from ledger.tlog.log import Log

#: Event types on the journey, and the step each one is. Others (farm inputs, money, checks)
#: stay in the ledger and the trace API.
STEPS = {
    "harvest": "harvest",
    "slaughter": "slaughter",
    "pack": "packing",
    "merge": "packing",
    "transform": "processing",
    "ship": "shipping",
    "receive": "receiving",
    "retail_receive": "in_store",
    "store": "storage",
    "cooling": "cooling",
    "label.issue": "labelling",
    "recall": "recall",
    "recall_lift": "recall_lift",
}
#: Where plants grow and animals are raised: shown by commune and area, never by name.
PRIVATE_SITES = frozenset({"farm_plot", "chicken_house"})
#: Organisation roles whose names are people's (household farms): never shown.
PRIVATE_ROLES = frozenset({"farm"})
MAX_EVENTS_PER_LOT = 200


def _rows(connection: Any, table: Any, key: Any, values: Iterable[str]) -> dict[str, Any]:
    wanted = sorted(set(values))
    if not wanted:
        return {}
    return {
        getattr(row, key.name): row
        for row in connection.execute(sa.select(table).where(key.in_(wanted)))
    }


class _Names:
    """Organisations and locations by GLN, read once per page."""

    def __init__(self, log: Log, organisations: set[str], locations: set[str]) -> None:
        with log.engine.connect() as connection:
            self.locations = _rows(connection, LOCATION, LOCATION.c.gln, locations)
            organisations |= {row.organisation for row in self.locations.values()}
            self.organisations = _rows(connection, ORGANISATION, ORGANISATION.c.gln, organisations)
            members = {row.member_of for row in self.organisations.values() if row.member_of}
            members -= set(self.organisations)
            self.organisations.update(_rows(connection, ORGANISATION, ORGANISATION.c.gln, members))

    def organisation(self, gln: str | None) -> str | None:
        """A business's name; a household farm is named by its cooperative, if any."""
        row = self.organisations.get(gln or "")
        if row is None:
            return None
        if PRIVATE_ROLES & set(row.roles.split()):
            cooperative = self.organisations.get(row.member_of or "")
            return cooperative.name if cooperative is not None else None
        return str(row.name)

    def place(self, gln: str | None) -> dict[str, Any] | None:
        row = self.locations.get(gln or "")
        if row is None:
            return None
        private = row.kind in PRIVATE_SITES
        return {
            "name": None if private else row.name,
            "kind": row.kind,
            "in_gi_area": bool(row.in_gi_area),
            **described(row.divisions, row.commune_code, row.district_code),
        }


def public_name(log: Log, gln: str) -> str | None:
    """An organisation's name as the public page may show it (see :class:`_Names`)."""
    return _Names(log, {gln}, set()).organisation(gln)


def _temperature(payload: dict[str, Any]) -> dict[str, str] | None:
    summary = payload.get("temperature")
    if not isinstance(summary, dict):
        return None
    return {"min": str(summary["min"]), "max": str(summary["max"])}


def _site_of(payload: dict[str, Any]) -> str | None:
    for name in ("site", "plot", "house", "location"):
        if isinstance(payload.get(name), str):
            return str(payload[name])
    return None


def journey(log: Log, lot_id: str) -> dict[str, Any]:
    """The lot's origin, certificates, steps in time order, cold chain legs and recall notices."""
    trace = trace_back(log.engine, lot_id)
    events: dict[int, dict[str, Any]] = {}
    for lot in trace["lots"]:
        for event in lots.events(log, lot["id"], limit=MAX_EVENTS_PER_LOT)["events"]:
            if event["type"] in STEPS:
                events.setdefault(event["index"], {**event, "lot": lot["id"]})
    ordered = sorted(events.values(), key=lambda e: (e["event_time"], e["index"]))
    origin_facts = [facts for origin in trace["origins"] for facts in origin["facts"]]
    organisations = {e["actor"].removeprefix("org:") for e in ordered}
    organisations |= {e["corrected_payload"].get("receiver", "") for e in ordered}
    organisations |= {f.get("cooperative") or "" for f in origin_facts}
    organisations |= {f.get("producer") or "" for f in origin_facts}
    sites = {_site_of(e["corrected_payload"]) or "" for e in ordered}
    sites |= {f.get("plot") or f.get("house") or "" for f in origin_facts}
    names = _Names(log, organisations - {""}, sites - {""})

    steps = []
    for event in ordered:
        payload = event["corrected_payload"]
        step = STEPS[event["type"]]
        steps.append(
            {
                "entry": event["index"],
                "step": payload.get("kind", step) if step == "processing" else step,
                "event_time": event["event_time"],
                "lot": event["lot"],
                "organisation": names.organisation(event["actor"].removeprefix("org:")),
                "place": names.place(_site_of(payload)),
                "receiver": names.organisation(payload.get("receiver")),
                "temperature": _temperature(payload),
                "refrigerated": payload.get("refrigerated"),
                "count": payload.get("count") if step == "labelling" else None,
                #: The hashes the entry commits to; the page shows those made public.
                "photos": list(payload.get("photos") or []),
            }
        )
    origins = _origins(log, origin_facts, names)
    certificates: dict[tuple[str, str], dict[str, Any]] = {}
    for origin in origins:
        for certificate in origin["certificates"]:
            certificates.setdefault((certificate["scheme"], certificate["number"]), certificate)
    return {
        "lot": lot_id,
        "origins": origins,
        #: Every certificate of every origin, once.
        "certificates": list(certificates.values()),
        "steps": steps,
        "legs": _legs(steps),
        "recalls": _recalls(log, lot_id),
        "truncated": trace["truncated"],
    }


def _origins(log: Log, facts: list[dict[str, Any]], names: _Names) -> list[dict[str, Any]]:
    """One origin per cooperative (or producer) and GI status, with every commune and area its
    lots came from, once each, and the certificates valid on the harvest days, once each."""
    certificate_ids = {c for f in facts for c in f.get("certificates") or []}
    with log.engine.connect() as connection:
        certificates = _rows(connection, CERTIFICATE, CERTIFICATE.c.id, certificate_ids)
    bodies = _Names(log, {row.body for row in certificates.values()}, set())
    origins: dict[tuple[Any, ...], dict[str, Any]] = {}
    for fact in facts:
        cooperative = names.organisation(fact.get("cooperative") or fact.get("producer"))
        in_gi_area = bool(fact.get("in_gi_area"))
        origin = origins.setdefault(
            (cooperative, in_gi_area),
            {
                "cooperative": cooperative,
                "in_gi_area": in_gi_area,
                "places": [],
                "areas": [],
                "certificates": [],
            },
        )
        place = described(
            fact.get("divisions"), fact.get("commune_code"), fact.get("district_code")
        )
        if place["commune"] and place not in origin["places"]:
            origin["places"].append(place)
        if place["area"] and place["area"] not in origin["areas"]:
            origin["areas"].append(place["area"])
        for row in (certificates.get(c) for c in fact.get("certificates") or []):
            certificate = row and {
                "scheme": row.scheme,
                "number": row.number,
                "body": bodies.organisation(row.body),
                "valid_from": row.valid_from,
                "valid_to": row.valid_to,
            }
            if certificate and certificate not in origin["certificates"]:
                origin["certificates"].append(certificate)
    return list(origins.values())


def _legs(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each shipment with its arrival: who sent it to whom, when, and the coldest and warmest
    reading either end recorded."""
    legs = []
    for position, step in enumerate(steps):
        if step["step"] != "shipping":
            continue
        arrival = next(
            (
                later
                for later in steps[position + 1 :]
                if later["step"] in ("receiving", "in_store") and later["lot"] == step["lot"]
            ),
            None,
        )
        readings = [s["temperature"] for s in (step, arrival) if s and s["temperature"]]
        legs.append(
            {
                "from": step["organisation"],
                "to": step["receiver"],
                "departed": step["event_time"],
                "arrived": arrival["event_time"] if arrival else None,
                "refrigerated": step["refrigerated"],
                "min": str(min(Decimal(r["min"]) for r in readings)) if readings else None,
                "max": str(max(Decimal(r["max"]) for r in readings)) if readings else None,
            }
        )
    return legs


def _recalls(log: Log, lot_id: str) -> list[dict[str, Any]]:
    """The active recalls that cover this very lot, each with who recalled it and in what
    capacity (an authority, the producer, or a holder withdrawing its own stock), from which
    lot, when, why and what the consumer should do.

    Only recalls that block this lot count: a holder's withdrawal of its own part of a lot, or a
    recall of an ancestor's remainder, does not make the other parts recalled."""
    with log.engine.connect() as connection:
        entries = sorted(
            connection.execute(
                sa.select(LOT_BLOCK.c.entry_idx).where(
                    LOT_BLOCK.c.lot == lot_id,
                    LOT_BLOCK.c.kind == "recall",
                    LOT_BLOCK.c.lifted_entry.is_(None),
                )
            ).scalars()
        )
        if not entries:
            return []
        recalls = {
            row.entry_idx: row
            for row in connection.execute(sa.select(RECALL).where(RECALL.c.entry_idx.in_(entries)))
        }
        roots = sorted({root for row in recalls.values() for root in json.loads(row.lots)})
        creators = {
            row.id: row.creator
            for row in connection.execute(
                sa.select(LOT.c.id, LOT.c.creator).where(LOT.c.id.in_(roots))
            )
        }
    parties = {envelope_of(log.entry(i).data)["actor"].removeprefix("org:") for i in recalls}
    parties |= set(creators.values())
    known = _Names(log, parties - {""}, set())
    notices = []
    for index in entries:
        row = recalls.get(index)
        if row is None:  # pragma: no cover - every recall block has its recall row
            continue
        envelope = envelope_of(log.entry(index).data)
        payload = envelope["payload"]
        from_lots = [
            {
                "lot": root,
                "lot_code": root.partition("/")[2],
                "producer": known.organisation(creators.get(root)),
            }
            for root in json.loads(row.lots)
        ]
        notices.append(
            {
                "entry": index,
                "reason": row.reason,
                "consumer_action": payload.get("consumer_action"),
                #: "authority", "producer" or "holder" (None for recalls recorded before the
                #: ledger said so).
                "capacity": payload.get("capacity"),
                "by": known.organisation(envelope["actor"].removeprefix("org:")),
                "event_time": envelope["event_time"],
                "from_lots": from_lots,
                "this_lot": lot_id in {item["lot"] for item in from_lots},
            }
        )
    return notices
