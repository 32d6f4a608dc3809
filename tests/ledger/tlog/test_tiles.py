"""Tile paths (C2SP tlog-tiles) and the in-memory right edge used by appends."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.tlog import merkle
from ledger.tlog.tiles import (
    RightEdge,
    TileRef,
    encode_index,
    entries_path,
    locate,
    parse_tile_path,
    subtree_from_tile,
    tile_path,
)


@pytest.mark.parametrize(
    ("index", "encoded"),
    [(0, "000"), (7, "007"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_index_encoding(index: int, encoded: str) -> None:
    assert encode_index(index) == encoded
    assert parse_tile_path(f"0/{encoded}") == TileRef(0, index, None)


def test_paths() -> None:
    assert tile_path(1, 1234067) == "tile/1/x001/x234/067"
    assert tile_path(0, 5, 17) == "tile/0/005.p/17"
    assert entries_path(5, 3) == "tile/entries/005.p/3"
    assert parse_tile_path("entries/005.p/3") == TileRef(None, 5, 3)
    assert parse_tile_path("2/x001/000.p/255") == TileRef(2, 1000, 255)


@pytest.mark.parametrize(
    "bad",
    [
        "0/5",
        "0/0005",
        "0/x000/005",
        "0/001/005",
        "00/000",
        "64/000",
        "-1/000",
        "0/000.p/0",
        "0/000.p/256",
        "0/000.p/07",
        "0/000.p/",
        "0/x001",
        "0",
        "",
        "abc/000",
        "0/00a",
        "entries/000.p/1/extra",
        "0/x1000/000",
    ],
)
def test_malformed_paths_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match=r"tile|width"):
        parse_tile_path(bad)


def test_partial_width_is_bounded_by_the_tile_height() -> None:
    assert parse_tile_path("0/000.p/3", height=2) == TileRef(0, 0, 3)
    with pytest.raises(ValueError, match="width"):
        parse_tile_path("0/000.p/4", height=2)


def _edge_tiles(leaves: list[bytes], height: int) -> dict:
    edge = RightEdge(0, height, {})
    edge.append(leaves)
    return edge.tiles()


@given(st.integers(1, 8), st.lists(st.binary(max_size=4), min_size=1, max_size=300))
def test_tiles_reproduce_every_subtree(height: int, data: list[bytes]) -> None:
    tree = merkle.MemoryTree(data)
    leaves = [merkle.leaf_hash(d) for d in data]
    tiles = _edge_tiles(leaves, height)
    for size in range(1, len(data) + 1):
        for level, index in merkle.root_subtrees(size):
            key, start, count = locate((level, index), height)
            assert subtree_from_tile(tiles[key], start, count) == tree.read([(level, index)])[0]


@given(
    st.integers(1, 4),
    st.lists(st.integers(1, 40), min_size=1, max_size=12),
)
def test_appending_in_batches_gives_the_same_tiles_as_one_batch(
    height: int, batches: list[int]
) -> None:
    total = sum(batches)
    leaves = [merkle.leaf_hash(i.to_bytes(2, "big")) for i in range(total)]
    stored: dict = {}
    size = 0
    for count in batches:
        keys = RightEdge.keys_for(size, height)
        edge = RightEdge(size, height, {k: stored[k] for k in keys})
        edge.append(leaves[size : size + count])
        for key, data, existed in edge.written():
            assert existed == (key in stored)
            if existed:
                assert data.startswith(stored[key])
                assert len(data) > len(stored[key])
            stored[key] = data
        size += count
    assert stored == dict(_edge_tiles(leaves, height).items())


def test_a_short_stored_tile_is_detected() -> None:
    with pytest.raises(LookupError):
        RightEdge(3, 2, {(0, 0): b"\x00" * 32})
