"""Photos sent from a browser or an API client: read within the limit, processed, kept.

Both ways in end here: ``POST /api/v1/photos`` (:mod:`web.api.photos`) and the farmer's form
pages, which take a photo in the same post as the record it belongs to:

.. code-block:: python

    allow_photo_upload("photo")                # before request.form or request.files is read
    sha = save_uploaded_photo(request.files["photo"], principal, field="photo")
    data["photos"] = [sha]

The form's input is the ``photo_input.html`` partial; its script (``static/photo.js``) resizes
the photo on the device before the form is sent, and without JavaScript the full photo is sent
and resized here, which is why a request may carry up to ``PHOTO_MAX_BYTES`` beside the form.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence

from flask import current_app, request
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from ledger.supplychain.accounts import Principal
from ledger.supplychain.photos import StoredPhoto
from schemas.photos import DEFAULT_MAX_BYTES, PhotoLimits, process_photo, too_large
from web.services import services

#: Room for the form's other fields and the multipart framing beside the photo itself.
FORM_ALLOWANCE = 256 * 1024


def photo_limits() -> PhotoLimits:
    return PhotoLimits(max_bytes=int(current_app.config.get("PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES)))


def allow_photo_upload(field: str = "photo") -> None:
    """Let this request's body be as large as a photo and a form: ``MAX_CONTENT_LENGTH`` is for
    JSON, and a photo sent without the device's resizing may be larger. Call it before the
    form or the files are read; it never lowers the limit. A body declared larger than that
    is refused here, naming ``field`` (the photo is what makes a form that large)."""
    limit = photo_limits().max_bytes
    wanted = limit + FORM_ALLOWANCE
    current = request.max_content_length
    if current is None or current < wanted:
        request.max_content_length = wanted
        current = wanted
    if request.content_length is not None and request.content_length > current:
        raise too_large(field, None, limit)


def uploaded_files(field: str) -> list[FileStorage]:
    """The files a form sent under ``field``, without the empty part a browser sends when no
    file was chosen; a body over the limit is refused naming ``field``, with the limit."""
    try:
        files = request.files.getlist(field)
    except RequestEntityTooLarge:
        raise too_large(field, None, photo_limits().max_bytes) from None
    return [file for file in files if file.filename or file.content_length]


def _read(file: FileStorage, limit: int, field: str) -> bytes:
    """The file's bytes, or the refusal of one over the limit, with its size where the upload
    can tell it (never more than one byte past the limit is read into memory)."""
    stream = file.stream
    data = stream.read(limit + 1)
    if len(data) <= limit:
        return data
    size = None
    with contextlib.suppress(OSError, ValueError, AttributeError):
        size = stream.seek(0, os.SEEK_END)
    raise too_large(field, size if size and size > limit else len(data), limit)


def save_photo(
    file: FileStorage, principal: Principal, *, field: str = "file"
) -> tuple[StoredPhoto, bool]:
    """Process and keep one uploaded file as a photo of the principal's organisation (and
    whether it is new to it); a file that is no photo, damaged, empty or too large is refused
    naming ``field``."""
    limits = photo_limits()
    image = process_photo(_read(file, limits.max_bytes, field), limits, field=field)
    return services().photos.save(principal, image)


def save_uploaded_photo(file: FileStorage, principal: Principal, *, field: str = "photo") -> str:
    """For the form pages: keep the photo a form sent, and return the SHA-256 (lowercase hex)
    its record's ``photos`` list names. Raises
    :class:`~ledger.common.errors.InvalidInputError` (400, or 413 for a file over
    ``PHOTO_MAX_BYTES``) whose ``errors`` name ``field``, in the reader's language once
    translated (:func:`web.i18n.translate`)."""
    return save_photo(file, principal, field=field)[0].sha256


def save_uploaded_photos(
    files: Sequence[FileStorage], principal: Principal, *, field: str = "photos"
) -> list[str]:
    """:func:`save_uploaded_photo` for each of several files (``multiple`` inputs), in order,
    each once; the first bad one is refused naming ``field``."""
    hashes: list[str] = []
    for file in files:
        sha = save_uploaded_photo(file, principal, field=field)
        if sha not in hashes:
            hashes.append(sha)
    return hashes
