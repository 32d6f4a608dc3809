"""The README as a reader meets it: rendered by a CommonMark library, and its ``curl`` examples
run against the demo season, each answering the status it promises.

The examples are read from the README's ``sh`` blocks. A line ``VAR=$(command)`` runs the
command (``flask …`` through the app's command line, ``date`` as itself); every other word is
expanded by ``bash`` itself, so quoting and ``$VAR`` mean what they mean in a terminal. A comment
right after a ``curl`` command, on its line or the next, may start with the status it promises
(``# 422 insufficient_quantity: …`` also promises the error's ``code``); without one the
example promises 200.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from markdown_it import MarkdownIt
from markdown_it.token import Token

from tests.support.apps import app_config, seed_demo
from tests.support.databases import DatabaseFactory
from web import create_app
from web.services import services

README = Path(__file__).resolve().parents[1] / "README.md"
LOCAL_SERVER = "http://127.0.0.1:5000"
PROMISE = re.compile(r"#\s*(\d{3})\b(?:\s+([a-z][a-z0-9_]*)(?=[:,;\s]|$))?")
ASSIGNMENT = re.compile(r"([A-Z_][A-Z0-9_]*)=(.*)")


def readme_tokens() -> list[Token]:
    return list(MarkdownIt("commonmark").enable("table").parse(README.read_text("utf-8")))


def test_every_section_heading_renders_as_a_heading() -> None:
    """A code fence left open swallows every section after it; CommonMark says where one ends."""
    source = README.read_text("utf-8")
    written = [line[3:].strip() for line in source.splitlines() if line.startswith("## ")]
    tokens = readme_tokens()
    rendered = [
        tokens[position + 1].content
        for position, token in enumerate(tokens)
        if token.type == "heading_open" and token.tag == "h2"
    ]
    assert {"Tiếng Việt", "English"} <= set(written)
    assert rendered == written
    # The headings of the sections after the deployment notes, in both languages.
    third = [
        tokens[position + 1].content
        for position, token in enumerate(tokens)
        if token.type == "heading_open" and token.tag == "h3"
    ]
    assert {"Các khái niệm chính", "Quick start", "Layout", "REST API"} <= set(third)


def shell_examples() -> list[list[str]]:
    """The README's ``sh`` blocks that call ``curl``, in order: their commands and comments,
    continuations and quotations across lines joined."""
    found = []
    for token in readme_tokens():
        if token.type != "fence" or token.info.strip() != "sh":
            continue
        text = token.content.replace("\\\n", " ")
        if "curl " not in text:
            continue
        lines, pending = [], ""
        for line in text.splitlines():
            pending = f"{pending}\n{line}" if pending else line.strip()
            try:
                shlex.split(pending, comments=True)
            except ValueError:  # a quotation goes on to the next line
                continue
            if pending:
                lines.append(pending)
            pending = ""
        assert not pending, f"an unclosed quotation in the README: {pending}"
        found.append(lines)
    return found


def words(command: str, variables: dict[str, str]) -> list[str]:
    """``command``'s words after the shell's own quoting and expansion (no command runs)."""
    answer = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", f'set -- {command}\nprintf "%s\\0" "$@"'],
        env={"PATH": "/usr/bin:/bin", **variables},
        capture_output=True,
        check=True,
        timeout=10,
    )
    return answer.stdout.decode("utf-8").split("\0")[:-1]


@pytest.fixture(scope="module")
def demo(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The demo season as ``make run`` loads it (the system clock: the season ends today)."""
    app = create_app(
        app_config(
            databases.sqlite(),
            tmp_path_factory.mktemp("readme"),
            LEDGER_TILE_HEIGHT=8,
            CHECKPOINT_INTERVAL=1,
        )
    )
    seed_demo(app)
    yield app
    services(app).log.engine.dispose()


def substitution(demo: Flask, command: str) -> str:
    """What ``$(command)`` prints: ``flask`` through the app's command line, ``date`` as is."""
    command = re.sub(r"\s*2>\s*/dev/null\s*$", "", command)
    argv = shlex.split(command)
    if argv[0].endswith("/flask") or argv[0] == "flask":
        argv = argv[1:]
        if argv[:2] == ["--app", "web"]:
            argv = argv[2:]
        result = demo.test_cli_runner().invoke(args=argv)
        assert result.exit_code == 0, (command, result.output)
        return result.stdout.strip().splitlines()[-1]
    assert argv[0] == "date", f"the README's example runs {argv[0]}; teach this test about it"
    date = shutil.which("date")
    assert date is not None
    return subprocess.run([date, *argv[1:]], capture_output=True, text=True, check=True).stdout


def call(demo: Flask, argv: list[str]) -> tuple[int, object, str]:
    """Answer ``curl`` ``argv`` (the options the README uses) with the app's test client."""
    assert argv[0] == "curl"
    method, headers, body, url = "GET", {}, None, None
    options = iter(argv[1:])
    for option in options:
        if option in ("-s", "-i", "-sS", "--silent"):
            continue
        if option == "-H":
            name, _, value = next(options).partition(":")
            headers[name.strip()] = value.strip()
        elif option == "-X":
            method = next(options)
        elif option in ("-d", "--data", "--data-raw"):
            body = next(options)
            method = "POST" if method == "GET" else method
        elif option.startswith("-"):
            raise AssertionError(f"the README's curl uses {option}; teach this test about it")
        else:
            url = option
    assert url is not None
    assert url.startswith(LOCAL_SERVER), url
    parts = urlsplit(url)
    response = demo.test_client().open(
        parts.path, method=method, query_string=parts.query, headers=headers, data=body
    )
    text = response.get_data(as_text=True)
    try:
        answer: object = json.loads(text)
    except ValueError:
        answer = None
    return response.status_code, answer, text


@pytest.mark.timeout(120)
def test_every_curl_example_answers_what_it_promises(demo: Flask) -> None:
    examples = shell_examples()
    assert len(examples) >= 2
    variables: dict[str, str] = {}
    checked = 0
    failures = []
    for example in examples:
        for position, line in enumerate(example):
            assigned = ASSIGNMENT.fullmatch(line)
            if assigned and assigned.group(2).startswith("$(") and line.endswith(")"):
                variables[assigned.group(1)] = substitution(demo, assigned.group(2)[2:-1]).strip()
                continue
            if assigned:
                variables[assigned.group(1)] = words(assigned.group(2), variables)[0]
                continue
            if not line.startswith("curl "):
                continue
            comment = line.partition(" #")[2]
            following = example[position + 1] if position + 1 < len(example) else ""
            if not comment and following.startswith("#"):
                comment = following[1:]
            promise = PROMISE.match("#" + comment.strip()) if comment else None
            status = int(promise.group(1)) if promise else 200
            code = promise.group(2) if promise else None
            got, answer, text = call(demo, ["curl", *words(line[len("curl ") :], variables)])
            checked += 1
            if got != status or (
                code is not None and not (isinstance(answer, dict) and answer.get("code") == code)
            ):
                promised = f"{status} {code}" if code else str(status)
                failures.append(f"{line}\n  promises {promised}, got {got}: {text[:200]}")
    assert checked >= 5
    assert not failures, "\n".join(failures)
