"""Photos an entry attaches: each must be one the recording organisation uploaded.

The entry carries the photos' SHA-256 in its public ``photos`` list, so the ledger commits to
exactly the bytes kept off it (:mod:`ledger.supplychain.photos`). An entry may not name a photo
its organisation did not upload: nobody can claim another farm's picture as evidence, and a
hash of bytes that were never uploaded would commit to nothing anyone can show.
"""

from __future__ import annotations

from typing import Any

from ledger.common.messages import N_, Message
from ledger.supplychain.errors import RuleViolationError
from ledger.supplychain.photos import photo_uses, uploaded_by
from ledger.supplychain.recording.context import RecordingContext

#: One refusal for a photo never uploaded and for another organisation's: the answer says
#: nothing about photos the caller may not see.
NOT_UPLOADED = N_("{organisation} uploaded no photo {photo}; upload it before recording.")


def attached_photos(ctx: RecordingContext) -> list[dict[str, Any]]:
    """The ``photo_use`` rows of the command's photos, or the refusal naming the first photo
    that is not the caller's."""
    hashes: list[str] = list(ctx.data.get("photos") or [])
    if not hashes:
        return []
    found = uploaded_by(ctx.connection, ctx.org, hashes)
    for position, sha in enumerate(hashes):
        if sha not in found:
            message = Message(NOT_UPLOADED, organisation=ctx.org, photo=sha)
            raise RuleViolationError(
                NOT_UPLOADED,
                errors={"data": {"photos": {position: [message]}}},
                organisation=ctx.org,
                photo=sha,
            )
    lot = ctx.data.get("lot") or ctx.data.get("flock")
    return photo_uses(ctx.index, ctx.command.type, lot if isinstance(lot, str) else None, hashes)
