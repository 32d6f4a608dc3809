"""What the commands print: every message in the configured language, and a refusal of the
ledger as its message and field errors on stderr with exit status 1, never a traceback."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click

from ledger.common.errors import ErrorTree, LedgerError
from ledger.common.messages import Message
from web.i18n import translate

Arguments = ParamSpec("Arguments")
Result = TypeVar("Result")


def say(message: Message | str, *, err: bool = False) -> None:
    click.echo(translate(message), err=err)


def print_field_errors(errors: ErrorTree) -> None:
    """One indented ``field: problems`` line per field, on stderr, under the refusal."""
    for field, problems in translate(errors).items():
        click.echo(f"  {field}: {problems}", err=True)


def refusals_exit_1(command: Callable[Arguments, Result]) -> Callable[Arguments, Result]:
    """Print a ledger refusal in the user's language and exit 1, without a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Arguments.args, **kwargs: Arguments.kwargs) -> Result:
        try:
            return command(*args, **kwargs)
        except LedgerError as error:
            say(error.message, err=True)
            print_field_errors(error.errors)
            sys.exit(1)

    return wrapper
