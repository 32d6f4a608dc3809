"""Photos attached to entries: kept off the ledger under the SHA-256 of their stored bytes.

A farmer photographs a harvest, a spray's label or a flock; the schemas (:mod:`schemas.photos`)
turn the upload into a :class:`PhotoImage` (re-encoded, metadata stripped, a thumbnail), and
:class:`PhotoStore` keeps it here. The entry that attaches a photo carries only its hash, so
the ledger commits to exactly these bytes while the bytes themselves stay private and can be
withheld from anyone the rules do not allow.

Who may see a photo:

* the organisations that uploaded it (the same bytes uploaded twice are one photo),
* the authorities (auditors, administrators), who read every record,
* everyone, once it is marked public.

Who may mark a photo public (and private again): a photo of the produce is shown on the label
page at the harvest it is attached to, so the decision belongs to whoever answers for that
harvested lot now or made it: the lot's **current holder** or its **creator** (the farm that
harvested it). Only photos attached to a harvest can be public; a spray's label or a flock's
photo stays evidence for the authorities.

Anyone else asking for a photo is told it does not exist, whether or not it does, so that its
hash (public in the ledger) gives away nothing more.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ledger.common.clock import Clock
from ledger.common.db import read_transaction, select_where_in, write_transaction
from ledger.common.errors import NotFoundError
from ledger.common.messages import N_
from ledger.supplychain.accounts import Principal
from ledger.supplychain.errors import ForbiddenError, RuleViolationError
from ledger.supplychain.tables import LOT, PHOTO, PHOTO_UPLOAD, PHOTO_USE
from ledger.supplychain.trace import lineage
from ledger.tlog.canonical import utc_timestamp

MEDIA_TYPE = "image/jpeg"
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
#: Event types whose photos show the produce itself: only these may be shown on a label page.
PRODUCE_TYPES = frozenset({"harvest"})
#: Event types where a farmer would attach a photo (their ``data`` has an optional ``photos``).
PHOTO_EVENT_TYPES = frozenset(
    {
        "harvest",
        "farm_input.pesticide",
        "farm_input.fertiliser",
        "flock.placement",
        "flock.vaccination",
        "flock.treatment",
        "flock.loss",
        "flock.weighing",
    }
)
#: At most this many photos per entry.
MAX_PHOTOS_PER_EVENT = 5


@dataclass(frozen=True)
class PhotoImage:
    """A photo ready to keep: JPEG bytes without metadata and the thumbnail's JPEG bytes."""

    content: bytes
    width: int
    height: int
    thumbnail: bytes
    thumbnail_width: int
    thumbnail_height: int

    @property
    def sha256(self) -> str:
        """The hash of the stored bytes: what an entry commits to."""
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class StoredPhoto:
    """A kept photo's facts, without its bytes."""

    sha256: str
    width: int
    height: int
    byte_size: int
    thumbnail_width: int
    thumbnail_height: int
    public: bool
    created_at: str


@dataclass(frozen=True)
class LotPhoto:
    """A photo of a harvest a lot was made from, as its card shows it to one caller."""

    photo: StoredPhoto
    #: The harvest entry that attaches it.
    entry_idx: int
    #: Whether the caller may show it on the label page, or take it off again.
    may_publish: bool


class PhotoNotFoundError(NotFoundError):
    """No such photo, or one the caller may not see: the two answers are the same."""

    code = "photo_not_found"
    template = N_("There is no photo {photo} that you may see.")


def _stored(row: Any) -> StoredPhoto:
    return StoredPhoto(
        sha256=row.sha256,
        width=row.width,
        height=row.height,
        byte_size=row.byte_size,
        thumbnail_width=row.thumbnail_width,
        thumbnail_height=row.thumbnail_height,
        public=bool(row.public),
        created_at=row.created_at,
    )


_FACTS = [column for column in PHOTO.c if column.name not in ("content", "thumbnail")]


def uploaded_by(connection: Connection, organisation: str, hashes: Iterable[str]) -> set[str]:
    """Which of ``hashes`` the organisation uploaded (what its entries may attach)."""
    wanted = sorted(set(hashes))
    if not wanted:
        return set()
    return set(
        connection.execute(
            sa.select(PHOTO_UPLOAD.c.sha256).where(
                PHOTO_UPLOAD.c.organisation == organisation, PHOTO_UPLOAD.c.sha256.in_(wanted)
            )
        ).scalars()
    )


def public_photos(engine: Engine, hashes: Iterable[str]) -> dict[str, StoredPhoto]:
    """The public ones among ``hashes``, by hash: what a label page may show."""
    wanted = sorted({sha for sha in hashes if SHA256_HEX.fullmatch(sha)})
    if not wanted:
        return {}
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(*_FACTS).where(PHOTO.c.sha256.in_(wanted), PHOTO.c.public.is_(True))
        )
        return {row.sha256: _stored(row) for row in rows}


class PhotoStore:
    """Keeps photos in the database, or their bytes as files in ``directory`` (``PHOTO_DIR``)
    with the facts in the database. One per process; safe to share between threads."""

    def __init__(self, engine: Engine, clock: Clock, directory: Path | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.directory = directory

    # --- saving --------------------------------------------------------------------------------

    def save(self, principal: Principal, image: PhotoImage) -> tuple[StoredPhoto, bool]:
        """Keep the photo as uploaded by the principal's organisation, and say whether it is
        new to it. Idempotent: the same bytes again (from anyone) are the same photo, with one
        more uploader at most."""
        organisation = principal.organisation
        if organisation is None:
            raise ForbiddenError(
                N_("Account {username} acts for no organisation, so it cannot upload photos."),
                username=principal.username,
            )
        sha = image.sha256
        if self.directory is not None:
            self._write_file(sha, "jpg", image.content)
            self._write_file(sha, "thumb.jpg", image.thumbnail)
        now = utc_timestamp(self.clock.now())
        for attempt in (1, 2):
            try:
                return self._insert(principal, organisation, image, sha, now)
            except sa.exc.IntegrityError:
                if attempt == 2:
                    raise
                # Another request saved the same bytes at the same moment: theirs is ours.
        raise AssertionError("unreachable")  # pragma: no cover

    def _insert(
        self, principal: Principal, organisation: str, image: PhotoImage, sha: str, now: str
    ) -> tuple[StoredPhoto, bool]:
        in_database = self.directory is None
        with write_transaction(self.engine) as connection:
            row = connection.execute(sa.select(*_FACTS).where(PHOTO.c.sha256 == sha)).first()
            if row is None:
                connection.execute(
                    PHOTO.insert().values(
                        sha256=sha,
                        width=image.width,
                        height=image.height,
                        byte_size=len(image.content),
                        thumbnail_width=image.thumbnail_width,
                        thumbnail_height=image.thumbnail_height,
                        content=image.content if in_database else None,
                        thumbnail=image.thumbnail if in_database else None,
                        created_at=now,
                        public=False,
                    )
                )
                row = connection.execute(sa.select(*_FACTS).where(PHOTO.c.sha256 == sha)).one()
            known = connection.execute(
                sa.select(PHOTO_UPLOAD.c.sha256).where(
                    PHOTO_UPLOAD.c.sha256 == sha, PHOTO_UPLOAD.c.organisation == organisation
                )
            ).first()
            if known is None:
                connection.execute(
                    PHOTO_UPLOAD.insert().values(
                        sha256=sha,
                        organisation=organisation,
                        account=principal.account_id,
                        uploaded_at=now,
                    )
                )
            return _stored(row), known is None

    def _path(self, sha: str, suffix: str) -> Path:
        assert self.directory is not None
        if not SHA256_HEX.fullmatch(sha):  # pragma: no cover - callers checked it
            raise ValueError("not a SHA-256")
        return self.directory / sha[:2] / f"{sha}.{suffix}"

    def _write_file(self, sha: str, suffix: str, content: bytes) -> None:
        """Write the file once, atomically: readers see all of it or none."""
        path = self._path(sha, suffix)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)

    # --- reading -------------------------------------------------------------------------------

    def info(self, principal: Principal | None, sha256: str) -> StoredPhoto:
        """The photo's facts, if the caller may see it (see the module); else 404."""
        with read_transaction(self.engine) as connection:
            row = self._readable_row(connection, principal, sha256)
        return _stored(row)

    def content(
        self, principal: Principal | None, sha256: str, *, thumbnail: bool = False
    ) -> tuple[StoredPhoto, bytes]:
        """The photo (or its thumbnail) as JPEG bytes, if the caller may see it; else 404.
        ``principal`` None is anyone: only public photos."""
        column = PHOTO.c.thumbnail if thumbnail else PHOTO.c.content
        with read_transaction(self.engine) as connection:
            row = self._readable_row(connection, principal, sha256)
            data = connection.execute(sa.select(column).where(PHOTO.c.sha256 == sha256)).scalar()
        if data is None:
            if self.directory is None:  # pragma: no cover - kept as files by an earlier setup
                raise PhotoNotFoundError(photo=sha256)
            try:
                data = self._path(sha256, "thumb.jpg" if thumbnail else "jpg").read_bytes()
            except FileNotFoundError:
                raise PhotoNotFoundError(photo=sha256) from None
        return _stored(row), bytes(data)

    def _readable_row(
        self, connection: Connection, principal: Principal | None, sha256: str
    ) -> Any:
        if not SHA256_HEX.fullmatch(sha256):
            raise PhotoNotFoundError(photo=sha256[:64])
        row = connection.execute(sa.select(*_FACTS).where(PHOTO.c.sha256 == sha256)).first()
        if row is None or not self._may_read(connection, principal, row):
            raise PhotoNotFoundError(photo=sha256)
        return row

    @staticmethod
    def _may_read(connection: Connection, principal: Principal | None, row: Any) -> bool:
        if row.public:
            return True
        if principal is None:
            return False
        if principal.authority:
            return True
        return principal.organisation is not None and bool(
            uploaded_by(connection, principal.organisation, [row.sha256])
        )

    def lot_photos(self, principal: Principal, lot_id: str) -> list[LotPhoto]:
        """The photos of the harvests that made ``lot_id`` or a lot it was made from, those the
        caller may see (see the module), oldest harvest first, each saying whether the caller
        may mark it public: what a lot card shows beside its "show on the label page"."""
        organisation = principal.organisation or ""
        with read_transaction(self.engine) as connection:
            lots = lineage(connection, lot_id, backward=True)
            uses = sorted(
                (row.entry_idx, row.sha256)
                for row in select_where_in(connection, PHOTO_USE, "lot", lots)
                if row.event_type in PRODUCE_TYPES
            )
            first = {sha: entry for entry, sha in reversed(uses)}
            if not first:
                return []
            rows = {
                row.sha256: row
                for row in connection.execute(
                    sa.select(*_FACTS).where(PHOTO.c.sha256.in_(sorted(first)))
                )
                if self._may_read(connection, principal, row)
            }
            return [
                LotPhoto(
                    photo=_stored(rows[sha]),
                    entry_idx=entry,
                    may_publish=organisation in self._answerable(connection, sha),
                )
                for sha, entry in sorted(first.items(), key=lambda item: (item[1], item[0]))
                if sha in rows
            ]

    # --- public or private ---------------------------------------------------------------------

    def set_public(self, principal: Principal, sha256: str, public: bool) -> StoredPhoto:
        """Mark a produce photo public for the label page, or private again (see the module
        for who may). 404 for a photo the caller may neither see nor publish; 403 for one it
        sees but may not publish; 422 for a photo attached to no harvest."""
        organisation = principal.organisation or ""
        with write_transaction(self.engine) as connection:
            if not SHA256_HEX.fullmatch(sha256):
                raise PhotoNotFoundError(photo=sha256[:64])
            row = connection.execute(sa.select(*_FACTS).where(PHOTO.c.sha256 == sha256)).first()
            if row is None:
                raise PhotoNotFoundError(photo=sha256)
            answerable = self._answerable(connection, sha256)
            if organisation not in answerable:
                if not self._may_read(connection, principal, row):
                    raise PhotoNotFoundError(photo=sha256)
                if not answerable:
                    raise RuleViolationError(
                        N_(
                            "Only photos attached to a harvest can be shown on the label page; "
                            "photo {photo} is attached to none."
                        ),
                        photo=sha256,
                    )
                raise ForbiddenError(
                    N_(
                        "Only the holder or the producer of the harvested lot may show photo "
                        "{photo} on the label page."
                    ),
                    photo=sha256,
                )
            connection.execute(
                PHOTO.update()
                .where(PHOTO.c.sha256 == sha256)
                .values(
                    public=public,
                    public_by=organisation,
                    public_at=utc_timestamp(self.clock.now()),
                )
            )
            row = connection.execute(sa.select(*_FACTS).where(PHOTO.c.sha256 == sha256)).one()
        return _stored(row)

    @staticmethod
    def _answerable(connection: Connection, sha256: str) -> set[str]:
        """The organisations that hold or made a lot a harvest carrying the photo made."""
        rows = connection.execute(
            sa.select(LOT.c.holder, LOT.c.creator)
            .select_from(PHOTO_USE.join(LOT, LOT.c.id == PHOTO_USE.c.lot))
            .where(PHOTO_USE.c.sha256 == sha256, PHOTO_USE.c.event_type.in_(PRODUCE_TYPES))
        )
        return {party for row in rows for party in (row.holder, row.creator) if party}


def photo_uses(
    entry_idx: int, event_type: str, lot: str | None, hashes: Sequence[str]
) -> list[dict[str, Any]]:
    """The ``photo_use`` rows of an entry that attaches ``hashes``."""
    return [
        {"sha256": sha, "entry_idx": entry_idx, "event_type": event_type, "lot": lot}
        for sha in hashes
    ]
