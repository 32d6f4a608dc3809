"""A loading dock for the scan and lot card tests: labelled lots, a shipment on its way to the
collector with a pallet SSCC, and an account per role (sign in with
:func:`tests.support.field.sign_in`)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from flask import Flask

from labels.printing import issued_labels
from tests.support.apps import create_accounts
from tests.support.labels import issue_labels
from tests.support.world import (
    AUTHORITY,
    BUTCHER,
    CHICKEN_FARMER,
    COLLECTOR,
    FARM_A,
    HOUSE,
    LIVE_CHICKEN,
    PACKER,
    PACKHOUSE,
    RETAILER,
    SLAUGHTERHOUSE,
    World,
    lot,
    with_check_digit,
)
from web.services import services

PALLET = with_check_digit("38930000000000777")
#: Username, role, organisation.
ACCOUNTS = (
    ("dong-goi", "processor", PACKHOUSE),
    ("thu-gom", "distributor", COLLECTOR),
    ("nong-dan", "farmer", FARM_A),
    ("kiem-tra", "auditor", AUTHORITY),
    ("sieu-thi", "retailer", RETAILER),
    ("lo-mo", "processor", SLAUGHTERHOUSE),
)


@dataclass(frozen=True)
class Dock:
    """What the tests scan: label URLs by lot state, the lot in transit and its labels."""

    labels: dict[str, list[str]]
    good_lot: str
    recalled_lot: str
    shipped_lot: str
    shipped_labels: list[str]
    #: A flock of 100 birds the slaughterhouse received.
    flock: str
    #: For tests that change what they act on: five labelled boxes the packhouse holds, and
    #: four more boxes on their way to the collector.
    work_lot: str
    second_shipment: str


def lot_of(url: str) -> str:
    found = re.search(r"/01/([0-9]{14})/10/([^/]+)/21/", url)
    assert found is not None
    return f"lot:{found.group(1)}/{found.group(2)}"


def build_dock(app: Flask, base: str = "http://localhost") -> Dock:
    """Labels in every state, four labelled boxes shipped by the packhouse to the collector on
    pallet :data:`PALLET`, and the accounts of :data:`ACCOUNTS`."""
    labels = issue_labels(app, base)
    create_accounts(app, ACCOUNTS)
    with app.app_context():
        log = services().log
        world = World(log)
        world._codes = itertools.count(500)  # after the lots issue_labels made
        shipped = world.packed_lot(units=4)
        world.record(PACKER, "label.issue", {"lot": shipped, "count": 4})
        shipped_labels = [label.url for label in issued_labels(log, shipped, base)]
        world.ship(PACKER, shipped, "4", COLLECTOR, sscc=PALLET)
        flock = lot(LIVE_CHICKEN, world.code("G"))
        world.record(
            CHICKEN_FARMER,
            "flock.placement",
            {"house": HOUSE, "lot": flock, "breed": "Gà Mía", "head_count": 100},
            event_time=world.time(days_ago=20),
        )
        world.ship(CHICKEN_FARMER, flock, "100", SLAUGHTERHOUSE)
        world.receive(BUTCHER, flock, "100")
        work_lot = world.packed_lot(units=5)
        world.record(PACKER, "label.issue", {"lot": work_lot, "count": 5})
        second_shipment = world.packed_lot(units=4)
        world.ship(PACKER, second_shipment, "4", COLLECTOR)
    return Dock(
        labels=labels,
        good_lot=lot_of(labels["good"][0]),
        recalled_lot=lot_of(labels["recalled"][0]),
        shipped_lot=shipped,
        shipped_labels=shipped_labels,
        flock=flock,
        work_lot=work_lot,
        second_shipment=second_shipment,
    )
