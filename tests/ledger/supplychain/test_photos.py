"""The photo store on both databases: kept once, seen by whom the rules say, attached only by
its uploader, made public only by the holder or producer of the harvested lot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ledger.common.clock import FakeClock
from ledger.supplychain.errors import ForbiddenError, RuleViolationError
from ledger.supplychain.photos import (
    PhotoImage,
    PhotoNotFoundError,
    PhotoStore,
    public_photos,
)
from ledger.supplychain.tables import PHOTO, PHOTO_UPLOAD, PHOTO_USE
from schemas.photos import process_photo
from tests.ledger.supplychain.recording.helpers import entry
from tests.support.photos import small_jpeg
from tests.support.world import (
    ADMIN,
    AUDITOR,
    COLLECTOR_USER,
    FARM_A,
    FARM_B,
    FARMER_A,
    FARMER_B,
    FRESH_LONGAN,
    PACKED_LONGAN,
    PACKER,
    PACKHOUSE,
    PLOT_A,
    World,
    lot,
    spray_data,
)


def photo(shade: int) -> PhotoImage:
    return process_photo(small_jpeg((shade, 120, 60)))


@pytest.fixture(scope="module")
def store(world: World) -> PhotoStore:
    return PhotoStore(world.log.engine, world.log.clock)


def rows(world: World, table: sa.Table, sha: str) -> list[Any]:
    with world.log.engine.connect() as connection:
        return list(connection.execute(sa.select(table).where(table.c.sha256 == sha)))


def harvest_with(world: World, who: Any, *hashes: str) -> tuple[str, Any]:
    lot_id = lot(FRESH_LONGAN, world.code("PH"))
    data = {"plot": PLOT_A, "lot": lot_id, "quantity": "200", "data_source": "measured"}
    return lot_id, world.record(who, "harvest", {**data, "photos": list(hashes)})


def test_the_same_photo_twice_is_one_photo(world: World, store: PhotoStore) -> None:
    image = photo(10)
    first, new = store.save(FARMER_A, image)
    again, repeated = store.save(FARMER_A, image)
    assert (new, repeated) == (True, False)
    assert first == again
    assert first.sha256 == image.sha256
    assert first.public is False
    assert (first.width, first.height, first.byte_size) == (64, 48, len(image.content))
    assert len(rows(world, PHOTO, image.sha256)) == 1
    [upload] = rows(world, PHOTO_UPLOAD, image.sha256)
    assert (upload.organisation, upload.account) == (FARM_A, FARMER_A.account_id)


def test_a_photo_is_seen_by_its_uploaders_and_the_authorities_only(
    world: World, store: PhotoStore
) -> None:
    image = photo(20)
    store.save(FARMER_A, image)
    sha = image.sha256
    assert store.content(FARMER_A, sha) == (store.info(FARMER_A, sha), image.content)
    assert store.content(FARMER_A, sha, thumbnail=True)[1] == image.thumbnail
    for authority in (AUDITOR, ADMIN):
        assert store.info(authority, sha).sha256 == sha
    for stranger in (FARMER_B, COLLECTOR_USER, None):
        with pytest.raises(PhotoNotFoundError):
            store.content(stranger, sha)
    # The same bytes uploaded by another farm: one photo, both may see it.
    _, new = store.save(FARMER_B, image)
    assert new is True
    assert store.info(FARMER_B, sha).sha256 == sha
    assert {row.organisation for row in rows(world, PHOTO_UPLOAD, sha)} == {FARM_A, FARM_B}
    assert len(rows(world, PHOTO, sha)) == 1


@pytest.mark.parametrize("sha", ["0" * 64, "A" * 64, "../../etc/passwd", ""])
def test_an_unknown_or_malformed_hash_is_not_found(store: PhotoStore, sha: str) -> None:
    with pytest.raises(PhotoNotFoundError):
        store.content(AUDITOR, sha)


def test_an_account_without_organisation_cannot_upload(store: PhotoStore) -> None:
    with pytest.raises(ForbiddenError, match="acts for no organisation"):
        store.save(ADMIN, photo(30))


def test_a_harvest_commits_to_its_photos_and_the_store_knows_the_entry(
    world: World, store: PhotoStore
) -> None:
    first, second = photo(40), photo(41)
    store.save(FARMER_A, first)
    store.save(FARMER_A, second)
    lot_id, recorded = harvest_with(world, FARMER_A, first.sha256, second.sha256)
    assert entry(world.log, recorded.index)["payload"]["photos"] == [first.sha256, second.sha256]
    [use] = rows(world, PHOTO_USE, first.sha256)
    assert (use.entry_idx, use.event_type, use.lot) == (recorded.index, "harvest", lot_id)


def test_an_entry_cannot_attach_an_unknown_or_another_farms_photo(
    world: World, store: PhotoStore
) -> None:
    theirs, mine = photo(50), photo(51)
    store.save(FARMER_B, theirs)
    store.save(FARMER_A, mine)
    size = world.log.size()
    for sha in (theirs.sha256, "e" * 64):
        with pytest.raises(RuleViolationError) as caught:
            harvest_with(world, FARMER_A, mine.sha256, sha)
        assert caught.value.status == 422
        assert caught.value.errors == {
            "data": {
                "photos": {1: [f"{FARM_A} uploaded no photo {sha}; upload it before recording."]}
            }
        }
    with pytest.raises(RuleViolationError):
        world.record(FARMER_A, "farm_input.pesticide", {**spray_data(), "photos": ["e" * 64]})
    assert world.log.size() == size
    assert rows(world, PHOTO_USE, mine.sha256) == []


def test_the_producer_and_then_the_holder_may_make_a_harvest_photo_public(
    world: World, store: PhotoStore
) -> None:
    image = photo(60)
    store.save(FARMER_A, image)
    sha = image.sha256
    with pytest.raises(RuleViolationError, match="attached to none"):
        store.set_public(FARMER_A, sha, True)
    lot_id, _ = harvest_with(world, FARMER_A, sha)
    with pytest.raises(PhotoNotFoundError):  # may neither see nor publish it
        store.set_public(FARMER_B, sha, True)
    with pytest.raises(ForbiddenError, match="holder or the producer"):
        store.set_public(AUDITOR, sha, True)  # sees every photo, publishes none
    assert public_photos(world.log.engine, [sha]) == {}
    assert store.set_public(FARMER_A, sha, True).public is True
    assert store.content(None, sha)[1] == image.content
    assert set(public_photos(world.log.engine, [sha, "f" * 64, "bad"])) == {sha}
    # Handed over whole: the packhouse holds the lot, and may decide too; so may the farm.
    world.ship(FARMER_A, lot_id, "200", PACKHOUSE)
    world.receive(PACKER, lot_id, "200")
    assert store.set_public(PACKER, sha, False).public is False
    with pytest.raises(PhotoNotFoundError):
        store.content(None, sha)
    assert store.set_public(FARMER_A, sha, True).public is True
    [row] = rows(world, PHOTO, sha)
    assert row.public_by == FARM_A


def test_a_lots_card_shows_its_harvests_photos_to_whom_may_see_them(
    world: World, store: PhotoStore
) -> None:
    shown, spray_label = photo(100), photo(110)
    store.save(FARMER_A, shown)
    store.save(FARMER_A, spray_label)
    world.record(
        FARMER_A,
        "farm_input.pesticide",
        {**spray_data(days=0), "photos": [spray_label.sha256]},
    )
    harvested, recorded = harvest_with(world, FARMER_A, shown.sha256)
    [mine] = store.lot_photos(FARMER_A, harvested)
    assert (mine.photo.sha256, mine.entry_idx, mine.may_publish) == (
        shown.sha256,
        recorded.index,
        True,
    )
    assert mine.photo.public is False
    assert store.lot_photos(FARMER_B, harvested) == []  # neither sees nor decides
    [audited] = store.lot_photos(AUDITOR, harvested)
    assert audited.may_publish is False  # sees every photo, publishes none
    # Packed by the packhouse: the packed lot's card shows the harvest it came from.
    world.ship(FARMER_A, harvested, "200", PACKHOUSE)
    world.receive(PACKER, harvested, "200")
    packed = lot(PACKED_LONGAN, world.code("PK"))
    world.record(
        PACKER, "pack", {"input": harvested, "outputs": [{"lot": packed, "quantity": "150"}]}
    )
    assert [p.photo.sha256 for p in store.lot_photos(FARMER_A, packed)] == [shown.sha256]
    # The packhouse may decide, but sees a private photo only once it is public.
    assert store.lot_photos(PACKER, packed) == []
    store.set_public(FARMER_A, shown.sha256, True)
    [held] = store.lot_photos(PACKER, packed)
    assert (held.photo.public, held.may_publish) == (True, True)
    assert [p.may_publish for p in store.lot_photos(FARMER_B, packed)] == [False]
    assert store.lot_photos(FARMER_A, lot(FRESH_LONGAN, "NO-SUCH-LOT")) == []


def test_a_spray_labels_photo_stays_private(world: World, store: PhotoStore) -> None:
    image = photo(70)
    store.save(FARMER_A, image)
    world.record(FARMER_A, "farm_input.pesticide", {**spray_data(), "photos": [image.sha256]})
    with pytest.raises(RuleViolationError, match="attached to a harvest"):
        store.set_public(FARMER_A, image.sha256, True)
    assert store.info(AUDITOR, image.sha256).public is False


def test_photos_may_be_kept_as_files_named_by_their_hash(world: World, tmp_path: Path) -> None:
    files = PhotoStore(world.log.engine, FakeClock(), tmp_path / "photos")
    image = photo(80)
    files.save(FARMER_A, image)
    files.save(FARMER_A, image)
    sha = image.sha256
    assert (tmp_path / "photos" / sha[:2] / f"{sha}.jpg").read_bytes() == image.content
    assert (tmp_path / "photos" / sha[:2] / f"{sha}.thumb.jpg").read_bytes() == image.thumbnail
    assert [
        p.name for p in (tmp_path / "photos" / sha[:2]).iterdir() if p.name.startswith(".")
    ] == []
    [row] = rows(world, PHOTO, sha)
    assert row.content is None
    assert row.thumbnail is None
    assert files.content(FARMER_A, sha)[1] == image.content
    assert files.content(AUDITOR, sha, thumbnail=True)[1] == image.thumbnail
    with pytest.raises(PhotoNotFoundError):
        files.content(FARMER_B, sha)
