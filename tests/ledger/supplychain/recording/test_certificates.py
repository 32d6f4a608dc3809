"""Certificates: the products and places they cover."""

from __future__ import annotations

import json

from tests.ledger.supplychain.recording.helpers import (
    lot_row,
)
from tests.world import (
    CERTIFIER,
    CERTIFIER_USER,
    FARM_A,
    World,
)


def test_certificates_count_only_for_their_products(world: World) -> None:
    world.record(
        CERTIFIER_USER,
        "cert.issue",
        {
            "scheme": "organic",
            "number": "ORG-1",
            "body": CERTIFIER,
            "holder": FARM_A,
            "products": ["pink_banana"],
            "valid_from": "2026-01-01",
            "valid_to": "2027-12-31",
        },
    )
    harvested = world.harvest(quantity="10")
    origin = json.loads(lot_row(world, harvested).origin)[0]
    assert "cert:organic/ORG-1" not in origin["certificates"]
