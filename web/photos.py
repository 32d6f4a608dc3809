"""Photos as answers: the bytes with their headers, and the public photos of the label pages.

``/photos/<sha256>.jpg`` and ``/photos/<sha256>/thumbnail.jpg`` serve a photo a lot's holder
made public (see :mod:`ledger.supplychain.photos`), to anyone, cacheable for a day: its
address is its hash, so the bytes at it never change; a photo made private again is gone from
here at once and from caches within the day. Any other photo is "not found" here, whether it
exists or not. The API's own addresses (:mod:`web.api.photos`) serve private photos to those who
may see them, never to a shared cache.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, request, url_for
from werkzeug.routing import BaseConverter

from ledger.supplychain.photos import MEDIA_TYPE, StoredPhoto
from web.services import services

bp = Blueprint("photos", __name__)

#: How long a shared cache may keep a public photo.
PUBLIC_MAX_AGE = 86400


class Sha256Converter(BaseConverter):
    """A photo's address: 64 lowercase hex digits; anything else is no photo (404)."""

    regex = "[0-9a-f]{64}"


def init_app(app: Flask) -> None:
    app.url_map.converters["sha256"] = Sha256Converter
    app.register_blueprint(bp)


def photo_response(photo: StoredPhoto, data: bytes, *, thumbnail: bool, shared: bool) -> Response:
    """The JPEG bytes, labelled so no browser takes them for anything else, conditional on
    their ETag (the hash); ``shared``: a public photo any cache may keep, else only the
    caller's own browser, and only after asking again."""
    response = Response(data, mimetype=MEDIA_TYPE)
    response.headers["X-Content-Type-Options"] = "nosniff"
    name = f"{photo.sha256}{'-thumbnail' if thumbnail else ''}.jpg"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.set_etag(f"{photo.sha256}{'-t' if thumbnail else ''}")
    if shared:
        response.cache_control.public = True
        response.cache_control.max_age = PUBLIC_MAX_AGE
    else:
        response.cache_control.private = True
        response.cache_control.no_cache = True
        response.vary.add("Authorization")
        response.vary.add("Cookie")
    response.make_conditional(request)  # a 304 in place, when the caller has these bytes
    return response


def public_links(sha256: str) -> dict[str, str]:
    """The public addresses of a photo and its thumbnail."""
    return {
        "url": url_for("photos.public_photo", sha256=sha256),
        "thumbnail_url": url_for("photos.public_thumbnail", sha256=sha256),
    }


@bp.get("/photos/<sha256:sha256>.jpg")
def public_photo(sha256: str) -> Response:
    """A public photo of a label page."""
    photo, data = services().photos.content(None, sha256)
    return photo_response(photo, data, thumbnail=False, shared=True)


@bp.get("/photos/<sha256:sha256>/thumbnail.jpg")
def public_thumbnail(sha256: str) -> Response:
    """A public photo's thumbnail, as the label page shows it."""
    photo, data = services().photos.content(None, sha256, thumbnail=True)
    return photo_response(photo, data, thumbnail=True, shared=True)
