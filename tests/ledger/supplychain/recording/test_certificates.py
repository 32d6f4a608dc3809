"""Certificates: the products and places they cover."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from ledger.common.errors import ConflictError
from ledger.supplychain.errors import RuleViolationError
from ledger.supplychain.tables import CERTIFICATE
from ledger.tlog.errors import BatchError
from tests.ledger.supplychain.recording.helpers import lot_row
from tests.support.world import (
    CERTIFIER,
    CERTIFIER_USER,
    FARM_A,
    FARMER_A,
    FRESH_LONGAN,
    PLOT_A,
    World,
    lot,
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


def test_a_certificate_counts_and_is_revoked_within_the_batch_that_issues_it(
    world: World,
) -> None:
    """Certificates are cached per transaction: what a batch issues or revokes counts for the
    events after it in the same batch, and is stored as it would be one event at a time."""
    certificate = {
        "scheme": "organic",
        "number": "ORG-BATCH",
        "body": CERTIFIER,
        "holder": FARM_A,
        "valid_from": "2026-01-01",
        "valid_to": "2027-12-31",
    }
    harvested = lot(FRESH_LONGAN, world.code("NH"))
    harvest = {"plot": PLOT_A, "lot": harvested, "quantity": "5", "data_source": "measured"}
    issued, _ = world.recorder.record_many(
        [
            (CERTIFIER_USER, world.command("cert.issue", certificate)),
            (FARMER_A, world.command("harvest", harvest)),
        ]
    )
    origin = json.loads(lot_row(world, harvested).origin)[0]
    assert "cert:organic/ORG-BATCH" in origin["certificates"]
    revoke = {
        "certificate": "cert:organic/ORG-BATCH",
        "reason": "Hết hạn",
        "effective": "2026-06-01",
    }
    with pytest.raises(BatchError) as raised:
        world.recorder.record_many(
            [
                (CERTIFIER_USER, world.command("cert.revoke", revoke)),
                (CERTIFIER_USER, world.command("cert.revoke", revoke)),
            ]
        )
    assert raised.value.line == 2
    assert isinstance(raised.value.cause, RuleViolationError)
    revoked = world.record(CERTIFIER_USER, "cert.revoke", revoke)
    with world.log.engine.connect() as connection:
        row = connection.execute(
            sa.select(CERTIFICATE).where(CERTIFICATE.c.id == "cert:organic/ORG-BATCH")
        ).one()
    assert (row.issued_entry, row.revoked_entry, row.revoked_on) == (
        issued.index,
        revoked.index,
        "2026-06-01",
    )
    with pytest.raises(BatchError) as raised:
        world.recorder.record_many([(CERTIFIER_USER, world.command("cert.issue", certificate))])
    assert isinstance(raised.value.cause, ConflictError)
