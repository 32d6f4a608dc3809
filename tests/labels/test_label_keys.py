"""Label keys: registered, rotated, retired and revoked as ledger events, published in the trust
list with their organisation and company prefixes, and checked by the audit and the bundle
verifier."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from labels import errors
from labels.authenticity import verify_label_url
from labels.digital_link import label_url
from labels.label_keys import active_label_signer, create_label_key
from labels.signature import LabelId, label_key_name, sign_label
from ledger.common.errors import ConflictError, InvalidInputError, NotFoundError
from ledger.supplychain.audit_checks import supply_chain_checks
from ledger.tlog.audit import audit
from ledger.tlog.canonical import envelope_of
from ledger.tlog.errors import AuditError
from ledger.tlog.key_events import (
    LABEL_KEY_ENDED,
    LABEL_KEY_REGISTERED,
    end_label_key,
    register_label_key,
)
from ledger.tlog.key_registry import ROLE_LABEL, label_key_path, parse_trust_list
from ledger.tlog.note import open_note
from ledger.tlog.tables import KEY_END, KEY_REVOCATION, LOG_KEY
from tests.support.factories import event
from tests.support.tampering import drop_triggers, verify_exported_bundle
from tests.support.world import COLLECTOR, PACKHOUSE, RETAILER, SLAUGHTERHOUSE, World

PREFIX = "8938888"


def trusted(world: World) -> list:
    log = world.log
    note = open_note(log.trust_note(), [log.active_log_key().verifier])
    origin, keys = parse_trust_list(note.text)
    assert origin == log.origin
    return keys


def test_a_label_key_is_a_ledger_event_and_in_the_trust_list(world: World) -> None:
    log = world.log
    appended, verifier = create_label_key(log, PACKHOUSE, [PREFIX], "first key", by="admin")
    assert verifier.name == label_key_name(log.origin, PACKHOUSE)
    envelope = envelope_of(log.entry(appended.index).data)
    assert envelope["type"] == LABEL_KEY_REGISTERED
    assert envelope["payload"]["valid_from"] == appended.index + 1
    assert envelope["payload"]["company_prefixes"] == [PREFIX]
    listed = [k for k in trusted(world) if k.role == ROLE_LABEL and k.organisation == PACKHOUSE]
    assert [(k.verifier, k.company_prefixes, k.status) for k in listed] == [
        (verifier, (PREFIX,), "active")
    ]
    assert label_key_path(log.settings.label_keys_directory, PACKHOUSE, verifier).exists()
    signer, record = active_label_signer(log, PACKHOUSE)
    assert signer.verifier() == verifier
    assert record.valid_from == appended.index + 1
    audit(log, checks=supply_chain_checks())


def test_a_signed_label_verifies_against_the_published_trust_list(world: World) -> None:
    signer, record = active_label_signer(world.log, PACKHOUSE)
    label = LabelId("0" + PREFIX + "000022", "NL-1", "42")
    url = label_url("https://t.example", label, sign_label(signer, world.log.origin, label))
    verified = verify_label_url(url, world.log.origin, trusted(world), issued_at=record.valid_from)
    assert verified.key.organisation == PACKHOUSE


def test_rotation_retires_the_old_key_for_later_positions_only(world: World) -> None:
    log = world.log
    old_signer, old = active_label_signer(log, PACKHOUSE)
    appended, new = create_label_key(log, PACKHOUSE, [PREFIX], "yearly rotation")
    envelope = envelope_of(log.entry(appended.index).data)
    assert envelope["payload"]["replaces"] == old.verifier.vkey
    keys = {k.verifier: k for k in trusted(world)}
    assert keys[old.verifier].status == "retired"
    assert keys[old.verifier].valid_until == appended.index + 1
    assert keys[new].valid_from == appended.index + 1
    label = LabelId("0" + PREFIX + "000022", "NL-1", "43")
    url = label_url("https://t.example", label, sign_label(old_signer, log.origin, label))
    verify_label_url(url, log.origin, list(keys.values()), issued_at=old.valid_from)
    with pytest.raises(errors.LabelKeyNotValidError):
        verify_label_url(url, log.origin, list(keys.values()), issued_at=appended.index + 1)
    audit(log, checks=supply_chain_checks())


def test_revocation_invalidates_labels_from_its_position_and_sets_the_file_aside(
    world: World,
) -> None:
    log = world.log
    create_label_key(log, COLLECTOR, [PREFIX], "collector key")
    signer, record = active_label_signer(log, COLLECTOR)
    appended = end_label_key(log, COLLECTOR, "laptop stolen", revoke_from=record.valid_from)
    assert envelope_of(log.entry(appended.index).data)["type"] == LABEL_KEY_ENDED
    assert log.active_label_key(COLLECTOR) is None
    assert not label_key_path(
        log.settings.label_keys_directory, COLLECTOR, record.verifier
    ).exists()
    label = LabelId("0" + PREFIX + "000022", "NL-2", "1")
    url = label_url("https://t.example", label, sign_label(signer, log.origin, label))
    with pytest.raises(errors.LabelKeyRevokedError):
        verify_label_url(url, log.origin, trusted(world))
    with pytest.raises(errors.LabelKeyRevokedError):
        verify_label_url(url, log.origin, trusted(world), issued_at=record.valid_from)
    with pytest.raises(NotFoundError):
        active_label_signer(log, COLLECTOR)
    audit(log, checks=supply_chain_checks())


def test_a_replaced_key_can_still_be_revoked_later(world: World) -> None:
    """A key found to have leaked after its replacement: the revocation tightens the
    retirement, and labels it signed before the revocation position stay valid."""
    log = world.log
    create_label_key(log, RETAILER, [PREFIX], "first retailer key")
    signer, old = active_label_signer(log, RETAILER)
    log.append(event())
    log.append(event())
    create_label_key(log, RETAILER, [PREFIX], "rotation")
    retired = next(k for k in log.keys(ROLE_LABEL) if k.verifier == old.verifier)
    assert retired.status == "retired"
    assert retired.valid_until is not None
    with pytest.raises(ConflictError, match="retired"):
        end_label_key(log, RETAILER, "no revocation position", key_id=old.verifier.key_id)
    with pytest.raises(InvalidInputError):
        end_label_key(
            log, RETAILER, "after its end", retired.valid_until + 1, key_id=old.verifier.key_id
        )
    revoke_from = old.valid_from + 1
    appended = end_label_key(
        log, RETAILER, "found on a stolen laptop", revoke_from, key_id=old.verifier.key_id
    )
    payload = envelope_of(log.entry(appended.index).data)["payload"]
    assert payload["retired_until"] == retired.valid_until
    assert payload["valid_until"] == revoke_from
    assert not label_key_path(log.settings.label_keys_directory, RETAILER, old.verifier).exists()
    keys = {k.verifier: k for k in trusted(world)}
    listed = keys[old.verifier]
    assert (listed.status, listed.valid_until, listed.retired_until) == (
        "revoked",
        revoke_from,
        retired.valid_until,
    )
    label = LabelId("0" + PREFIX + "000022", "NL-3", "7")
    url = label_url("https://t.example", label, sign_label(signer, log.origin, label))
    verify_label_url(url, log.origin, list(keys.values()), issued_at=old.valid_from)
    with pytest.raises(errors.LabelKeyRevokedError):
        verify_label_url(url, log.origin, list(keys.values()), issued_at=revoke_from)
    with pytest.raises(errors.LabelKeyRevokedError):
        verify_label_url(url, log.origin, list(keys.values()))
    with pytest.raises(ConflictError, match="revoked"):
        end_label_key(log, RETAILER, "twice", old.valid_from, key_id=old.verifier.key_id)
    audit(log, checks=supply_chain_checks())


@pytest.mark.parametrize(
    ("prefixes", "organisation", "error"),
    [
        ([], SLAUGHTERHOUSE, InvalidInputError),
        (["89a"], SLAUGHTERHOUSE, InvalidInputError),
        ([PREFIX], "8930000000001", NotFoundError),
    ],
)
def test_bad_registrations_are_refused_and_leave_no_file(
    world: World, prefixes: list[str], organisation: str, error: type[Exception]
) -> None:
    log = world.log
    size = log.size()
    with pytest.raises(error):
        create_label_key(log, organisation, prefixes, "bad")
    assert log.size() == size
    directory = log.settings.label_keys_directory
    assert not list(directory.glob(f"{organisation}-*"))


def test_a_key_cannot_be_registered_twice(world: World) -> None:
    log = world.log
    _, record = active_label_signer(log, PACKHOUSE)
    with pytest.raises(ConflictError):
        register_label_key(log, PACKHOUSE, record.verifier, [PREFIX], "copy")
    # Another organisation's key name is refused: a key ID names one organisation only.
    with pytest.raises(InvalidInputError):
        register_label_key(log, RETAILER, record.verifier, [PREFIX], "copy")


def test_ending_without_a_key_is_a_clear_404(world: World) -> None:
    with pytest.raises(NotFoundError, match=COLLECTOR):
        end_label_key(world.log, COLLECTOR, "none")
    with pytest.raises(NotFoundError, match="0badc0de"):
        end_label_key(world.log, PACKHOUSE, "none", 1, key_id=0x0BADC0DE)


def test_the_bundle_verifier_checks_label_key_entries(world: World, tmp_path: Path) -> None:
    log = world.log
    status, output = verify_exported_bundle(log, tmp_path / "bundle")
    assert status == 0, output


def test_the_audit_notices_a_label_key_end_moved_forward(world: World, tmp_path: Path) -> None:
    """Tampers with the key registry: run near the end of this module."""
    log = world.log
    retired = next(k for k in log.keys(ROLE_LABEL) if k.status == "retired")
    drop_triggers(log, "key_end")
    with log.engine.begin() as connection:
        connection.execute(
            sa.update(KEY_END).where(KEY_END.c.key == retired.row_id).values(valid_until=10**9)
        )
    with pytest.raises(AuditError, match="disagrees with the key registry"):
        audit(log, checks=supply_chain_checks())
    # The trust list now states the moved end, signed by the log key: the bundle verifier
    # compares it with the ledger's own entries and refuses it too.
    status, output = verify_exported_bundle(log, tmp_path / "bundle")
    assert status == 1
    assert "label key disagrees" in output or "end of a label key disagrees" in output
    with log.engine.begin() as connection:
        connection.execute(
            sa.update(KEY_END)
            .where(KEY_END.c.key == retired.row_id)
            .values(valid_until=retired.valid_until)
        )
    audit(log, checks=supply_chain_checks())


def test_the_audit_notices_a_later_revocation_moved(world: World) -> None:
    """Tampers with the key registry: run near the end of this module."""
    log = world.log
    revoked = next(k for k in log.keys(ROLE_LABEL) if k.revoked_by is not None)
    drop_triggers(log, "key_revocation")
    with log.engine.begin() as connection:
        connection.execute(
            sa.update(KEY_REVOCATION)
            .where(KEY_REVOCATION.c.key == revoked.row_id)
            .values(revoked_from=revoked.valid_from)
        )
    with pytest.raises(AuditError, match="disagrees with the key registry"):
        audit(log, checks=supply_chain_checks())
    with log.engine.begin() as connection:
        connection.execute(
            sa.update(KEY_REVOCATION)
            .where(KEY_REVOCATION.c.key == revoked.row_id)
            .values(revoked_from=revoked.valid_until)
        )
    audit(log, checks=supply_chain_checks())


def test_the_audit_notices_a_label_key_the_ledger_never_registered(world: World) -> None:
    """Run last in this module: it tampers with the key registry."""
    log = world.log
    _, record = active_label_signer(log, PACKHOUSE)
    drop_triggers(log, "log_key")
    with log.engine.begin() as connection:
        connection.execute(
            sa.update(LOG_KEY)
            .where(LOG_KEY.c.id == record.row_id)
            .values(company_prefixes="8938888 893")
        )
    with pytest.raises(AuditError, match="registration disagrees"):
        audit(log, checks=supply_chain_checks())
