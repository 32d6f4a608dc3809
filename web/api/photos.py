"""Photos: upload one (multipart), fetch it and its thumbnail, show it on the label page or not.

An upload answers the SHA-256 a record's ``photos`` list then names. Photos are private: only
the uploading organisations and the authorities see them, until the holder or the producer of
the harvested lot they show marks them public (see :mod:`ledger.supplychain.photos`); anyone
else, signed in or not, is told a photo does not exist.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for

from ledger.common.errors import InvalidInputError
from ledger.common.messages import N_, Message
from ledger.supplychain.photos import MEDIA_TYPE, StoredPhoto
from schemas.photos import PhotoSchema
from web.api import API_PREFIX
from web.api.common import ApiBlueprint, documented_errors
from web.api.openapi import path_parameter
from web.auth import current_principal, require_principal
from web.photo_uploads import allow_photo_upload, save_photo, uploaded_files
from web.photos import photo_response, public_links
from web.services import services

bp = ApiBlueprint(
    "photos_api",
    __name__,
    url_prefix=f"{API_PREFIX}/photos",
    description="Photos a record attaches, kept off the ledger under their SHA-256.",
    public=("photo", "thumbnail"),
)

SHA256_PATH = [
    path_parameter("sha256", {"type": "string", "pattern": "^[0-9a-f]{64}$"}),
]
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "A JPEG, PNG or WebP photo of at most PHOTO_MAX_BYTES "
                        "(10 MB by default); it is kept as a JPEG of at most 1600 px without "
                        "EXIF, GPS or other metadata.",
                    }
                },
            }
        }
    },
}
BINARY = {"type": "string", "format": "binary"}
#: Anyone may ask for a photo: without credentials, only public photos are found.
ANYONE: list[dict[str, list[str]]] = [{}, {"bearer": []}, {"session": []}]


def rendered(photo: StoredPhoto) -> dict[str, Any]:
    public = public_links(photo.sha256) if photo.public else {}
    return {
        "sha256": photo.sha256,
        "width": photo.width,
        "height": photo.height,
        "byte_size": photo.byte_size,
        "thumbnail_width": photo.thumbnail_width,
        "thumbnail_height": photo.thumbnail_height,
        "media_type": MEDIA_TYPE,
        "public": photo.public,
        "url": url_for("photos_api.photo", sha256=photo.sha256),
        "thumbnail_url": url_for("photos_api.thumbnail", sha256=photo.sha256),
        "public_url": public.get("url"),
        "public_thumbnail_url": public.get("thumbnail_url"),
    }


@bp.route("", methods=["POST"])
@bp.doc(requestBody=UPLOAD_BODY)
@bp.response(201, PhotoSchema)
@bp.alt_response(200, schema=PhotoSchema, description="Uploaded before: the same photo.")
@documented_errors(bp, 400, 403, 413)
def upload() -> tuple[dict[str, Any], int]:
    """Upload a photo (multipart/form-data, field `file`)"""
    principal = require_principal()
    if request.mimetype != "multipart/form-data":
        raise InvalidInputError(
            errors={
                "file": [Message(N_("Send the photo as multipart/form-data in the field file."))]
            }
        )
    allow_photo_upload("file")
    files = uploaded_files("file")
    if len(files) != 1:
        raise InvalidInputError(
            errors={"file": [Message(N_("Send exactly one photo in the field file."))]}
        )
    photo, new = save_photo(files[0], principal, field="file")
    return rendered(photo), 201 if new else 200


@bp.route("/<sha256:sha256>", methods=["GET"], parameters=SHA256_PATH)
@bp.response(200, BINARY, content_type=MEDIA_TYPE, description="The photo, as a JPEG.")
@bp.doc(security=ANYONE)
@documented_errors(bp, 404)
def photo(sha256: str) -> Response:
    """A photo, to its uploaders and the authorities, or to anyone once public"""
    found, data = services().photos.content(current_principal(), sha256)
    return photo_response(found, data, thumbnail=False, shared=False)


@bp.route("/<sha256:sha256>/thumbnail", methods=["GET"], parameters=SHA256_PATH)
@bp.response(200, BINARY, content_type=MEDIA_TYPE, description="The thumbnail, as a JPEG.")
@bp.doc(security=ANYONE)
@documented_errors(bp, 404)
def thumbnail(sha256: str) -> Response:
    """A photo's thumbnail (at most 320 px), to whoever may see the photo"""
    found, data = services().photos.content(current_principal(), sha256, thumbnail=True)
    return photo_response(found, data, thumbnail=True, shared=False)


@bp.route("/<sha256:sha256>/info", methods=["GET"], parameters=SHA256_PATH)
@bp.response(200, PhotoSchema)
@documented_errors(bp, 404)
def info(sha256: str) -> dict[str, Any]:
    """A photo's sizes, whether it is public, and its addresses"""
    return rendered(services().photos.info(require_principal(), sha256))


@bp.route("/<sha256:sha256>/public", methods=["PUT"], parameters=SHA256_PATH)
@bp.response(200, PhotoSchema)
@documented_errors(bp, 403, 404, 422)
def publish(sha256: str) -> dict[str, Any]:
    """Show a harvest's photo on the label page: for the lot's holder or producer"""
    return rendered(services().photos.set_public(require_principal(), sha256, True))


@bp.route("/<sha256:sha256>/public", methods=["DELETE"], parameters=SHA256_PATH)
@bp.response(200, PhotoSchema)
@documented_errors(bp, 403, 404, 422)
def unpublish(sha256: str) -> dict[str, Any]:
    """Take a photo off the label page again: private as before"""
    return rendered(services().photos.set_public(require_principal(), sha256, False))
