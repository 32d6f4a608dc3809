"""The package as ``pip install`` delivers it: a wheel built from the sources git keeps (no
compiled catalogs), installed into a fresh virtual environment, serves Vietnamese pages.

No network: the wheel is built without build isolation by this environment's setuptools and
Babel, and the fresh environment borrows this one's installed dependencies through a ``.pth``
file (the wheel itself is installed with ``--no-deps``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ledger", "schemas", "labels", "reports", "web", "demo")
BUILD_FILES = ("setup.py", "setup.cfg", "pyproject.toml", "README.md")

SERVE_A_PAGE = textwrap.dedent(
    """
    import sys, tempfile
    from pathlib import Path
    import web
    from web import create_app

    directory = Path(tempfile.mkdtemp())
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{directory}/ledger.sqlite3",
        "LEDGER_KEY_FILE": str(directory / "log-key.pem"),
        "LEDGER_ALLOW_UNENCRYPTED_KEY": True,
        "LABEL_PRINT_DIR": str(directory / "label-prints"),
        "SCAN_SALT_DIR": str(directory),
    })
    result = app.test_cli_runner().invoke(args=["ledger", "init"])
    assert result.exit_code == 0, result.output
    page = app.test_client().get("/", headers={"Accept-Language": "vi"})
    print(web.__file__)
    print(page.status_code)
    print(page.get_data(as_text=True))
    """
)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_wheel_installed_in_a_fresh_environment_serves_vietnamese(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in BUILD_FILES:
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            source / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.mo", "*.pyc"),
        )
    assert not list(source.rglob("*.mo")), "the sources as git keeps them: no compiled catalogs"
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
            "--disable-pip-version-check", "--no-index", "--wheel-dir", str(wheels), str(source),
        ],
        check=True,
        capture_output=True,
        timeout=90,
    )  # fmt: skip
    (wheel,) = wheels.glob("hungyen_trace-*.whl")

    fresh = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=False).create(fresh)
    python = fresh / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # The dependencies: this environment's, after the fresh one's own (where the wheel goes).
    (site_packages / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
            "--disable-pip-version-check", "--target", str(site_packages), str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip

    served = subprocess.run(
        [str(python), "-c", SERVE_A_PAGE],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HYT_ENV": "development"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert served.returncode == 0, served.stderr
    module, status, page = served.stdout.split("\n", 2)
    assert module.startswith(str(site_packages)), "the app came from the installed wheel"
    assert status == "200"
    assert "Trạng thái hiện tại" in page
    assert "Current state" not in page
