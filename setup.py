"""Builds compile the message catalogs: a wheel or an install serves Vietnamese pages.

The compiled catalogs (``*.mo``) are not kept in git; ``build_py`` compiles each
``web/translations/<language>/LC_MESSAGES/messages.po`` with Babel into the build (into the source
tree for an editable install), so every way of installing the package carries them. The rest of
the package's description is in ``setup.cfg``.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

CATALOGS = "web/translations/*/LC_MESSAGES/messages.po"


class BuildWithCatalogs(build_py):
    """``build_py``, then every catalog compiled next to the package's other files."""

    def run(self) -> None:
        super().run()
        root = Path(__file__).resolve().parent
        editable = getattr(self, "editable_mode", False)
        target = root if editable else Path(self.build_lib)
        for source in sorted(root.glob(CATALOGS)):
            compiled = target / source.relative_to(root).with_suffix(".mo")
            compiled.parent.mkdir(parents=True, exist_ok=True)
            with source.open("rb") as po:
                catalog = read_po(po)
            with compiled.open("wb") as mo:
                write_mo(mo, catalog, use_fuzzy=True)  # as the Makefile compiles them


setup(cmdclass={"build_py": BuildWithCatalogs})
