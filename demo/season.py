"""A season in Hưng Yên, generated deterministically: the demo data and the benchmark workload.

:func:`build_season` returns master data, accounts and a list of steps, each an event request
exactly as a client would send it to ``POST /api/v1/events`` with the username that sends it.
The ``flask demo seed`` command and ``scripts/bench.py api`` record the steps through the same
schema and recording service the API uses (:mod:`demo.loading`); nothing here touches the
database.

The story: a longan cooperative in Tiên Lữ and a pink-banana cooperative in Khoái Châu with about
twenty farms, a hill-chicken farm in Phù Cừ, a banana collector, a distributor with a cold store, a
packhouse with a ripening chamber, a longan dryer, a slaughterhouse and three supermarkets in Hà
Nội. Inputs, harvests, packing, handovers, cold storage, ripening, drying, slaughter, sales and
payments; one over-shipment that the ledger refuses, one loss in transit, one correction, and a
recall that is lifted after a second laboratory test. ``scale`` multiplies the farms and flocks.

Master data comes from :mod:`demo.masterdata`, the steps from one builder per product
(:mod:`demo.longan`, :mod:`demo.pink_banana`, :mod:`demo.hill_chicken`), all drawing from one
random sequence in a fixed order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from demo import masterdata
from demo.draws import Draws
from demo.hill_chicken import place_chicks, record_hill_chickens
from demo.inputs import INPUT_PRODUCTS, REASGANT, TASIEU, facts
from demo.longan import record_longan
from demo.masterdata import (
    AUTHORITY,
    BANANA_COOP,
    CERTIFIER,
    CHICKEN_FARM,
    COMPANY_PREFIX,
    LONGAN_COOP,
    PACKHOUSE,
    Farm,
)
from demo.pink_banana import record_pink_bananas
from demo.steps import VIETNAM, Lots, Step, StepWriter


@dataclass
class Season:
    organisations: dict[str, dict[str, Any]] = field(default_factory=dict)
    locations: dict[str, dict[str, Any]] = field(default_factory=dict)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Pesticides, fertilisers, vaccines, veterinary drugs and feeds, by code.
    input_products: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: username → (role, organisation GLN or None, display name)
    accounts: dict[str, tuple[str, str | None, str]] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    #: Lots by stage, for benchmarks and the README walk-through.
    farm_lots: list[str] = field(default_factory=list)
    retail_lots: list[str] = field(default_factory=list)
    #: Organisations that sign QR labels, with the GS1 company prefixes their keys cover.
    label_keys: dict[str, list[str]] = field(default_factory=dict)
    #: Lots whose units carry signed labels.
    labelled_lots: list[str] = field(default_factory=list)

    def add_farm(self, farm: Farm) -> None:
        self.organisations[farm.organisation] = farm.organisation_record
        self.locations[farm.plot] = farm.plot_record
        self.accounts[farm.username] = ("farmer", farm.organisation, farm.owner)

    def add_lots(self, lots: Lots) -> None:
        self.farm_lots += lots.farm
        self.retail_lots += lots.retail
        self.labelled_lots += lots.labelled


def build_season(scale: int = 1, now: datetime | None = None, seed: int = 2026) -> Season:
    """The demo season: master data, accounts and event requests, the same for the same input."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    now = now or datetime.now(VIETNAM)
    draw = Draws(seed)
    organisations = masterdata.organisations()
    season = Season(
        organisations=organisations,
        locations=masterdata.sites(organisations),
        products=masterdata.products(),
        input_products=dict(INPUT_PRODUCTS),
        accounts=masterdata.accounts(draw),
        label_keys={PACKHOUSE: [COMPANY_PREFIX]},
    )
    longan_farms = masterdata.longan_farms(draw, scale)
    banana_farms = masterdata.banana_farms(draw, scale)
    for farm in (*longan_farms, *banana_farms):
        season.add_farm(farm)
    houses = masterdata.chicken_houses(scale)
    season.locations.update(houses)
    w = StepWriter(season.steps, now, draw)
    _certificates(w)
    season.add_lots(record_longan(w, longan_farms))
    season.add_lots(record_pink_bananas(w, banana_farms))
    season.add_lots(record_hill_chickens(w, list(houses)))
    _sprayed_for_the_next_crop(w, longan_farms[0], banana_farms[0])
    place_chicks(w, next(iter(houses)))
    return season


def _sprayed_for_the_next_crop(w: StepWriter, orchard: Farm, field_: Farm) -> None:
    """Sprays of the last days, after the harvests: their pre-harvest intervals still run, so
    the farmers' pages have something to wait for (last of the season, so that every draw
    before stays as it was)."""
    for farm, product, days in ((orchard, REASGANT, 2), (field_, TASIEU, 3)):
        w.step(
            farm.username,
            "farm_input.pesticide",
            {
                "plot": farm.plot,
                **facts(product, "farm_input.pesticide"),
                "dose": "12",
                "area_ha": farm.plot_record["area_ha"],
                "operator": f"op-{9001 + days:04d}",
                "data_source": "measured",
            },
            days,
            hour=16,
        )


def _certificates(w: StepWriter) -> None:
    """Certificates held by the cooperatives and the chicken farm cover all their members' sites."""
    year = w.now.astimezone(VIETNAM).year
    for username, body, scheme, number, holder, products in (
        ("chung-nhan", CERTIFIER, "vietgap", f"VG-{year - 1}-0412", LONGAN_COOP, ["fresh_longan"]),
        (
            "thanh-tra",
            AUTHORITY,
            "gi_hung_yen_longan",
            f"CDDL-{year - 2}-017",
            LONGAN_COOP,
            ["fresh_longan", "dried_longan"],
        ),
        ("chung-nhan", CERTIFIER, "vietgap", f"VG-{year - 1}-0398", BANANA_COOP, ["pink_banana"]),
        (
            "chung-nhan",
            CERTIFIER,
            "vietgahp",
            f"VGAHP-{year - 1}-0051",
            CHICKEN_FARM,
            ["live_chicken", "chicken_carcass"],
        ),
    ):
        w.step(
            username,
            "cert.issue",
            {
                "scheme": scheme,
                "number": number,
                "body": body,
                "holder": holder,
                "products": products,
                "valid_from": f"{year - 1}-03-01",
                "valid_to": f"{year + 2}-02-28",
            },
            25,
            hour=8,
        )
