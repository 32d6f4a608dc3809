"""The layers of ARCHITECTURE.md are enforced, not only described: an import against them fails
`lint-imports`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")
LAYERS_CONTRACT = "Each layer imports only the layers below it"


def _config() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "importlinter"
    ]


def test_the_layers_run_from_the_web_down_to_the_common_layer() -> None:
    contracts = _config()["contracts"]
    assert isinstance(contracts, list)
    (layers,) = [c for c in contracts if c["type"] == "layers"]
    assert layers["name"] == LAYERS_CONTRACT
    assert layers["layers"] == [
        "web",
        "demo",
        "labels | reports",
        "schemas",
        "ledger.supplychain",
        "ledger.tlog",
        "ledger.common",
    ]
    assert not layers.get("ignore_imports"), "no import may be let through the layers"


def _lint_with(tmp_path: Path, module: str, source: str) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on a copy of the packages with one module added."""
    root_packages = _config()["root_packages"]
    assert isinstance(root_packages, list)
    for package in root_packages:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / Path(*module.split("."))).with_suffix(".py").write_text(source, encoding="utf-8")
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("ledger.tlog.upward", "from ledger.supplychain import custody\n"),
        ("ledger.common.upward", "import ledger.tlog.merkle\n"),
        ("schemas.upward", "from labels import digital_link\n"),
        ("labels.sideways", "import reports\n"),
    ],
    ids=["log imports the supply chain", "common imports the log", "schema imports labels",
         "labels import reports"],
)  # fmt: skip
def test_an_import_against_the_layers_breaks_the_contract(
    tmp_path: Path, module: str, source: str
) -> None:
    result = _lint_with(tmp_path, module, source)
    assert result.returncode != 0, result.stdout
    assert f"{LAYERS_CONTRACT} BROKEN" in result.stdout
    assert module in result.stdout
