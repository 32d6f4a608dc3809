"""``flask labels …``: the organisations' label keys, and printing a lot's labels, from a shell.

Each command calls one function of :mod:`labels.label_keys`, :mod:`ledger.tlog.key_events` or
:mod:`labels.printing`; registration, rotation, retirement and revocation are ledger entries, and
the trust list publishes the result.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from marshmallow import ValidationError

from labels.label_keys import create_label_key
from labels.layouts import LAYOUTS
from labels.printing import count_labels, issued_labels, print_lot_labels
from ledger.common.messages import N_, Message
from ledger.supplychain.label_issues import labelled_lots
from ledger.tlog.key_events import end_label_key
from ledger.tlog.key_registry import ROLE_LABEL
from schemas.fields import check_gln, check_subject_id
from web.cli.output import refusals_exit_1, say
from web.i18n import translate
from web.services import services

labels_cli = AppGroup("labels", help="Signed QR labels.")
keys_cli = AppGroup("keys", help="The organisations' label keys.")
labels_cli.add_command(keys_cli)


def _organisation(value: str) -> str:
    try:
        return check_gln(value)
    except ValidationError as error:
        raise click.BadParameter(translate(error.messages[0])) from None


@keys_cli.command("create")
@click.argument("organisation")
@click.option(
    "--prefix",
    "prefixes",
    multiple=True,
    required=True,
    help="A GS1 company prefix whose GTINs the key may sign (repeat for several).",
)
@click.option("--reason", required=True, help="Why the key is created (recorded in the ledger).")
@refusals_exit_1
def create_command(organisation: str, prefixes: tuple[str, ...], reason: str) -> None:
    """Create the organisation's label key; it replaces (retires) the current one."""
    appended, verifier = create_label_key(
        services().log, _organisation(organisation), prefixes, reason, by="cli"
    )
    say(
        Message(
            N_("Registered label key {vkey} in entry {index}."),
            vkey=verifier.vkey,
            index=appended.index,
        )
    )


@keys_cli.command("end")
@click.argument("organisation")
@click.option("--reason", required=True, help="Why the key ends (recorded in the ledger).")
@click.option(
    "--revoke-from",
    type=click.IntRange(0, 2**63 - 1),
    default=None,
    help="Declare the key compromised: labels issued from this ledger position on are invalid.",
)
@click.option(
    "--key",
    "key_id",
    default=None,
    help="The key ID (8 hex digits, as `list` shows) of an older, replaced key to revoke.",
)
@refusals_exit_1
def end_command(
    organisation: str, reason: str, revoke_from: int | None, key_id: str | None
) -> None:
    """Retire the organisation's label key, or revoke it (or an older one) with --revoke-from."""
    if key_id is not None and not re.fullmatch(r"[0-9a-fA-F]{8}", key_id):
        raise click.BadParameter(
            translate(
                Message(N_("A key ID is 8 hexadecimal digits, not {value!r}."), value=key_id)
            ),
            param_hint="--key",
        )
    if key_id is not None and revoke_from is None:
        raise click.BadParameter(
            translate(Message(N_("An older key can only be revoked: give --revoke-from."))),
            param_hint="--key",
        )
    appended = end_label_key(
        services().log,
        _organisation(organisation),
        reason,
        revoke_from,
        key_id=None if key_id is None else int(key_id, 16),
        by="cli",
    )
    template = (
        N_("Revoked the label key in entry {index}.")
        if revoke_from is not None
        else N_("Retired the label key in entry {index}.")
    )
    say(Message(template, index=appended.index))


@labels_cli.command("print")
@click.argument("lot")
@click.option(
    "--layout",
    type=click.Choice(sorted(LAYOUTS)),
    default="a4-3x7",
    show_default=True,
    help="The paper: an A4 sheet of adhesive labels or a thermal roll.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="The zip to write: PDFs of at most 1,000 labels each.",
)
@refusals_exit_1
def print_command(lot: str, layout: str, output: Path) -> None:
    """Print every issued label of LOT (lot:<GTIN-14>/<lot code>) into a zip of PDFs."""
    try:
        lot_id = check_subject_id(lot)
    except ValidationError as error:
        raise click.BadParameter(translate(error.messages[0]), param_hint="LOT") from None
    log = services().log
    total = count_labels(log, lot_id)
    with click.progressbar(length=total, label=translate(Message(N_("Labels")))) as bar:
        shown = 0

        def progress(done: int, _total: int) -> None:
            nonlocal shown
            bar.update(done - shown)
            shown = done

        printed = print_lot_labels(
            log, lot_id, layout, current_app.config["LABEL_BASE_URL"], output, progress=progress
        )
    say(
        Message(
            N_("Wrote {count} labels in {files} PDF files to {path}."),
            count=printed.labels,
            files=len(printed.files),
            path=str(output),
        )
    )


@labels_cli.command("urls")
@click.argument("lot", required=False)
@click.option("--limit", type=click.IntRange(1, 100_000), default=3, show_default=True)
@refusals_exit_1
def urls_command(lot: str | None, limit: int) -> None:
    """Print signed label URLs of LOT, or of the lots most recently labelled (to try the page,
    or to print with other software)."""
    log = services().log
    base = current_app.config["LABEL_BASE_URL"]
    if lot is None:
        chosen = labelled_lots(log.engine)
    else:
        try:
            chosen = [check_subject_id(lot)]
        except ValidationError as error:
            raise click.BadParameter(translate(error.messages[0]), param_hint="LOT") from None
    for lot_id in chosen:
        click.echo(lot_id)
        for label in itertools.islice(issued_labels(log, lot_id, base), limit):
            click.echo(f"  {label.url}")


@keys_cli.command("list")
@refusals_exit_1
def list_command() -> None:
    """List every label key with its organisation, range, status and company prefixes."""
    for key in services().log.keys(ROLE_LABEL):
        until = "" if key.valid_until is None else str(key.valid_until)
        click.echo(
            f"{key.organisation}\t{key.verifier.key_id:08x}\t{key.status}\t"
            f"[{key.valid_from}, {until})\t"
            f"{','.join(key.company_prefixes)}\t{key.verifier.vkey}"
        )


def init_app(app: Flask) -> None:
    app.cli.add_command(labels_cli)
