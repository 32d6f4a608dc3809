"""Tampering with a ledger database is caught by the audit and by the stand-alone bundle check.

Each case drops the append-only triggers on the test's own database first: they are a backstop,
the hashes and signed checkpoints are the control.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.tlog.audit import audit
from ledger.tlog.errors import AuditError
from ledger.tlog.export import export_bundle
from ledger.tlog.log import Log
from ledger.tlog.note import Signer, sign_note
from tests.support.factories import event, simple_event
from tests.support.tampering import drop_triggers, execute, run_verify_bundle


@pytest.fixture
def populated(fresh_log: Callable[..., Log]) -> Log:
    log = fresh_log()
    for number in range(9):
        log.append(
            event(
                subjects=[{"id": f"flock:tamper-{number % 3}", "role": "observed"}],
                private={"price": {"amount": str(1000 + number), "currency": "VND"}},
            )
        )
    return log


def vkey(log: Log) -> str:
    return log.active_log_key().verifier.vkey


def audit_error(log: Log, **kwargs: object) -> str:
    with pytest.raises(AuditError) as caught:
        audit(log, **kwargs)  # type: ignore[arg-type]
    return str(caught.value)


def bundle_error(log: Log, tmp_path: Path, *extra: str, key: str | None = None) -> str:
    bundle = tmp_path / "bundle"
    if not bundle.exists():
        export_bundle(log, bundle)
    status, output = run_verify_bundle(bundle, "--log-key", key or vkey(log), *extra)
    assert status == 1, output
    assert output.startswith("FAILED: ")
    return output


def test_an_untampered_ledger_passes_both(populated: Log, tmp_path: Path) -> None:
    assert audit(populated).entries == 9
    export_bundle(populated, tmp_path / "bundle")
    status, output = run_verify_bundle(tmp_path / "bundle", "--log-key", vkey(populated))
    assert status == 0, output
    assert output.startswith("OK: 9 entries"), output


def test_one_changed_byte(populated: Log, tmp_path: Path) -> None:
    drop_triggers(populated, "entry")
    data = bytearray(populated.entry(4).data)
    data[data.index(b"Nh")] ^= 0x01  # one bit of one byte
    execute(populated, "UPDATE entry SET data = :d WHERE idx = 4", d=bytes(data))
    assert "entry 4: the stored bytes hash to" in audit_error(populated)
    assert "entry 4: its bytes hash to" in bundle_error(populated, tmp_path)


def test_a_deleted_entry(populated: Log, tmp_path: Path) -> None:
    # In a bundle: entry 5 cut out of its entry bundle (tile height 2: bundle 1 holds 4..7).
    export_bundle(populated, tmp_path / "bundle")
    path = tmp_path / "bundle" / "tile" / "entries" / "001"
    data, kept, offset = path.read_bytes(), [], 0
    for position in range(4):
        length = int.from_bytes(data[offset : offset + 2], "big")
        if position != 1:
            kept.append(data[offset : offset + 2 + length])
        offset += 2 + length
    path.write_bytes(b"".join(kept))
    assert "entry 5: its bytes hash to" in bundle_error(populated, tmp_path)
    # In the database: the audit names the gap, and an export refuses to paper over it.
    drop_triggers(populated, "entry")
    execute(populated, "DELETE FROM entry WHERE idx = 5")
    assert "entry 5: the entry is missing" in audit_error(populated)
    with pytest.raises(LookupError, match="entry 5 is missing"):
        export_bundle(populated, tmp_path / "second")


def test_two_swapped_entries(populated: Log, tmp_path: Path) -> None:
    drop_triggers(populated, "entry")
    first, second = populated.entry(2), populated.entry(3)
    for index, other in ((2, second), (3, first)):
        execute(
            populated,
            "UPDATE entry SET data = :d, leaf_hash = :h WHERE idx = :i",
            d=other.data,
            h=other.leaf_hash,
            i=index,
        )
    assert "entry 2: the Merkle tree does not match" in audit_error(populated)
    assert "entry 2: its bytes hash to" in bundle_error(populated, tmp_path)


def test_a_checkpoint_re_signed_with_another_key(populated: Log, tmp_path: Path) -> None:
    drop_triggers(populated, "checkpoint")
    row = next(c for c in populated.checkpoints() if c.size == 6)
    text = row.note.decode().split("\n\n")[0] + "\n"
    forger = Signer.from_private_key(populated.origin, Ed25519PrivateKey.generate())
    execute(
        populated, "UPDATE checkpoint SET note = :n WHERE size = 6", n=sign_note(text, [forger])
    )
    message = audit_error(populated)
    assert "checkpoint of size 6: no valid signature by the log key valid at this size" in message
    assert "checkpoints/006: no valid signature by a trusted key" in bundle_error(
        populated, tmp_path
    )


def test_a_bundle_signed_by_keys_other_than_the_pinned_one(populated: Log, tmp_path: Path) -> None:
    stranger = Signer.from_private_key(populated.origin, Ed25519PrivateKey.generate())
    message = bundle_error(populated, tmp_path, key=stranger.verifier().vkey)
    assert "trust list (against the pinned log key): no valid signature by a trusted key" in message


def test_a_forked_history_against_a_known_checkpoint(
    populated: Log,
    tmp_path: Path,
    databases,
    ledgers,  # type: ignore[no-untyped-def]
) -> None:
    # The operator (holding the key) keeps a copy of the database at size 9, appends one event
    # there and shows it to a witness; then serves the original with a different event instead.
    populated.engine.dispose()
    fork_url = databases.snapshot(populated.settings.database_url)
    from dataclasses import replace

    from ledger.tlog.bootstrap import open_log

    fork_key = tmp_path / "fork" / "log-key.pem"
    fork_key.parent.mkdir()
    fork_key.write_bytes(populated.settings.key_file.read_bytes())
    fork_key.with_name("log-key.pem.state").write_bytes(populated.settings.state_file.read_bytes())
    fork = open_log(
        replace(populated.settings, database_url=fork_url, key_file=fork_key), ledgers.clock
    )
    fork.append(simple_event("flock:tamper-0", note="what the witness saw"))
    witnessed = tmp_path / "witnessed-checkpoint"
    witnessed.write_bytes(fork.latest_checkpoint().note)
    fork.engine.dispose()
    populated.append(simple_event("flock:tamper-0", note="what everyone else sees"))

    assert "a forked history" in audit_error(populated, known_checkpoints=[witnessed.read_bytes()])
    message = bundle_error(populated, tmp_path, "--known-checkpoint", str(witnessed))
    assert "known checkpoint #1 (fork check): size 10 has root" in message
    assert "a forked history" in message
    databases.drop(fork_url)


def test_a_rolled_back_log_against_a_known_checkpoint(populated: Log, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    export_bundle(populated, bundle)
    populated.append(simple_event("flock:later"))
    later = tmp_path / "later-checkpoint"
    later.write_bytes(populated.latest_checkpoint().note)
    status, output = run_verify_bundle(
        bundle, "--log-key", vkey(populated), "--known-checkpoint", later
    )
    assert status == 1
    assert "the bundle ends at 9: the log was rolled back or forked" in output


def test_a_private_value_that_no_longer_matches_its_commitment(
    populated: Log, tmp_path: Path
) -> None:
    disclosures = tmp_path / "disclosures.jsonl"
    [original] = populated.private_values(7)
    drop_triggers(populated, "private_value")
    tampered = json.dumps(
        {"field": "price", "value": {"amount": "1", "currency": "VND"}},
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    execute(populated, "UPDATE private_value SET value = :v WHERE entry_idx = 7", v=tampered)
    assert "entry 7: private field 'price' does not match its commitment" in audit_error(populated)
    disclosures.write_text(
        json.dumps({**original, "value": {"amount": "1", "currency": "VND"}}) + "\n"
    )
    message = bundle_error(populated, tmp_path, "--disclosure", str(disclosures))
    assert "entry 7: the disclosed private value 'price' does not match its commitment" in message
    # The genuine disclosure still checks out offline.
    disclosures.write_text(json.dumps(original) + "\n")
    status, output = run_verify_bundle(
        tmp_path / "bundle", "--log-key", vkey(populated), "--disclosure", disclosures
    )
    assert status == 0, output


def test_a_broken_chain_link(populated: Log) -> None:
    # Rewriting an entry consistently (bytes, leaf hash, tiles, tree head) still breaks the chain
    # of the entries after it and every signed checkpoint.
    drop_triggers(populated, "entry")
    envelope = populated.entry(7).envelope
    envelope["subjects"][0]["prev"] = "00" * 32
    from ledger.tlog.canonical import entry_bytes
    from ledger.tlog.merkle import leaf_hash

    data = entry_bytes(envelope)
    execute(
        populated,
        "UPDATE entry SET data = :d, leaf_hash = :h WHERE idx = 7",
        d=data,
        h=leaf_hash(data),
    )
    message = audit_error(populated)
    assert message.startswith("entry 7: ")


def test_a_rogue_key_added_to_the_registry(populated: Log) -> None:
    rogue = Signer.from_private_key(populated.origin, Ed25519PrivateKey.generate()).verifier()
    execute(
        populated,
        "INSERT INTO log_key (role, name, key_id, public_key, vkey, valid_from, created_at)"
        " VALUES ('log', :name, :key_id, :public, :vkey, 0, 'now')",
        name=rogue.name,
        key_id=rogue.key_id,
        public=rogue.public_key,
        vkey=rogue.vkey,
    )
    assert f"log key {rogue.vkey}: no rotation entry introduces it" in audit_error(populated)


def test_a_registry_replaced_by_a_rogue_key(populated: Log) -> None:
    drop_triggers(populated, "log_key")
    rogue = Signer.from_private_key(populated.origin, Ed25519PrivateKey.generate()).verifier()
    execute(
        populated,
        "UPDATE log_key SET key_id = :k, public_key = :p, vkey = :v",
        k=rogue.key_id,
        p=rogue.public_key,
        v=rogue.vkey,
    )
    # Checkpoints are signed by the real key, which the pin (the .pub file) still names.
    message = audit_error(populated)
    assert "checkpoint of size 0: no valid signature" in message


def test_a_deleted_private_value_row(populated: Log) -> None:
    drop_triggers(populated, "private_value")
    execute(populated, "DELETE FROM private_value WHERE entry_idx = 3")
    assert "entry 3: 1 of its committed private fields have no stored value" in audit_error(
        populated
    )


def test_a_pin_that_is_not_a_key_of_the_ledger(populated: Log) -> None:
    stranger = Signer.from_private_key(populated.origin, Ed25519PrivateKey.generate()).verifier()
    message = audit_error(populated, pinned=[stranger])
    assert "is not a log key of this ledger" in message


def test_without_a_pin_the_audit_refuses_unless_told_to_trust_the_first_key(
    populated: Log,
) -> None:
    from ledger.tlog.key_registry import public_key_file

    public = public_key_file(populated.settings.key_file)
    kept = public.read_bytes()
    public.unlink()
    try:
        assert "no log key is pinned" in audit_error(populated)
        report = audit(populated, trust_first_key=True)
        assert any("first registered key was trusted" in str(w) for w in report.warnings)
    finally:
        public.write_bytes(kept)


def test_deleted_checkpoints_are_noticed(populated: Log) -> None:
    drop_triggers(populated, "checkpoint")
    execute(populated, "DELETE FROM checkpoint WHERE size > 3")
    message = audit_error(populated)
    assert "the checkpoint of size 9 that the log key signed is no longer stored" in message


def test_a_tile_longer_than_the_tree(populated: Log) -> None:
    drop_triggers(populated, "tile")
    execute(populated, "UPDATE tile SET hashes = hashes || hashes WHERE level = 0 AND idx = 0")
    assert "tile 0/0: it holds 256 bytes but the tree has 4 hashes there" in audit_error(populated)


def test_an_undecodable_column_is_a_finding_not_a_crash(populated: Log) -> None:
    if populated.engine.dialect.name != "sqlite":
        pytest.skip("only SQLite lets a text column hold bytes that are not UTF-8")
    drop_triggers(populated, "entry")
    execute(populated, "UPDATE entry SET actor = CAST(X'FFFE' AS TEXT) WHERE idx = 2")
    assert "could not return the entries" in audit_error(populated)


def test_a_malformed_envelope_is_a_finding_not_a_crash(populated: Log) -> None:
    from ledger.tlog.canonical import ENTRY_PREFIX
    from ledger.tlog.merkle import leaf_hash

    drop_triggers(populated, "entry")
    data = ENTRY_PREFIX + b'{"actor":"org:8930000000019","subjects":"not a list"}'
    execute(
        populated,
        "UPDATE entry SET data = :d, leaf_hash = :h WHERE idx = 1",
        d=data,
        h=leaf_hash(data),
    )
    assert audit_error(populated).startswith("entry 1: ")
