"""The tree rebuilt from the entries during the audit, compared with the stored tiles.

:class:`~ledger.tlog.tiles.RightEdge` extends the stored tiles when the log appends; this is the
auditor's side, which trusts no tile: it recomputes every hash from the leaves, compares each
complete tile in one piece, and keeps only the right edge in memory.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.common.messages import N_, Message
from ledger.tlog import merkle
from ledger.tlog.audit_checks import at_entry, fail
from ledger.tlog.audit_streams import AuditStreams, as_bytes
from ledger.tlog.errors import AuditError
from ledger.tlog.tables import TILE


class TileCheck:
    """Compares recomputed hashes with the stored tiles, one tile read per 2**height hashes."""

    def __init__(self, streams: AuditStreams, height: int) -> None:
        self._connection = streams.connection
        self._height = height
        self._mask = (1 << height) - 1
        self._current: dict[int, tuple[int, bytes]] = {}
        table = TILE
        self._query = sa.select(sa.cast(table.c.hashes, sa.LargeBinary)).where(
            table.c.level == sa.bindparam("level"), table.c.idx == sa.bindparam("idx")
        )
        # Level 0 is read in order, one tile per 2**height entries: stream it.
        # A few tiles at a time: each is up to 8 KiB, and one serves 2**height entries.
        self._leaves = streams.raw(
            f"SELECT idx, {streams.blob('hashes')} FROM tile WHERE level = 0 ORDER BY idx",  # noqa: S608
            "tiles",
            batch=8,
        )
        self._next_leaf_tile = next(self._leaves, None)

    def leaf_tile(self, index: int) -> bytes:
        """Level-0 tile ``index``; tiles must be asked for in increasing order."""
        while self._next_leaf_tile is not None and self._next_leaf_tile[0] < index:
            self._next_leaf_tile = next(self._leaves, None)
        if self._next_leaf_tile is None or self._next_leaf_tile[0] != index:
            return b""
        return as_bytes(self._next_leaf_tile[1])

    def tile(self, level: int, index: int) -> bytes:
        cached = self._current.get(level)
        if cached is not None and cached[0] == index:
            return cached[1]
        data = self._connection.execute(self._query, {"level": level, "idx": index}).scalar()
        tile = as_bytes(data) if data is not None else b""
        self._current[level] = (index, tile)
        return tile

    def expect(self, tree_level: int, index: int, value: bytes, entry: int) -> None:
        level = tree_level // self._height
        tile_index, position = index >> self._height, index & self._mask
        stored = self.tile(level, tile_index)[position * 32 : position * 32 + 32]
        if stored != value:
            raise self.mismatch(level, tile_index, stored, value, entry)

    @staticmethod
    def mismatch(level: int, tile: int, stored: bytes, value: bytes, entry: int) -> AuditError:
        return fail(
            at_entry(entry),
            N_(
                "the Merkle tree does not match: tile {level}/{tile} holds {stored} where "
                "the entries give {computed}"
            ),
            level=level,
            tile=tile,
            stored=stored.hex() or "nothing",
            computed=value.hex(),
        )


class RebuiltTree:
    """The tree rebuilt from the entries a tile at a time, compared with the stored tiles.

    Leaf hashes gather until a level-0 tile is full; then the tile is compared in one piece, its
    256 leaves hashed in one pass, and only its root enters the right edge above. A checkpoint's
    root also needs the subtrees inside the partial tile: a small stack over it is brought up to
    date only when a root is asked for, so frequent checkpoints cost what they would anyway and
    rare ones cost almost nothing.
    """

    def __init__(self, tiles: TileCheck, height: int) -> None:
        self._tiles = tiles
        self._height = height
        self._capacity = 1 << height
        self.leaves: list[bytes] = []
        self._tile_index = 0
        self._upper: list[bytes] = []  # right edge of subtrees at levels >= height
        self._partial: list[bytes] = []  # right edge inside the current partial tile
        self._partial_count = 0

    def add(self, leaf: bytes) -> None:
        leaves = self.leaves
        leaves.append(leaf)
        if len(leaves) == self._capacity:
            self._complete_tile()

    def _complete_tile(self) -> None:
        self.check_pending()
        index, height = self._tile_index, self._height
        last_entry = (index + 1) * self._capacity - 1
        value = merkle.hash_consecutive(self.leaves)
        self._tiles.expect(height, index, value, last_entry)
        n, level = index, height
        while n & 1:
            value = merkle.node_hash(self._upper.pop(), value)
            n >>= 1
            level += 1
            if level % height == 0:
                self._tiles.expect(level, index >> (level - height), value, last_entry)
        self._upper.append(value)
        self.leaves = []
        self._partial = []
        self._partial_count = 0
        self._tile_index += 1

    def check_pending(self) -> None:
        """Compare the leaves gathered so far with the stored level-0 tile."""
        if not self.leaves:
            return
        stored = self._tiles.leaf_tile(self._tile_index)
        joined = b"".join(self.leaves)
        if stored.startswith(joined):
            return
        for position, leaf in enumerate(self.leaves):
            found = stored[position * 32 : position * 32 + 32]
            if found != leaf:
                raise TileCheck.mismatch(
                    0,
                    self._tile_index,
                    found,
                    leaf,
                    self._tile_index * self._capacity + position,
                )

    def root(self) -> bytes:
        stack, count = self._partial, self._partial_count
        for leaf in self.leaves[count:]:
            value, n = leaf, count
            while n & 1:
                value = merkle.node_hash(stack.pop(), value)
                n >>= 1
            stack.append(value)
            count += 1
        self._partial_count = count
        hashes = self._upper + stack
        return merkle.fold(hashes) if hashes else merkle.EMPTY_ROOT


def check_partial_tiles(connection: Connection, size: int, height: int) -> None:
    """No tile may hold more hashes than the tree of ``size`` has at its level."""
    table = TILE
    capacity = 1 << height
    for level, index, length in connection.execute(
        sa.select(
            table.c.level, table.c.idx, sa.func.length(sa.cast(table.c.hashes, sa.LargeBinary))
        )
    ):
        count = size >> (level * height)
        available = min(max(count - (index << height), 0), capacity)
        if length != available * 32:
            raise fail(
                Message(N_("tile {level}/{index}"), level=level, index=index),
                N_("it holds {stored} bytes but the tree has {available} hashes there"),
                stored=length,
                available=available,
            )
