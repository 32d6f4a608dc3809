"""The tree stored as C2SP tlog-tiles (https://c2sp.org/tlog-tiles).

A tile at level ``L`` holds up to ``2**height`` consecutive hashes of tree level ``L * height``;
the levels in between are recomputed from the tile, so the root of any size and any proof cost a
handful of tile reads (O(log n)), never a scan of the leaves. The specification fixes ``height``
at 8 (256 hashes); it is a parameter here so tests can cross several tile levels with small trees.

Full tiles never change and are cached; the rightmost (partial) tile of each level grows, and
the database triggers refuse any update that is not an extension of the stored bytes.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.common.settings import DEFAULT_TILE_HEIGHT
from ledger.tlog import merkle
from ledger.tlog.merkle import HASH_SIZE, Subtree
from ledger.tlog.tables import TILE

MAX_TILE_LEVEL = 63
TileKey = tuple[int, int]

_INDEX_ELEMENT = re.compile(r"x[0-9]{3}")


def encode_index(index: int) -> str:
    """``1234067`` → ``x001/x234/067``: 3-digit path elements, all but the last prefixed by x."""
    if index < 0:
        raise ValueError("tile index must not be negative")
    digits = str(index)
    digits = digits.zfill(-(-len(digits) // 3) * 3)
    elements = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + e for e in elements[:-1]), elements[-1]])


def tile_path(level: int, index: int, width: int | None = None) -> str:
    suffix = f".p/{width}" if width else ""
    return f"tile/{level}/{encode_index(index)}{suffix}"


def entries_path(index: int, width: int | None = None) -> str:
    suffix = f".p/{width}" if width else ""
    return f"tile/entries/{encode_index(index)}{suffix}"


@dataclass(frozen=True)
class TileRef:
    """A parsed tile path; ``level`` is None for an entry bundle, ``width`` None for full."""

    level: int | None
    index: int
    width: int | None


def parse_tile_path(path: str, height: int = DEFAULT_TILE_HEIGHT) -> TileRef:
    """Parse ``<L>/<N>[.p/<W>]`` or ``entries/<N>[.p/<W>]`` (the part after ``tile/``).

    Raises :class:`ValueError` for anything that is not exactly the canonical encoding.
    """
    parts = path.split("/")
    width: int | None = None
    if len(parts) >= 2 and parts[-2].endswith(".p"):
        width_text = parts.pop()
        parts[-1] = parts[-1][:-2]
        if not re.fullmatch(r"[1-9][0-9]{0,2}", width_text) or int(width_text) >= 1 << height:
            raise ValueError(f"bad partial tile width {width_text!r}")
        width = int(width_text)
    if len(parts) < 2:
        raise ValueError("a tile path is <level>/<index>")
    level_text, *index_parts = parts
    level: int | None
    if level_text == "entries":
        level = None
    elif re.fullmatch(r"0|[1-9][0-9]?", level_text) and int(level_text) <= MAX_TILE_LEVEL:
        level = int(level_text)
    else:
        raise ValueError(f"bad tile level {level_text!r}")
    if not index_parts or not all(_INDEX_ELEMENT.fullmatch(p) for p in index_parts[:-1]):
        raise ValueError("bad tile index")
    if not re.fullmatch(r"[0-9]{3}", index_parts[-1]):
        raise ValueError("bad tile index")
    digits = "".join(p.lstrip("x") for p in index_parts)
    index = int(digits)
    if encode_index(index) != "/".join(index_parts):
        raise ValueError("tile index is not canonically encoded")
    return TileRef(level, index, width)


def locate(subtree: Subtree, height: int) -> tuple[TileKey, int, int]:
    """The tile holding a complete subtree, and which of its hashes (start, count) to combine."""
    level, index = subtree
    tile_level, offset = divmod(level, height)
    first = index << offset
    return (tile_level, first >> height), first & ((1 << height) - 1), 1 << offset


def subtree_from_tile(data: bytes, start: int, count: int) -> bytes:
    chunk = data[start * HASH_SIZE : (start + count) * HASH_SIZE]
    if len(chunk) != count * HASH_SIZE:
        raise LookupError("the tile does not hold that subtree (tree data missing)")
    if count == 1:
        return chunk
    return merkle.hash_consecutive(
        [chunk[i : i + HASH_SIZE] for i in range(0, len(chunk), HASH_SIZE)]
    )


def tile_width(size: int, level: int, height: int) -> tuple[int, int]:
    """For a tree of ``size``, the rightmost tile at ``level``: (index, number of hashes)."""
    count = size >> (level * height)
    return count >> height, count & ((1 << height) - 1)


def tile_levels(size: int, height: int) -> int:
    """How many tile levels a tree of ``size`` uses."""
    levels = 0
    while size >> (levels * height):
        levels += 1
    return levels


class FullTileCache:
    """A small LRU of full tiles, which are immutable once written. Safe to share by threads."""

    def __init__(self, capacity: int = 2048) -> None:
        self._capacity = capacity
        self._tiles: OrderedDict[TileKey, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: TileKey) -> bytes | None:
        with self._lock:
            data = self._tiles.get(key)
            if data is not None:
                self._tiles.move_to_end(key)
            return data

    def put(self, key: TileKey, data: bytes) -> None:
        with self._lock:
            self._tiles[key] = data
            self._tiles.move_to_end(key)
            while len(self._tiles) > self._capacity:
                self._tiles.popitem(last=False)


def fetch_tiles(connection: Connection, keys: Iterable[TileKey]) -> dict[TileKey, bytes]:
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    table = TILE
    found: dict[TileKey, bytes] = {}
    for offset in range(0, len(wanted), 200):
        chunk = wanted[offset : offset + 200]
        condition = sa.or_(*(sa.and_(table.c.level == lv, table.c.idx == ix) for lv, ix in chunk))
        for level, index, hashes in connection.execute(
            sa.select(table.c.level, table.c.idx, table.c.hashes).where(condition)
        ):
            found[(level, index)] = bytes(hashes)
    return found


class TileReader:
    """Reads complete-subtree hashes from stored tiles: the database side of a SubtreeReader."""

    def __init__(
        self,
        connection: Connection,
        height: int,
        cache: FullTileCache | None = None,
        overlay: dict[TileKey, bytes] | None = None,
    ) -> None:
        self._connection = connection
        self._height = height
        self._full = HASH_SIZE << height
        self._cache = cache
        self._overlay = overlay or {}

    def tiles(self, keys: Iterable[TileKey]) -> dict[TileKey, bytes]:
        found: dict[TileKey, bytes] = {}
        missing = []
        for key in set(keys):
            data = self._overlay.get(key)
            if data is None and self._cache is not None:
                data = self._cache.get(key)
            if data is None:
                missing.append(key)
            else:
                found[key] = data
        for key, data in fetch_tiles(self._connection, missing).items():
            found[key] = data
            if self._cache is not None and len(data) == self._full:
                self._cache.put(key, data)
        return found

    def __call__(self, subtrees: Sequence[Subtree]) -> list[bytes]:
        located = [locate(subtree, self._height) for subtree in subtrees]
        tiles = self.tiles(key for key, _, _ in located)
        hashes = []
        for key, start, count in located:
            data = tiles.get(key)
            if data is None:
                raise LookupError(f"tile {key} is missing (tree data lost)")
            hashes.append(subtree_from_tile(data, start, count))
        return hashes


class RightEdge:
    """The rightmost tile of every level, extended in memory by an append and written back once.

    ``written()`` lists each tile the append changed with whether it already had a row, so the
    caller issues one UPDATE per grown tile and one INSERT per new one.
    """

    def __init__(self, size: int, height: int, stored: dict[TileKey, bytes]) -> None:
        self.size = size
        self._height = height
        self._capacity = 1 << height
        self._counts: list[int] = []  # hashes at each tile level
        self._partial: list[bytearray] = []
        self._existing: set[TileKey] = set()
        self._changed: dict[TileKey, bytes] = {}
        for level in range(tile_levels(size, height)):
            index, width = tile_width(size, level, height)
            self._counts.append(size >> (level * height))
            data = stored.get((level, index), b"") if width else b""
            if len(data) < width * HASH_SIZE:
                raise LookupError(f"tile {(level, index)} is shorter than the tree head says")
            self._partial.append(bytearray(data[: width * HASH_SIZE]))
            if width:
                self._existing.add((level, index))

    @staticmethod
    def keys_for(size: int, height: int) -> list[TileKey]:
        """The tiles to load before appending to a tree of ``size``."""
        keys = []
        for level in range(tile_levels(size, height)):
            index, width = tile_width(size, level, height)
            if width:
                keys.append((level, index))
        return keys

    def append(self, leaf_hashes: Iterable[bytes]) -> None:
        hashes = list(leaf_hashes)
        self._extend(0, hashes)
        self.size += len(hashes)

    def _extend(self, level: int, values: list[bytes]) -> None:
        """Add hashes to a level a tile's worth at a time; each tile that fills adds its
        subtree hash to the level above before this one goes on, as one-by-one appends would."""
        if level == len(self._counts):
            self._counts.append(0)
            self._partial.append(bytearray())
        capacity, offset = self._capacity, 0
        while offset < len(values):
            filled = self._counts[level] & (capacity - 1)
            take = min(capacity - filled, len(values) - offset)
            key = (level, self._counts[level] >> self._height)
            buffer = self._partial[level]
            buffer += b"".join(values[offset : offset + take])
            self._counts[level] += take
            offset += take
            if filled + take < capacity:
                self._changed[key] = b""  # placeholder: the partial bytes are read at the end
                continue
            data = bytes(buffer)
            self._changed[key] = data
            self._partial[level] = bytearray()
            parent = merkle.hash_consecutive(
                [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
            )
            self._extend(level + 1, [parent])

    def written(self) -> list[tuple[TileKey, bytes, bool]]:
        """(tile, its new bytes, whether a row for it already existed)."""
        result = []
        for key, data in self._changed.items():
            level, index = key
            if not data:
                data = bytes(self._partial[level])
                if (self._counts[level] >> self._height) != index:
                    continue  # superseded: this tile filled up later in the same append
            result.append((key, data, key in self._existing))
        return result

    def tiles(self) -> dict[TileKey, bytes]:
        """Every tile this edge knows, for computing the new root without another read."""
        known = {key: data for key, data, _ in self.written()}
        for level, buffer in enumerate(self._partial):
            if buffer:
                known[(level, self._counts[level] >> self._height)] = bytes(buffer)
        return known
