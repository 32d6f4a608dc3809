"""Importing a JSON Lines file in one transaction, as ``flask ledger append`` and ``flask events
import`` do: every line is loaded first, and nothing is written while any line is invalid."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO, Protocol, TypeVar

import click
from marshmallow import ValidationError

from ledger.common.messages import N_, Message
from ledger.tlog.errors import BatchError
from web.cli.output import print_field_errors, say
from web.errors import field_errors
from web.i18n import translate
from web.jsonio import describe_json_error, strict_loads

Loaded = TypeVar("Loaded")


class Written(Protocol):
    """What writing one line gave; a repeat is a line the ledger already held."""

    @property
    def repeated(self) -> bool: ...


def read_json_lines(
    stream: BinaryIO, load: Callable[[Any], Loaded]
) -> tuple[list[Loaded], list[tuple[int, Any]]]:
    """Every line loaded by ``load``, and the problems of the lines that failed, by number."""
    loaded: list[Loaded] = []
    problems: list[tuple[int, Any]] = []
    for number, raw in enumerate(stream, 1):
        try:
            line = raw.decode("utf-8")
            if not line.strip():
                continue
            loaded.append(load(strict_loads(line)))
        except ValidationError as error:
            problems.append((number, field_errors(error)))
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


def import_json_lines(
    source: BinaryIO,
    load: Callable[[Any], Loaded],
    write: Callable[[list[Loaded]], Sequence[Written]],
    *,
    invalid: str,
    written: str,
    refusal_fields: bool,
) -> None:
    """Load every line of ``source``, ``write`` them all in one transaction, and say how many.

    ``invalid`` (``{count}`` lines) and ``written`` (``{count}`` new, ``{repeated}`` repeats) are
    the message templates. A refused line exits 1 with the refusal, followed by the fields it
    names when ``refusal_fields``.
    """
    loaded, problems = read_json_lines(source, load)
    if problems:
        report_problems(problems, Message(invalid, count=len(problems)))
    try:
        results = write(loaded)
    except BatchError as error:
        say(error.message, err=True)
        if refusal_fields:
            print_field_errors(error.cause.errors)
        sys.exit(1)
    repeated = sum(1 for result in results if result.repeated)
    say(Message(written, count=len(results) - repeated, repeated=repeated))
