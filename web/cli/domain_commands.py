"""``flask users``, ``flask tokens``, ``flask events`` and ``flask demo``: the domain from a shell.

Every write goes through the same services as the API: accounts through
:class:`~ledger.supplychain.accounts.Accounts`, events through the schema and the
:class:`~ledger.supplychain.recording.recorder.Recorder` with all their rules.
"""

from __future__ import annotations

import functools
import sys
from typing import Any, BinaryIO

import click
from flask import Flask
from flask.cli import AppGroup
from marshmallow import ValidationError

from demo.loading import principals, record_steps, save_master_data
from demo.masterdata import DEMO_PASSWORD
from demo.season import build_season
from ledger.common.messages import N_, Message
from ledger.supplychain.accounts import Principal
from ledger.supplychain.vocabulary import ACCOUNT_ROLES
from schemas.events import load_command
from schemas.fields import check_gln
from web.cli.jsonl import import_json_lines
from web.cli.output import refusals_exit_1, say
from web.i18n import translate
from web.services import services

users_cli = AppGroup("users", help="Manage accounts.")
tokens_cli = AppGroup("tokens", help="Manage API tokens.")
events_cli = AppGroup("events", help="Record events through the ledger's rules.")
demo_cli = AppGroup("demo", help="Demo data.")

CLI_ADMIN = "cli"


def _principal(username: str) -> Principal:
    account = services().accounts.account(username)
    if not account.active:
        raise click.UsageError(f"{username} is deactivated")
    return Principal(account.id, account.username, account.role, account.organisation)


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ACCOUNT_ROLES), required=True)
@click.option("--organisation", help="GLN of the organisation the account acts for.")
@click.option("--name", "display_name", required=True, help="The person's name (kept private).")
@click.password_option(help="At least 10 characters; asked for when not given.")
@refusals_exit_1
def create_user(
    username: str, role: str, organisation: str | None, display_name: str, password: str
) -> None:
    """Create an account."""
    if organisation is not None:
        try:
            check_gln(organisation)
        except ValidationError as error:
            message = str(translate(error.messages[0]))
            raise click.BadParameter(message, param_hint="--organisation") from None
    info = services().accounts.create_account(
        username=username,
        password=password,
        role=role,
        organisation=organisation,
        display_name=display_name,
        by=CLI_ADMIN,
    )
    say(Message(N_("Created account {username} ({role})."), username=info.username, role=role))


@users_cli.command("list")
@refusals_exit_1
def list_users() -> None:
    """List the accounts: name, role, organisation and whether it can sign in."""
    accounts = services().accounts.accounts()
    for info in accounts:
        state = Message(N_("active") if info.active else N_("deactivated"))
        click.echo(f"{info.username}\t{info.role}\t{info.organisation or '-'}\t{translate(state)}")
    say(Message(N_("Accounts: {count}."), count=len(accounts)), err=True)


@users_cli.command("deactivate")
@click.argument("username")
@refusals_exit_1
def deactivate_user(username: str) -> None:
    """Stop an account from signing in or using its tokens; its sessions end at once."""
    services().accounts.set_active(username, False, by=CLI_ADMIN)
    say(Message(N_("Deactivated account {username}."), username=username))


@users_cli.command("password")
@click.argument("username")
@click.password_option(help="At least 10 characters; asked for when not given.")
@refusals_exit_1
def set_password(username: str, password: str) -> None:
    """Set an account's password (a reset); every session of the account ends."""
    services().accounts.set_password(username, password, by=CLI_ADMIN)
    say(
        Message(
            N_("Set a new password for {username}; its sessions have ended."), username=username
        )
    )


@tokens_cli.command("create")
@click.argument("username")
@click.option("--label", required=True, help="What the token is for (a tablet, a scale, …).")
@click.option("--days", type=click.IntRange(1, 366), default=90, show_default=True)
@refusals_exit_1
def create_token(username: str, label: str, days: int) -> None:
    """Create an API token acting as USERNAME; it is printed once and never stored."""
    issued = services().accounts.create_token(username, label=label, days=days, by=CLI_ADMIN)
    say(
        Message(
            N_("Token {id} for {username}, valid until {expires_at}. Keep it secret:"),
            id=issued.id,
            username=username,
            expires_at=issued.expires_at,
        ),
        err=True,
    )
    click.echo(issued.secret)


@tokens_cli.command("revoke")
@click.argument("token_id", type=click.IntRange(1, 2**62))
@refusals_exit_1
def revoke_token(token_id: int) -> None:
    """Revoke an API token now."""
    services().accounts.revoke_token(token_id, by=CLI_ADMIN)
    say(Message(N_("Revoked token {id}."), id=token_id))


@events_cli.command("import")
@click.argument("source", type=click.File("rb"))
@click.option("--as", "username", required=True, help="The account that records the events.")
@refusals_exit_1
def import_events(source: BinaryIO, username: str) -> None:
    """Record the event requests of a JSON Lines file in one transaction: all or none.

    Each line is what ``POST /api/v1/events`` accepts; every rule applies.
    """
    principal = _principal(username)
    import_json_lines(
        source,
        load_command,
        functools.partial(services().recorder.record_batch, principal),
        invalid=N_("{count} invalid lines; nothing was recorded."),
        written=N_("Recorded {count} events ({repeated} were repeats of earlier ones)."),
        refusal_fields=True,
    )


@demo_cli.command("seed")
@click.option("--scale", type=click.IntRange(1, 1000), default=1, show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing when the ledger already has entries.")
@refusals_exit_1
def seed_demo(scale: int, if_empty: bool) -> None:
    """Record a season in Hưng Yên through the same services as the API."""
    log = services().log
    if log.size() > 0:
        if if_empty:
            say(Message(N_("The ledger already has {size} entries; no demo."), size=log.size()))
            return
        raise click.UsageError("the demo goes into an empty ledger; start from a new database")
    season = build_season(scale, log.clock.now())
    save_master_data(log, season)
    people = principals(log, season, create_accounts=True)
    progress: Any = None
    if sys.stderr.isatty():
        progress = click.progressbar(length=len(season.steps), file=sys.stderr)
    report = record_steps(
        services().recorder, season, people, progress.update if progress else None
    )
    if progress is not None:
        progress.render_finish()
    say(Message(N_("Recorded {count} demo events."), count=report.recorded))
    for refusal in report.refusals:
        # Planned: the season asks for steps that break a rule, to show the rule at work.
        say(
            Message(
                N_(
                    "Showing a rule at work: the demo asked for a step the rules forbid, and "
                    "the ledger refused it as it must (this is not an error): {reason}"
                ),
                reason=refusal,
            )
        )
    say(
        Message(
            N_("Demo accounts: {users}; password: {password}"),
            users=", ".join(sorted(season.accounts)[:6]) + ", …",
            password=DEMO_PASSWORD,
        )
    )


def init_app(app: Flask) -> None:
    for group in (users_cli, tokens_cli, events_cli, demo_cli):
        app.cli.add_command(group)
