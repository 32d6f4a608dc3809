"""``flask ledger …``: initialise, append, verify, checkpoint, export, rotate the key, erase.

Each command calls one ledger function and prints its outcome in the configured language
(``HYT_LANGUAGE``). Refusals exit with status 1 and say what to do.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from marshmallow import ValidationError

from ledger.common.errors import LedgerError
from ledger.common.messages import N_, Message
from ledger.supplychain.audit_checks import supply_chain_checks
from ledger.tlog.audit import audit
from ledger.tlog.bootstrap import initialise, open_log, rotate_log_key
from ledger.tlog.errors import BatchError
from ledger.tlog.export import export_bundle
from ledger.tlog.note import Verifier
from schemas.envelope import load_envelope
from web.config import ledger_settings
from web.i18n import translate
from web.jsonio import describe_json_error, strict_loads
from web.log import forget_log, get_log

ledger_cli = AppGroup("ledger", help="Manage the append-only ledger.")
Command = TypeVar("Command", bound=Callable[..., Any])


def say(message: Message | str, *, err: bool = False) -> None:
    click.echo(translate(message), err=err)


def refusals_exit_1(command: Command) -> Command:
    """Print a ledger refusal in the user's language and exit 1, without a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except LedgerError as error:
            say(error.message, err=True)
            for field, problems in translate(error.errors).items():
                click.echo(f"  {field}: {problems}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _clock() -> Any:
    return current_app.extensions.get("hyt_log_clock")


@ledger_cli.command("init")
@refusals_exit_1
def init_command() -> None:
    """Create the schema, the log key (if absent) and the first checkpoint."""
    result = initialise(ledger_settings(current_app.config), _clock())
    forget_log(current_app)
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


def read_json_lines(
    stream: BinaryIO, load: Callable[[Any], Any]
) -> tuple[list[Any], list[tuple[int, Any]]]:
    """Every line loaded by ``load``, and the problems of the lines that failed, by number."""
    loaded, problems = [], []
    for number, raw in enumerate(stream, 1):
        try:
            line = raw.decode("utf-8")
            if not line.strip():
                continue
            loaded.append(load(strict_loads(line)))
        except ValidationError as error:
            problems.append((number, error.normalized_messages()))
        except ValueError as error:  # also UnicodeDecodeError
            problems.append((number, {"$": [describe_json_error(error)]}))
    return loaded, problems


def report_problems(problems: list[tuple[int, Any]], summary: Message) -> None:
    """Print each bad line with its field errors, then the summary, and exit 1."""
    for number, errors in problems:
        click.echo(
            translate(
                Message(
                    N_("line {line}: {errors}"),
                    line=number,
                    errors=json.dumps(translate(errors), ensure_ascii=False),
                )
            ),
            err=True,
        )
    say(summary, err=True)
    sys.exit(1)


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
    log = get_log()
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
    events, problems = read_json_lines(source, load_envelope)
    if problems:
        report_problems(
            problems,
            Message(N_("{count} invalid lines; nothing was appended."), count=len(problems)),
        )
    try:
        results = log.append_batch(events)
    except BatchError as error:
        say(error.message, err=True)
        sys.exit(1)
    repeated = sum(1 for r in results if r.repeated)
    say(
        Message(
            N_("Appended {count} entries ({repeated} were repeats of existing ones)."),
            count=len(results) - repeated,
            repeated=repeated,
        )
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
    log = open_log(settings, _clock(), check_rewind=False, load_key=False)
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
    click.echo(get_log().checkpoint(force=True).note.decode(), nl=False)


@ledger_cli.command("export")
@click.argument("destination", type=click.Path(path_type=Path))
@refusals_exit_1
def export_command(destination: Path) -> None:
    """Write the tlog-tiles bundle (a directory, or a .tar / .tar.gz file)."""
    log = get_log()
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
    log, index = rotate_log_key(ledger_settings(current_app.config), reason, revoke_from, _clock())
    forget_log(current_app)
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
    get_log().erase_private(index, field, reason)
    say(Message(N_("Erased private field {field!r} of entry {index}."), field=field, index=index))


@ledger_cli.command("reveal")
@click.argument("index", type=click.IntRange(0, 2**63 - 1))
@refusals_exit_1
def reveal_command(index: int) -> None:
    """Print an entry's private values and salts as disclosures (JSON Lines) for an auditor."""
    for item in get_log().private_values(index):
        click.echo(json.dumps(item, ensure_ascii=False))


@ledger_cli.command("status")
@refusals_exit_1
def status_command() -> None:
    """Show the size, the latest checkpoint and the active log key."""
    log = get_log()
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
