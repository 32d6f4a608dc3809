"""Export the log as a static tlog-tiles bundle that auditors can check without our code.

Layout (a directory, or a tar archive when the name ends in ``.tar``, ``.tar.gz`` or ``.tgz``)::

    checkpoint                  the newest signed checkpoint: the bundle's size
    checkpoints/<N>             every stored checkpoint up to that size (N encoded as tile indexes)
    trust                       the trust list, a signed note by the log key
    tile/<L>/<N>[.p/<W>]        Merkle tree tiles
    tile/entries/<N>[.p/<W>]    entry bundles (16-bit big-endian length, then the entry bytes)
    tile-height                 only when the tile height is not the standard 8

``scripts/verify_bundle.py`` checks such a bundle with the standard library and ``cryptography``.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa

from ledger.common.messages import N_, Message
from ledger.common.settings import DEFAULT_TILE_HEIGHT
from ledger.tlog.errors import SignerUnavailableError
from ledger.tlog.log import Log
from ledger.tlog.tables import ENTRY, TILE
from ledger.tlog.tiles import encode_index, entries_path, tile_levels, tile_path


class _Writer(Protocol):
    def write(self, name: str, data: bytes) -> None: ...

    def close(self) -> None: ...


class _DirectoryWriter:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        if any(root.iterdir()):
            raise FileExistsError(f"{root} is not empty")
        self._root = root

    def write(self, name: str, data: bytes) -> None:
        path = self._root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def close(self) -> None:
        pass


class _TarWriter:
    def __init__(self, path: Path, mtime: int) -> None:
        if path.exists():
            raise FileExistsError(f"{path} already exists")
        compressed = path.name.endswith((".tar.gz", ".tgz"))
        # Closed by close(); the modes are spelled out for the type checker.
        self._tar = tarfile.open(path, "w:gz") if compressed else tarfile.open(path, "w")  # noqa: SIM115
        self._mtime = mtime

    def write(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mtime = self._mtime
        info.mode = 0o644
        self._tar.addfile(info, io.BytesIO(data))

    def close(self) -> None:
        self._tar.close()


def is_tar_name(path: Path) -> bool:
    return path.name.endswith((".tar", ".tar.gz", ".tgz"))


def export_bundle(log: Log, destination: Path) -> int:
    """Write the bundle; returns its size (the newest checkpoint's).

    It needs the log key: the trust list in the bundle is signed at export time.
    """
    if log.signer is None:
        raise SignerUnavailableError(what=Message(N_("the trust list of an export")))
    latest = log.checkpoint(force=True)
    size = latest.size
    writer: _Writer = (
        _TarWriter(destination, 0) if is_tar_name(destination) else _DirectoryWriter(destination)
    )
    try:
        writer.write("checkpoint", latest.note)
        if log.tile_height != DEFAULT_TILE_HEIGHT:
            writer.write("tile-height", f"{log.tile_height}\n".encode())
        writer.write("trust", log.trust_note())
        for checkpoint in log.checkpoints():
            if checkpoint.size <= size:
                writer.write(f"checkpoints/{encode_index(checkpoint.size)}", checkpoint.note)
        _write_tiles(log, writer, size)
        _write_entries(log, writer, size)
    finally:
        writer.close()
    return size


def _write_tiles(log: Log, writer: _Writer, size: int) -> None:
    height = log.tile_height
    capacity = 1 << height
    table = TILE
    with log.engine.connect() as connection:
        for level in range(tile_levels(size, height)):
            count = size >> (level * height)
            rows = connection.execution_options(yield_per=500).execute(
                sa.select(table.c.idx, table.c.hashes)
                .where(table.c.level == level, table.c.idx <= count >> height)
                .order_by(table.c.idx)
            )
            for index, hashes in rows:
                available = count - index * capacity
                if available >= capacity:
                    writer.write(tile_path(level, index), bytes(hashes)[: capacity * 32])
                elif available > 0:
                    writer.write(
                        tile_path(level, index, available), bytes(hashes)[: available * 32]
                    )


def _write_entries(log: Log, writer: _Writer, size: int) -> None:
    capacity = 1 << log.tile_height
    table = ENTRY
    bundle: list[bytes] = []
    bundle_index = 0
    with log.engine.connect() as connection:
        rows = connection.execution_options(yield_per=2000).execute(
            sa.select(table.c.idx, table.c.data).where(table.c.idx < size).order_by(table.c.idx)
        )
        expected = 0
        for index, data in rows:
            if index != expected:
                raise LookupError(
                    f"entry {expected} is missing from the database; run `flask ledger verify`"
                )
            expected += 1
            data = bytes(data)
            bundle.append(len(data).to_bytes(2, "big") + data)
            if len(bundle) == capacity:
                writer.write(entries_path(bundle_index), b"".join(bundle))
                bundle, bundle_index = [], bundle_index + 1
    if expected != size:
        raise LookupError(
            f"entry {expected} is missing from the database; run `flask ledger verify`"
        )
    if bundle:
        writer.write(entries_path(bundle_index, len(bundle)), b"".join(bundle))
