"""Issuing labels: serials allocated per GTIN by the lot's holder inside a ledger entry, at most one
per packed unit plus the spare, and checked on verification against the issuing entry."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from labels import errors
from labels.authenticity import check_issued_label, trusted_keys
from labels.digital_link import check_label_fits, label_url
from labels.label_keys import create_label_key, label_signer
from labels.signature import LabelId, sign_label
from ledger.supplychain.audit_checks import LabelIssueAudit, supply_chain_checks
from ledger.supplychain.errors import ForbiddenError, LotBlockedError, RuleViolationError
from ledger.supplychain.label_issues import holder_at, issued_label, lot_label_issues
from ledger.supplychain.recording.labels import label_limit
from ledger.supplychain.recording.recorder import Recorder
from ledger.supplychain.tables import LABEL_ISSUE
from ledger.tlog.audit import audit
from ledger.tlog.canonical import envelope_of
from ledger.tlog.errors import AuditError
from ledger.tlog.key_events import end_label_key
from ledger.tlog.key_registry import ROLE_LABEL
from tests.support.tampering import VERIFY_BUNDLE, drop_triggers, verify_exported_bundle
from tests.support.world import (
    AUDITOR,
    COLLECTOR,
    COLLECTOR_USER,
    FARMER_A,
    PACKED_LONGAN,
    PACKER,
    PACKHOUSE,
    RETAILER,
    SHOP,
    World,
)

BASE = "https://trace.hungyen.example"
PREFIX = "8930000"


def issue(world: World, lot_id: str, count: int, who=PACKER):  # type: ignore[no-untyped-def]
    return world.record(who, "label.issue", {"lot": lot_id, "count": count})


def signed_url(world: World, lot_id: str, serial: int, key_vkey: str | None = None) -> str:
    log = world.log
    records = log.keys(ROLE_LABEL)
    record = next(
        r
        for r in records
        if (r.verifier.vkey == key_vkey if key_vkey else r.valid_until is None)
        and r.organisation == PACKHOUSE
    )
    gtin, _, code = lot_id[4:].partition("/")
    label = LabelId(gtin, code, str(serial))
    return label_url(BASE, label, sign_label(label_signer(log, record), log.origin, label))


@pytest.fixture(scope="module", autouse=True)
def label_key(world: World) -> None:
    create_label_key(world.log, PACKHOUSE, [PREFIX], "packhouse labels")


def test_the_holder_issues_serials_from_a_counter_per_gtin(world: World) -> None:
    first_lot = world.packed_lot()
    recorded = issue(world, first_lot, 60)
    payload = envelope_of(world.log.entry(recorded.index).data)["payload"]
    assert (payload["first_serial"], payload["last_serial"]) == ("1", "60")
    assert payload["label_key"] == world.log.active_label_key(PACKHOUSE).verifier.vkey
    second_lot = world.packed_lot()
    issue(world, second_lot, 10)
    again = issue(world, first_lot, 42)
    payload = envelope_of(world.log.entry(again.index).data)["payload"]
    assert (payload["first_serial"], payload["last_serial"]) == ("71", "112")
    with world.log.engine.connect() as connection:
        issues = lot_label_issues(connection, first_lot)
        assert [(i.first_serial, i.last_serial) for i in issues] == [(1, 60), (71, 112)]
        label = issued_label(connection, PACKED_LONGAN, "75")
        assert label is not None
        assert (label.issue.lot, label.number, label.of) == (first_lot, 65, 102)
        assert issued_label(connection, PACKED_LONGAN, "65").issue.lot == second_lot
        for never in ("0", "113", "075", "99999999999999999999", "x"):
            assert issued_label(connection, PACKED_LONGAN, never) is None


def test_labels_are_limited_to_the_units_and_the_spare(world: World) -> None:
    assert label_limit(100, Decimal("0.02")) == 102
    assert label_limit(10, Decimal("0.02")) == 10
    assert label_limit(50, Decimal("0.02")) == 51
    assert label_limit(10, Decimal("0")) == 10
    lot_id = world.packed_lot(units=100)
    issue(world, lot_id, 100)
    size = world.log.size()
    with pytest.raises(RuleViolationError, match="at most 2 more") as caught:
        issue(world, lot_id, 3)
    assert caught.value.errors is not None
    assert "count" in caught.value.errors
    assert world.log.size() == size
    issue(world, lot_id, 2)
    strict = dataclasses.replace(world.recorder.settings, label_spare=Decimal("0"))
    other = world.packed_lot(units=5)
    with pytest.raises(RuleViolationError, match="at most 5 more"):
        Recorder(world.log, strict).record(
            PACKER, world.command("label.issue", {"lot": other, "count": 6})
        )


def test_only_the_holder_issues_labels_for_a_movable_packed_lot(world: World) -> None:
    lot_id = world.packed_lot(units=20)
    with pytest.raises(ForbiddenError, match="only its holder"):
        issue(world, lot_id, 1, who=COLLECTOR_USER)
    world.ship(PACKER, lot_id, "20", COLLECTOR)
    with pytest.raises(LotBlockedError, match="in transit"):
        issue(world, lot_id, 1)
    world.receive(COLLECTOR_USER, lot_id, "20")
    # The collector holds it now, but has no label key.
    with pytest.raises(RuleViolationError, match="no label key"):
        issue(world, lot_id, 1, who=COLLECTOR_USER)
    with pytest.raises(ForbiddenError):
        issue(world, lot_id, 1, who=AUDITOR)
    bulk = world.harvest(quantity="300")
    world.ship(FARMER_A, bulk, "300", PACKHOUSE)
    world.receive(PACKER, bulk, "300")
    with pytest.raises(RuleViolationError, match="no unit count"):
        issue(world, bulk, 1)


def test_a_key_signs_only_its_company_prefixes(world: World) -> None:
    lot_id = world.packed_lot(units=5)
    world.ship(PACKER, lot_id, "5", RETAILER)
    world.record(SHOP, "retail_receive", {"lot": lot_id, "quantity": "5"})
    create_label_key(world.log, RETAILER, ["8938888"], "own brand only")
    with pytest.raises(RuleViolationError, match="8938888"):
        issue(world, lot_id, 1, who=SHOP)


def test_issuing_refuses_labels_that_would_not_fit_the_qr_code() -> None:
    check_label_fits(BASE, PACKED_LONGAN, "NH-2026-07-15", 10**12)
    with pytest.raises(errors.LabelTooLongError, match="lot"):
        check_label_fits(BASE, PACKED_LONGAN, "NH-2026-07-15", 10**19)
    with pytest.raises(errors.LabelTooLongError, match="host"):
        check_label_fits("https://" + "h" * 70 + ".example", PACKED_LONGAN, "A" * 20, 10**19)


def test_the_server_checks_a_label_against_its_issuing_entry(world: World) -> None:
    lot_id = world.packed_lot(units=10)
    recorded = issue(world, lot_id, 10)
    first = int(envelope_of(world.log.entry(recorded.index).data)["payload"]["first_serial"])
    url = signed_url(world, lot_id, first + 3)
    checked = check_issued_label(world.log, url)
    assert checked.issued.issue.entry_idx == recorded.index
    assert (checked.issued.number, checked.issued.of) == (4, 10)
    assert checked.key.organisation == PACKHOUSE
    # A serial never issued, or issued for another lot, is not a label of this ledger.
    with pytest.raises(errors.LabelNotIssuedError):
        check_issued_label(world.log, signed_url(world, lot_id, first + 10))
    other = world.packed_lot(units=3)
    issue(world, other, 3)
    with world.log.engine.connect() as connection:
        [other_issue] = lot_label_issues(connection, other)
    # Well signed, but the serial belongs to the other lot.
    with pytest.raises(errors.LabelNotIssuedError):
        check_issued_label(world.log, signed_url(world, lot_id, other_issue.first_serial))
    # A flipped bit of the signature fails.
    tampered = url[:-2] + ("A" if url[-2] != "A" else "B") + url[-1]
    with pytest.raises(errors.LabelSignatureError):
        check_issued_label(world.log, tampered)


def test_a_label_of_a_key_replaced_later_stays_valid_and_a_revocation_ends_it(
    world: World,
) -> None:
    lot_id = world.packed_lot(units=4)
    issue(world, lot_id, 4)
    old = world.log.active_label_key(PACKHOUSE)
    with world.log.engine.connect() as connection:
        [issued] = lot_label_issues(connection, lot_id)
    url = signed_url(world, lot_id, issued.first_serial, old.verifier.vkey)
    create_label_key(world.log, PACKHOUSE, [PREFIX], "rotation")
    assert check_issued_label(world.log, url).key.verifier == old.verifier
    # Signed with the new key, the label disagrees with the key its issuing entry named.
    with pytest.raises((errors.LabelIssuerError, errors.LabelKeyNotValidError)):
        check_issued_label(world.log, signed_url(world, lot_id, issued.first_serial))
    end_label_key(world.log, PACKHOUSE, "leaked", issued.entry_idx, key_id=old.verifier.key_id)
    with pytest.raises(errors.LabelKeyRevokedError, match="leaked"):
        check_issued_label(world.log, url)


def test_the_audit_reads_every_label_issue_beside_its_entry(world: World) -> None:
    report = audit(world.log, checks=supply_chain_checks())
    assert report.entries == world.log.size()


@pytest.mark.parametrize(
    ("column", "value"),
    [("lot", "lot:08930000000026/FORGED"), ("first_serial", 2), ("issuer", COLLECTOR)],
)
def test_the_audit_notices_a_label_issue_changed_beside_the_log(
    world: World, column: str, value: object
) -> None:
    """Tampers with ``label_issue`` and puts it back: run last in this module."""
    drop_triggers(world.log, "label_issue")
    with world.log.engine.begin() as connection:
        row = connection.execute(
            sa.select(LABEL_ISSUE).order_by(LABEL_ISSUE.c.entry_idx).limit(1)
        ).one()
        connection.execute(
            sa.update(LABEL_ISSUE)
            .where(LABEL_ISSUE.c.entry_idx == row.entry_idx)
            .values({column: value})
        )
    try:
        with pytest.raises(AuditError, match="label issue beside the log disagrees"):
            audit(world.log, checks=supply_chain_checks())
    finally:
        with world.log.engine.begin() as connection:
            connection.execute(
                sa.update(LABEL_ISSUE)
                .where(LABEL_ISSUE.c.entry_idx == row.entry_idx)
                .values({column: getattr(row, column)})
            )
    audit(world.log, checks=supply_chain_checks())


def test_the_bundle_verifier_checks_every_label_issue(world: World, tmp_path: Path) -> None:
    status, output = verify_exported_bundle(world.log, tmp_path / "bundle")
    assert status == 0, output


def test_a_label_issue_by_another_key_or_out_of_order_is_refused_offline(world: World) -> None:
    """The bundle verifier's check of one issuing entry, fed directly."""
    keys = [k for k in trusted_keys(world.log.keys()) if k.role == "label"]
    listed = [
        VERIFY_BUNDLE.TrustedKey(
            VERIFY_BUNDLE.Key.parse(k.verifier.vkey),
            k.role,
            k.valid_from,
            k.valid_until,
            k.status,
            k.organisation,
            k.company_prefixes,
        )
        for k in keys
    ]
    checker = VERIFY_BUNDLE.LabelKeys(listed)
    active = next(k for k in keys if k.organisation == PACKHOUSE and k.valid_until is None)
    checker.seen.add(active.verifier.vkey)

    def issue(first: int, last: int, actor: str = f"org:{PACKHOUSE}") -> dict[str, object]:
        return {
            "type": "label.issue",
            "actor": actor,
            "payload": {
                "lot": f"lot:{PACKED_LONGAN}/X",
                "count": last - first + 1,
                "first_serial": str(first),
                "last_serial": str(last),
                "label_key": active.verifier.vkey,
            },
        }

    with pytest.raises(VERIFY_BUNDLE.BundleError, match="did not hold the lot"):
        checker.check_issue(99, issue(1, 5))
    checker.observe(
        {
            "type": "pack",
            "actor": f"org:{PACKHOUSE}",
            "subjects": [{"id": f"lot:{PACKED_LONGAN}/X", "role": "output", "prev": None}],
        }
    )
    checker.check_issue(100, issue(1, 5))
    with pytest.raises(VERIFY_BUNDLE.BundleError, match="follow"):
        checker.check_issue(101, issue(5, 9))
    with pytest.raises(VERIFY_BUNDLE.BundleError, match="did not hold the lot"):
        checker.check_issue(102, issue(6, 9, actor=f"org:{COLLECTOR}"))
    # A key already ended signs no more issues.
    checker.ended.add(active.verifier.vkey)
    with pytest.raises(VERIFY_BUNDLE.BundleError, match="active label key"):
        checker.check_issue(103, issue(6, 9))
    checker.ended.discard(active.verifier.vkey)
    # The collector holds it now, but the entry names the packhouse's key.
    checker.observe(
        {
            "type": "receive",
            "actor": f"org:{COLLECTOR}",
            "payload": {},
            "subjects": [{"id": f"lot:{PACKED_LONGAN}/X", "role": "input", "prev": "…"}],
        }
    )
    with pytest.raises(VERIFY_BUNDLE.BundleError, match="active label key"):
        checker.check_issue(102, issue(6, 9, actor=f"org:{COLLECTOR}"))


def test_the_holder_at_an_entry_is_replayed_from_the_lots_chain(world: World) -> None:
    lot_id = world.packed_lot(units=4)
    log = world.log
    packed_at = log.size() - 1
    assert holder_at(log, lot_id, packed_at) is None
    assert holder_at(log, lot_id, packed_at + 1) == PACKHOUSE
    shipped = world.ship(PACKER, lot_id, "4", COLLECTOR)
    assert holder_at(log, lot_id, shipped.index + 1) == PACKHOUSE, "in transit: not yet handed"
    refused = world.record(
        COLLECTOR_USER,
        "receive",
        {"lot": lot_id, "refused": True, "refusal_reason": "Dập nát khi vận chuyển"},
    )
    assert holder_at(log, lot_id, refused.index + 1) == PACKHOUSE
    world.ship(PACKER, lot_id, "4", COLLECTOR)
    received = world.receive(COLLECTOR_USER, lot_id, "4")
    assert holder_at(log, lot_id, received.index) == PACKHOUSE
    assert holder_at(log, lot_id, received.index + 1) == COLLECTOR


def test_a_label_whose_issuer_did_not_hold_the_lot_is_refused(world: World) -> None:
    lot_id = world.packed_lot(units=2)
    issue(world, lot_id, 2)
    with world.log.engine.connect() as connection:
        [issued] = lot_label_issues(connection, lot_id)
    url = signed_url(world, lot_id, issued.first_serial)
    assert check_issued_label(world.log, url).issued.issue.issuer == PACKHOUSE
    # As if the ledger's custody said someone else held the lot at the issuing entry.
    with pytest.raises(errors.LabelIssuerError):
        check_issued_label(world.log, url, holder=COLLECTOR)


def test_the_audit_refuses_labels_issued_by_an_organisation_that_did_not_hold_the_lot(
    world: World,
) -> None:
    """The audit's replay of custody, fed directly: a pack by the collector, then an issue by
    the packhouse (which the recording rules would have refused)."""
    key = world.log.active_label_key(PACKHOUSE)
    assert key is not None
    lot_id = f"lot:{PACKED_LONGAN}/Y"
    rows = iter([(500, PACKED_LONGAN, lot_id, PACKHOUSE, 900_001, 900_002, key.verifier.vkey)])
    checker = LabelIssueAudit(rows, world.log.keys(ROLE_LABEL), {lot_id})
    checker.last_serial[PACKED_LONGAN] = 900_000
    made = {"id": lot_id, "role": "output", "prev": None}
    checker.observe(lot_id, made, {"type": "pack", "actor": f"org:{COLLECTOR}", "payload": {}})
    issue_envelope = {
        "type": "label.issue",
        "actor": f"org:{PACKHOUSE}",
        "payload": {
            "lot": lot_id,
            "count": 2,
            "first_serial": "900001",
            "last_serial": "900002",
            "label_key": key.verifier.vkey,
        },
    }
    with pytest.raises(AuditError, match="did not hold the lot"):
        checker.check(500, issue_envelope)


def test_labels_issued_after_a_handover_are_genuine_everywhere(
    world: World, tmp_path: Path
) -> None:
    """The packhouse labels a lot and ships it whole to the shop, which labels it again with
    its own key: both are genuine on the server, in the audit and in the bundle verifier."""
    lot_id = world.packed_lot(units=6)
    issue(world, lot_id, 3)
    create_label_key(world.log, RETAILER, [PREFIX], "shop labels")
    world.ship(PACKER, lot_id, "6", RETAILER)
    world.record(SHOP, "retail_receive", {"lot": lot_id, "quantity": "6"})
    issue(world, lot_id, 3, who=SHOP)
    with world.log.engine.connect() as connection:
        packhouse_issue, shop_issue = lot_label_issues(connection, lot_id)
    assert (packhouse_issue.issuer, shop_issue.issuer) == (PACKHOUSE, RETAILER)
    assert holder_at(world.log, lot_id, shop_issue.entry_idx) == RETAILER
    assert check_issued_label(world.log, signed_url(world, lot_id, packhouse_issue.first_serial))
    shop_key = world.log.active_label_key(RETAILER)
    assert shop_key is not None
    gtin, _, code = lot_id[4:].partition("/")
    label = LabelId(gtin, code, str(shop_issue.first_serial))
    signer = label_signer(world.log, shop_key)
    url = label_url(BASE, label, sign_label(signer, world.log.origin, label))
    assert check_issued_label(world.log, url).key.organisation == RETAILER
    audit(world.log, checks=supply_chain_checks())
    status, output = verify_exported_bundle(world.log, tmp_path / "bundle")
    assert status == 0, output


def test_a_split_shipment_is_held_by_the_shipper_until_received(world: World) -> None:
    lot_id = world.packed_lot(units=10)
    shipped = world.ship(PACKER, lot_id, "4", COLLECTOR, split_lot="SPLIT-1")
    split = f"lot:{PACKED_LONGAN}/SPLIT-1"
    assert holder_at(world.log, split, shipped.index + 1) == PACKHOUSE
    assert holder_at(world.log, lot_id, shipped.index + 1) == PACKHOUSE
    received = world.receive(COLLECTOR_USER, split, "4")
    assert holder_at(world.log, split, received.index + 1) == COLLECTOR
    assert holder_at(world.log, lot_id, received.index + 1) == PACKHOUSE
