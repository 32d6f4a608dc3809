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


VENDOR = ROOT / "web" / "static" / "vendor"


def _vendored_hashes(vendor: Path = VENDOR) -> dict[str, str]:
    return dict(
        re.findall(
            r"\| `([^`]+\.(?:js|wasm))` \|.*\| `([0-9a-f]{64})` \|",
            (vendor / "README.md").read_text(),
        )
    )


@pytest.mark.parametrize("folder", ["web/static/vendor", "tests/support/vendor"])
def test_vendored_code_matches_its_recorded_hash(folder: str) -> None:
    """The browsers' libraries (served by the app) and the tests' (axe-core) alike."""
    vendor = ROOT / folder
    recorded = _vendored_hashes(vendor)
    assert recorded, "the vendor README lists no file"
    for name, digest in recorded.items():
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name
    shipped = {
        path.relative_to(vendor).as_posix()
        for path in vendor.rglob("*")
        if path.is_file() and path.suffix in (".js", ".mjs", ".wasm")
    }
    assert shipped == set(recorded), "every vendored script, module and wasm is listed"


def test_the_barcode_module_declares_the_vendored_wasm() -> None:
    """The ZXing glue checks nothing itself: a wasm of another build would fail obscurely on a
    phone, so its declared hash must be the one of the file beside it."""
    glue = (VENDOR / "barcode-detector-3.2.2" / "zxing-exported.js").read_text()
    declared = re.findall(r'"([0-9a-f]{64})"', glue)
    assert declared == [_vendored_hashes()["zxing-wasm-3.1.3/zxing_reader.wasm"]]


MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 120
#: Modules allowed past MAX_MODULE_LINES, each for its reason.
LONG_MODULES = (
    "ledger/migrations/**",  # each migration is a frozen record of the schema it made
    "scripts/verify_bundle.py",  # stand-alone verifier: one file an auditor can read and run
)
#: Functions allowed past MAX_FUNCTION_LINES, by path pattern or ``path::qualified.name``.
LONG_FUNCTIONS = (
    *LONG_MODULES,
    "tests/**",  # a test reads best as one story from setup to the last assertion
    "tests/labels/vectors/generate.py",  # writes the committed label vectors in one pass
    "ledger/tlog/audit.py::_stream_entries",  # measured hot loop: calls out cost throughput
)


def _python_sources() -> list[Path]:
    """The project's own Python files (not the virtual environment or build output)."""
    packages = (*PACKAGES, "demo", "scripts", "tests")
    files = [path for package in packages for path in (ROOT / package).rglob("*.py")]
    return sorted([*files, *ROOT.glob("*.py")])


def _allowed(relative: str, patterns: tuple[str, ...]) -> bool:
    return any(
        relative == pattern
        or (pattern.endswith("/**") and relative.startswith(pattern.removesuffix("**")))
        for pattern in patterns
    )


def _functions(tree: ast.AST, prefix: str = "") -> list[tuple[str, int]]:
    """``(qualified name, lines)`` of every function and method, nested ones included."""
    found = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = prefix + node.name
            if not isinstance(node, ast.ClassDef):
                assert node.end_lineno is not None
                found.append((name, node.end_lineno - node.lineno + 1))
            found += _functions(node, name + ".")
        else:
            found += _functions(node, prefix)
    return found


@pytest.mark.timeout(60)
def test_no_module_or_function_is_too_long_to_read() -> None:
    too_long = []
    for path in _python_sources():
        relative = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES and not _allowed(relative, LONG_MODULES):
            too_long.append(f"{relative}: {lines} lines")
        for name, length in _functions(ast.parse(text)):
            where = f"{relative}::{name}"
            allowed = where in LONG_FUNCTIONS or _allowed(relative, LONG_FUNCTIONS)
            if length > MAX_FUNCTION_LINES and not allowed:
                too_long.append(f"{where}: {length} lines")
    assert not too_long, too_long


def test_the_size_check_sees_modules_functions_and_methods() -> None:
    tree = ast.parse(
        "def outer():\n    def inner():\n        pass\n\n"
        "class Shape:\n    async def area(self):\n        return 1\n"
    )
    assert _functions(tree) == [("outer", 3), ("outer.inner", 2), ("Shape.area", 2)]
    assert _allowed("ledger/migrations/versions/0001_start.py", LONG_MODULES)
    assert not _allowed("ledger/tlog/log.py", LONG_MODULES)
    assert {path.relative_to(ROOT).as_posix() for path in _python_sources()} >= {
        "wsgi.py",
        "demo/season.py",
        "scripts/verify_bundle.py",
        "ledger/tlog/audit.py",
        "tests/test_project.py",
    }


VERIFIERS = ("verify_bundle", "verify_label")


@pytest.mark.parametrize("script", VERIFIERS)
def test_the_stand_alone_verifiers_need_only_python_and_cryptography(script: str) -> None:
    """An auditor runs these with nothing of the project installed: every import, at the top or
    inside a function, is of the standard library, ``cryptography`` or the other verifier beside
    it (checked the same way)."""
    tree = ast.parse((ROOT / "scripts" / f"{script}.py").read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"relative import at line {node.lineno}"
            assert node.module is not None
            imported.add(node.module.split(".")[0])
    assert {"argparse", "cryptography"} <= imported  # the walk sees the imports at all
    foreign = sorted(imported - sys.stdlib_module_names - {"cryptography", *VERIFIERS})
    assert not foreign, f"{script} imports {foreign}"


def test_tests_share_helpers_through_tests_support_only() -> None:
    """pytest finds fixtures in ``conftest.py``; what tests share besides goes in
    ``tests/support``, so no test imports a conftest or another test module."""
    offending = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] == "tests" and any(
                    part == "conftest" or part.startswith("test_") for part in parts[1:]
                ):
                    offending.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    assert not offending, offending
