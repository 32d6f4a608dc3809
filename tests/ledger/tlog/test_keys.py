"""Keys: the encrypted key file, init, rotation, revocation, and no silent rewind."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa

from ledger.tlog.audit import audit
from ledger.tlog.bootstrap import initialise, open_log, pending_key_file, rotate_log_key
from ledger.tlog.checkpoint import parse_checkpoint
from ledger.tlog.errors import (
    AuditError,
    KeyFileError,
    OriginMismatchError,
    RewindError,
    UnverifiedNoteError,
)
from ledger.tlog.key_registry import key_subject, parse_trust_list
from ledger.tlog.note import open_note, parse_note
from ledger.tlog.tables import ADMIN_AUDIT
from tests.support.factories import simple_event


@pytest.fixture
def fresh_settings(ledgers, databases, backend):  # type: ignore[no-untyped-def]
    urls = []

    def make(**overrides):  # type: ignore[no-untyped-def]
        url = databases.fresh(backend)
        urls.append(url)
        return ledgers.settings(url, **overrides)

    yield make
    for url in urls:
        databases.drop(url)


def test_the_key_file_is_encrypted_with_the_passphrase(fresh_settings) -> None:  # type: ignore[no-untyped-def]
    settings = fresh_settings(key_passphrase="correct horse", allow_unencrypted_key=False)
    log = initialise(settings).log
    assert b"ENCRYPTED PRIVATE KEY" in settings.key_file.read_bytes()
    assert settings.key_file.stat().st_mode & 0o077 == 0
    log.engine.dispose()
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        open_log(replace(settings, key_passphrase="wrong"), signer_required=True)
    with pytest.raises(KeyFileError, match="LEDGER_KEY_PASSPHRASE"):
        open_log(replace(settings, key_passphrase=None), signer_required=True)


def test_an_unencrypted_key_is_refused_unless_allowed(fresh_settings) -> None:  # type: ignore[no-untyped-def]
    settings = fresh_settings(allow_unencrypted_key=False)
    with pytest.raises(KeyFileError, match="LEDGER_KEY_PASSPHRASE"):
        initialise(settings)
    assert not settings.key_file.exists()
    allowed = replace(settings, allow_unencrypted_key=True)
    initialise(allowed).log.engine.dispose()
    with pytest.raises(KeyFileError, match="not encrypted"):
        open_log(settings, signer_required=True)


def test_init_is_idempotent_and_guards_the_origin_and_the_key(fresh_settings) -> None:  # type: ignore[no-untyped-def]
    settings = fresh_settings()
    first = initialise(settings)
    assert first.created_ledger
    assert first.created_key
    again = initialise(settings)
    assert not again.created_ledger
    assert not again.created_key
    assert again.log.active_log_key().verifier == first.log.active_log_key().verifier
    with pytest.raises(OriginMismatchError):
        initialise(replace(settings, origin="other.example/ledger"))
    settings.key_file.rename(settings.key_file.with_name("moved.pem"))
    with pytest.raises(KeyFileError, match="restore the key file"):
        initialise(settings)


def test_rotation_is_a_ledger_event_and_the_trust_list_keeps_both_keys(
    fresh_settings, ledgers
) -> None:  # type: ignore[no-untyped-def]
    settings = fresh_settings()
    log = initialise(settings, ledgers.clock).log
    for _ in range(5):
        log.append(simple_event("flock:rotation"))
    old_key = log.active_log_key().verifier
    log.engine.dispose()
    rotated, index = rotate_log_key(settings, "scheduled yearly rotation", clock=ledgers.clock)
    new_key = rotated.active_log_key().verifier
    assert new_key != old_key
    assert index == 5
    entry = rotated.entry(index).envelope
    assert entry["type"] == "ledger.log_key_rotated"
    assert entry["actor"] == "ledger"
    assert entry["payload"]["new_key"] == new_key.vkey
    with rotated.engine.connect() as connection:
        audited = connection.execute(sa.select(ADMIN_AUDIT.c.action, ADMIN_AUDIT.c.target)).all()
    assert [tuple(row) for row in audited] == [("key.rotate", key_subject(old_key))]
    handover = rotated.latest_checkpoint()
    assert handover.size == 6
    # The handover checkpoint is signed by both keys, so a pin on either leads to the other.
    assert len(open_note(handover.note, [new_key, old_key]).verified) == 2
    origin, keys = parse_trust_list(open_note(rotated.trust_note(), [new_key]).text)
    assert origin == settings.origin
    assert [(k.verifier, k.valid_from, k.valid_until, k.status) for k in keys] == [
        (old_key, 0, 7, "retired"),
        (new_key, 6, None, "active"),
    ]
    rotated.append(simple_event("flock:rotation"))
    with pytest.raises(UnverifiedNoteError):
        open_note(rotated.latest_checkpoint().note, [old_key])
    assert audit(rotated).checkpoints >= 7
    retired = list(settings.key_file.parent.glob("log-key.pem.retired-*"))
    assert len(retired) == 1
    assert open_log(settings, signer_required=True).signer.verifier() == new_key  # type: ignore[union-attr]


def test_an_interrupted_rotation_is_finished_at_the_next_start(
    fresh_settings, ledgers, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    settings = fresh_settings()
    initialise(settings, ledgers.clock).log.engine.dispose()
    import ledger.tlog.bootstrap as bootstrap

    def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise SystemExit("power cut after the commit")

    monkeypatch.setattr(bootstrap, "_swap_key_files", crash)
    with pytest.raises(SystemExit):
        rotate_log_key(settings, "rotation interrupted")
    monkeypatch.undo()
    assert pending_key_file(settings).exists()
    reopened = open_log(settings, signer_required=True)
    assert not pending_key_file(settings).exists()
    assert reopened.signer.verifier() == reopened.active_log_key().verifier  # type: ignore[union-attr]
    reopened.append(simple_event("flock:after-crash"))
    audit(reopened)


def test_a_revoked_key_leaves_its_checkpoints_unattested_but_the_log_verifiable(
    fresh_settings, ledgers
) -> None:  # type: ignore[no-untyped-def]
    settings = fresh_settings()
    log = initialise(settings, ledgers.clock).log
    for _ in range(6):
        log.append(simple_event("flock:revoke"))
    log.engine.dispose()
    rotated, _ = rotate_log_key(settings, "key exposed in a backup", revoke_from=4)
    _origin, keys = parse_trust_list(
        open_note(rotated.trust_note(), [rotated.active_log_key().verifier]).text
    )
    assert keys[0].status == "revoked"
    assert keys[0].valid_until == 4
    report = audit(rotated)
    assert len(report.warnings) == 3  # checkpoints of sizes 4, 5 and 6 were signed by the old key


def test_a_restore_that_lost_entries_is_refused_loudly(fresh_settings, databases) -> None:  # type: ignore[no-untyped-def]
    settings = fresh_settings()
    log = initialise(settings).log
    for _ in range(3):
        log.append(simple_event("flock:backup"))
    log.engine.dispose()
    backup = databases.snapshot(settings.database_url)
    log = open_log(settings, signer_required=True)
    for _ in range(4):
        log.append(simple_event("flock:backup"))
    log.engine.dispose()
    restored = replace(settings, database_url=backup)
    with pytest.raises(RewindError) as caught:
        open_log(restored)
    message = str(caught.value)
    assert "size 7" in message
    assert "only 3 entries" in message
    assert "backup" in message
    with pytest.raises(RewindError):
        initialise(restored)
    unchecked = open_log(restored, check_rewind=False)
    with pytest.raises(AuditError, match="signer state"):
        audit(unchecked)
    # Appending to the old copy would fork the log: the signer refuses inside the append's
    # transaction, so the append itself is rolled back.
    with pytest.raises(RewindError):
        unchecked.append(simple_event("flock:fork"))
    assert unchecked.size() == 3
    assert parse_checkpoint(parse_note(unchecked.latest_checkpoint().note)[0]).size == 3
    unchecked.engine.dispose()
    databases.drop(backup)


def test_a_replaced_database_with_the_same_size_is_refused(fresh_settings) -> None:  # type: ignore[no-untyped-def]
    real = fresh_settings()
    log = initialise(real).log
    log.append(simple_event("flock:twin-real"))
    log.engine.dispose()
    # Another database of the same size, signed by a copy of the same key with its own memory.
    twin = fresh_settings()
    twin.key_file.parent.mkdir(parents=True)
    twin.key_file.write_bytes(real.key_file.read_bytes())
    other = initialise(twin).log
    other.append(simple_event("flock:twin-other"))
    other.engine.dispose()
    # Serving the twin database with the real signer's memory is refused, naming the roots.
    twin.state_file.write_bytes(real.state_file.read_bytes())
    with pytest.raises(RewindError, match="has root"):
        open_log(twin)


def _bundle_check(log, tmp_path, *keys):  # type: ignore[no-untyped-def]
    from ledger.tlog.export import export_bundle
    from tests.support.tampering import run_verify_bundle

    bundle = tmp_path / f"bundle-{len(list(tmp_path.iterdir()))}"
    export_bundle(log, bundle)
    arguments = [a for key in keys for a in ("--log-key", key.vkey)]
    return run_verify_bundle(bundle, *arguments)


def test_trust_follows_a_handover_but_not_a_revocation(fresh_settings, ledgers, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = fresh_settings()
    log = initialise(settings, ledgers.clock).log
    first = log.active_log_key().verifier
    for _ in range(3):
        log.append(simple_event("flock:handover"))
    log.engine.dispose()
    second_log, _ = rotate_log_key(settings, "yearly rotation")
    second = second_log.active_log_key().verifier
    second_log.append(simple_event("flock:handover"))
    # An auditor who pinned the first key follows the co-signed handover to the second.
    assert audit(second_log, pinned=[first]).entries == 5
    status, output = _bundle_check(second_log, tmp_path, first)
    assert status == 0, output
    second_log.engine.dispose()

    third_log, _ = rotate_log_key(settings, "laptop stolen", revoke_from=4)
    third = third_log.active_log_key().verifier
    third_log.append(simple_event("flock:handover"))
    # After a revocation the compromised key hands nothing over: only the new pin works.
    with pytest.raises(AuditError, match="not signed by the pinned log key"):
        audit(third_log, pinned=[first])
    report = audit(third_log, pinned=[third])
    # Size 5 was signed by the second key alone, now revoked from 4; size 4 (the first handover)
    # also carries the first key's signature, valid there.
    assert [str(w).split(" is ")[0] for w in report.warnings] == ["checkpoint of size 5"]
    status, output = _bundle_check(third_log, tmp_path, third)
    assert status == 0, output
    assert output.count("warning:") == 1
    status, output = _bundle_check(third_log, tmp_path, second)
    assert status == 1
    assert "trust list (against the pinned log key): no valid signature" in output


def test_a_revoked_key_cannot_sign_beyond_its_window(fresh_settings, ledgers, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ledger.tlog.note import sign_note
    from tests.support.tampering import drop_triggers, execute

    settings = fresh_settings()
    log = initialise(settings, ledgers.clock).log
    for _ in range(4):
        log.append(simple_event("flock:window"))
    old_signer = log.signer
    log.engine.dispose()
    rotated, _ = rotate_log_key(settings, "compromised", revoke_from=2)
    for _ in range(3):
        rotated.append(simple_event("flock:window"))
    # The thief re-signs a checkpoint after the rotation with the stolen (revoked) key.
    latest = rotated.latest_checkpoint()
    text = latest.note.decode().split("\n\n")[0] + "\n"
    drop_triggers(rotated, "checkpoint")
    execute(
        rotated,
        "UPDATE checkpoint SET note = :n WHERE size = :s",
        n=sign_note(text, [old_signer]),
        s=latest.size,
    )  # type: ignore[list-item]
    with pytest.raises(AuditError, match=f"checkpoint of size {latest.size}: no valid signature"):
        audit(rotated)


def test_a_revoked_window_needs_its_successor_and_cannot_be_rewritten_by_the_old_key(
    fresh_settings,
    ledgers,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    from ledger.tlog.export import export_bundle
    from ledger.tlog.note import sign_note
    from tests.support.tampering import drop_triggers, execute, run_verify_bundle

    settings = fresh_settings()
    log = initialise(settings, ledgers.clock).log
    for _ in range(4):
        log.append(simple_event("flock:window2"))
    old_signer = log.signer
    old = log.active_log_key().verifier
    log.engine.dispose()
    rotated, index = rotate_log_key(settings, "stolen", revoke_from=2)
    rotated.append(simple_event("flock:window2"))
    new = rotated.active_log_key().verifier

    # The holder of the stolen key rewrites the trust list to call it retired, not revoked,
    # and adds its signature to the handover checkpoint.
    bundle = tmp_path / "bundle"
    export_bundle(rotated, bundle)
    trust_text = (bundle / "trust").read_bytes().decode().split("\n\n")[0] + "\n"
    forged = trust_text.replace("until=2 status=revoked", f"until={index + 2} status=retired")
    assert forged != trust_text
    (bundle / "trust").write_bytes(sign_note(forged, [old_signer]))  # type: ignore[list-item]
    status, output = run_verify_bundle(bundle, "--log-key", old.vkey)
    assert status == 1, output
    status, output = run_verify_bundle(bundle, "--log-key", new.vkey)
    assert status == 1, output

    # In the database: without the successor's first checkpoint the revoked window is
    # covered by nothing. (An auditor elsewhere has no signer state to notice the deletion.)
    drop_triggers(rotated, "checkpoint")
    execute(rotated, "DELETE FROM checkpoint WHERE size >= :s", s=index + 1)
    settings.state_file.rename(tmp_path / "state-elsewhere")
    with pytest.raises(AuditError, match="covers the revoked key's last checkpoints"):
        audit(rotated, pinned=[new])
