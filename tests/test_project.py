"""Properties of the project as a whole: layering, documentation, translations."""

from __future__ import annotations

import ast
import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ledger", "schemas", "labels", "reports", "web")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module.split(".")[0])
    return modules


def test_the_ledger_core_never_imports_the_web_layer() -> None:
    forbidden = {"flask", "flask_babel", "werkzeug", "jinja2", "web"}
    for path in (ROOT / "ledger").rglob("*.py"):
        assert not _imported_modules(path) & forbidden, path


def test_import_contracts_hold() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 6 kept, 0 broken." in result.stdout
    assert "Each layer imports only the layers below it KEPT" in result.stdout
    assert "The demo season is built and recorded outside a Flask request KEPT" in result.stdout


def test_every_environment_variable_is_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pattern = re.compile(r"""(?:environ|env)(?:\.get)?[\[(]\s*["']([A-Z][A-Z0-9_]+)["']""")
    names = set()
    for package in (*PACKAGES, "scripts", "tests"):
        for path in (ROOT / package).rglob("*.py"):
            names |= set(pattern.findall(path.read_text(encoding="utf-8")))
    names |= set(re.findall(r"\$\{?([A-Z][A-Z0-9_]+)", (ROOT / ".ci" / "run").read_text()))
    names -= {"PYTHONPATH"}
    assert names, "no environment variables found: the pattern is broken"
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert not missing, f"undocumented in README.md: {missing}"


def test_the_readme_gives_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme
    assert "make test" in readme


def _source_messages() -> set[str]:
    keywords = {"N_": None, "Message": None, "_": None}
    method_map = [
        ("ledger/**.py", "python"),
        ("schemas/**.py", "python"),
        ("labels/**.py", "python"),
        ("web/**.py", "python"),
        ("web/templates/**.html", "jinja2"),
    ]
    found = set()
    for _, _, message, _, _ in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.timeout(60)
def test_every_message_has_a_vietnamese_translation() -> None:
    catalogue_path = ROOT / "web" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
    with catalogue_path.open("rb") as handle:
        catalogue = read_po(handle)
    translations = {m.id: m.string for m in catalogue if m.id}
    messages = _source_messages()
    assert len(messages) > 100
    untranslated = sorted(m for m in messages if not translations.get(m))
    assert not untranslated, f"run `make extract-messages` and translate: {untranslated[:10]}"
    for msgid in messages:
        translated = translations[msgid]
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(translated)), msgid


def test_vendored_code_matches_its_recorded_hash() -> None:
    vendor = ROOT / "web" / "static" / "vendor"
    recorded = dict(
        re.findall(
            r"\| `([^`]+\.js)` \|.*\| `([0-9a-f]{64})` \|", (vendor / "README.md").read_text()
        )
    )
    assert recorded, "the vendor README lists no file"
    for name, digest in recorded.items():
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name
