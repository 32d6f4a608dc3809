"""``flask ledger …``: initialise, append, verify, checkpoint, export, rotate the key, erase.

Each command calls one ledger function and prints its outcome in the configured language
(``HYT_LANGUAGE``). Refusals exit with status 1 and say what to do.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, BinaryIO

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ledger.common.errors import LedgerError
from ledger.common.messages import N_, Message
from ledger.supplychain.audit_checks import supply_chain_checks
from ledger.tlog.audit import audit
from ledger.tlog.bootstrap import initialise, open_log, rotate_log_key
from ledger.tlog.export import export_bundle
from ledger.tlog.note import Verifier
from schemas.envelope import load_envelope
from web.cli.jsonl import import_json_lines
from web.cli.output import refusals_exit_1, say
from web.config import ledger_settings
from web.i18n import translate
from web.services import configured_clock, forget_services, services

ledger_cli = AppGroup("ledger", help="Manage the append-only ledger.")


@ledger_cli.command("init")
@refusals_exit_1
def init_command() -> None:
    """Create the schema, the log key (if absent) and the first checkpoint."""
    result = initialise(ledger_settings(current_app.config), configured_clock(current_app))
    forget_services(current_app)
    key = result.log.active_log_key()
    if result.created_ledger:
        say(Message(N_("Created the ledger {origin}."), origin=result.log.origin))
    else:
        say(
            Message(
                N_("The ledger {origin} is initialised and consistent."), origin=result.log.origin
            )
        )
    if result.created_key:
        say(Message(N_("Created a new log key in {path}."), path=result.log.settings.key_file))
    say(Message(N_("Log verifier key: {vkey}"), vkey=key.verifier.vkey))
    say(
        Message(
            N_("Key fingerprint (SHA-256): {fingerprint}"), fingerprint=key.verifier.fingerprint
        )
    )
    result.log.engine.dispose()


@ledger_cli.command("append")
@click.argument("source", type=click.File("rb"))
@click.option(
    "--if-empty", is_flag=True, help="Do nothing, successfully, when the ledger has entries."
)
@refusals_exit_1
def append_command(source: BinaryIO, if_empty: bool) -> None:
    """Restore envelopes (JSON Lines) into an empty ledger, in one transaction: all or none.

    This is the core's raw append, for restoring an export; it bypasses the supply-chain rules,
    so it refuses a ledger that already has entries. Record events with ``flask events import``
    or the API instead.
    """
    log = services().log
    if log.size() > 0:
        message = Message(
            N_("The ledger already has {size} entries; nothing was appended."), size=log.size()
        )
        if if_empty:
            say(message)
            return
        say(message, err=True)
        say(
            Message(
                N_(
                    "`flask ledger append` only restores into an empty ledger; record events "
                    "with `flask events import FILE --as USER` or the API."
                )
            ),
            err=True,
        )
        sys.exit(1)
    import_json_lines(
        source,
        load_envelope,
        log.append_batch,
        invalid=N_("{count} invalid lines; nothing was appended."),
        written=N_("Appended {count} entries ({repeated} were repeats of existing ones)."),
        refusal_fields=False,
    )


@ledger_cli.command("verify")
@click.option(
    "--trust-first-key",
    is_flag=True,
    help="Without a pinned key, trust the database's own first key (this only shows that the "
    "database is consistent with itself).",
)
@click.option(
    "--log-key",
    "log_keys",
    multiple=True,
    help="The log's verifier key as published (name+keyid+key); repeatable. "
    "Defaults to the public key kept beside the key file.",
)
@click.option(
    "--known-checkpoint",
    "known",
    multiple=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="A signed checkpoint seen earlier; the log must be consistent with it.",
)
@refusals_exit_1
def verify_command(
    trust_first_key: bool, log_keys: tuple[str, ...], known: tuple[Path, ...]
) -> None:
    """Recompute and check everything: hashes, tiles, roots, signatures, chains, commitments.

    Needs no private key: it checks signatures against the pinned public key.
    """
    settings = ledger_settings(current_app.config)
    pinned = [Verifier.parse(vkey) for vkey in log_keys] or None
    log = open_log(settings, configured_clock(current_app), check_rewind=False, load_key=False)
    bar: Any = None
    if sys.stderr.isatty():
        bar = click.progressbar(
            length=max(log.size(), 1), file=sys.stderr, label=translate(Message(N_("Verifying")))
        )

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.update(done - bar.pos)

    try:
        report = audit(
            log,
            progress,
            [path.read_bytes() for path in known],
            pinned,
            trust_first_key,
            checks=supply_chain_checks(),
        )
    except LedgerError as error:
        if bar is not None:
            bar.render_finish()
        say(Message(N_("FAILED: {reason}"), reason=error.message))
        sys.exit(1)
    if bar is not None:
        bar.render_finish()
    for warning in report.warnings:
        say(Message(N_("warning: {warning}"), warning=warning), err=True)
    say(report.summary())


@ledger_cli.command("checkpoint")
@refusals_exit_1
def checkpoint_command() -> None:
    """Sign a checkpoint of the current tree now and print it."""
    click.echo(services().log.checkpoint(force=True).note.decode(), nl=False)


@ledger_cli.command("export")
@click.argument("destination", type=click.Path(path_type=Path))
@refusals_exit_1
def export_command(destination: Path) -> None:
    """Write the tlog-tiles bundle (a directory, or a .tar / .tar.gz file)."""
    log = services().log
    try:
        size = export_bundle(log, destination)
    except FileExistsError:
        say(
            Message(
                N_("{path} already exists and is not empty; choose a new destination."),
                path=destination,
            ),
            err=True,
        )
        sys.exit(1)
    except LookupError as error:
        say(Message(N_("The export stopped: {reason}"), reason=str(error)), err=True)
        sys.exit(1)
    say(Message(N_("Exported {size} entries to {path}."), size=size, path=destination))
    say(
        Message(
            N_("Check it with: python scripts/verify_bundle.py {path} --log-key {vkey}"),
            path=destination,
            vkey=log.active_log_key().verifier.vkey,
        )
    )


@ledger_cli.command("rotate-key")
@click.option("--reason", required=True, help="Why the key is replaced (recorded in the ledger).")
@click.option(
    "--revoke-from",
    type=int,
    default=None,
    help="Declare the old key compromised from this ledger position on.",
)
@refusals_exit_1
def rotate_key_command(reason: str, revoke_from: int | None) -> None:
    """Replace the log key; the rotation is itself a ledger entry."""
    log, index = rotate_log_key(
        ledger_settings(current_app.config), reason, revoke_from, configured_clock(current_app)
    )
    forget_services(current_app)
    say(
        Message(
            N_("Rotated the log key in entry {index}. New verifier key: {vkey}"),
            index=index,
            vkey=log.active_log_key().verifier.vkey,
        )
    )
    log.engine.dispose()


@ledger_cli.command("erase")
@click.argument("index", type=click.IntRange(0, 2**63 - 1))
@click.argument("field")
@click.option("--reason", required=True, help="Why the value is erased (kept with the erasure).")
@refusals_exit_1
def erase_command(index: int, field: str, reason: str) -> None:
    """Erase a private value and its salt; the log stays verifiable."""
    services().log.erase_private(index, field, reason)
    say(Message(N_("Erased private field {field!r} of entry {index}."), field=field, index=index))


@ledger_cli.command("reveal")
@click.argument("index", type=click.IntRange(0, 2**63 - 1))
@refusals_exit_1
def reveal_command(index: int) -> None:
    """Print an entry's private values and salts as disclosures (JSON Lines) for an auditor."""
    for item in services().log.private_values(index):
        click.echo(json.dumps(item, ensure_ascii=False))


@ledger_cli.command("status")
@refusals_exit_1
def status_command() -> None:
    """Show the size, the latest checkpoint and the active log key."""
    log = services().log
    latest = log.latest_checkpoint()
    say(
        Message(
            N_(
                "Log {origin}: {size} entries; latest checkpoint of size {checkpoint} signed "
                "at {signed_at}."
            ),
            origin=log.origin,
            size=log.size(),
            checkpoint=latest.size,
            signed_at=latest.signed_at,
        )
    )
    say(Message(N_("Log verifier key: {vkey}"), vkey=log.active_log_key().verifier.vkey))


def init_app(app: Flask) -> None:
    app.cli.add_command(ledger_cli)
