"""An uploaded photo becomes one the ledger may keep: a JPEG without metadata, or a field error.

Outside bytes are opened with Pillow, and only as what a phone's camera or gallery gives:
**JPEG, PNG or WebP**, told by the file's own signature; no other decoder is ever tried. Then:

1. the pixel count is bounded (:data:`MAX_PIXELS`, also ``Image.MAX_IMAGE_PIXELS``) *before*
   anything is decoded, so a small file that would unpack into gigabytes (a decompression bomb)
   is refused with a message, never a warning or a traceback;
2. the camera's orientation (EXIF) is applied, so the photo stands as it was taken;
3. transparency is laid on white, colours are converted to sRGB from an embedded ICC profile;
4. the photo is re-encoded as JPEG, its longest side at most :data:`MAX_SIDE` pixels, with no
   metadata at all: no EXIF (so no GPS position of a household's plot, no camera serial), no
   XMP, no ICC profile, no comments;
5. a thumbnail of at most :data:`THUMBNAIL_SIDE` pixels is made the same way.

The same upload always gives the same bytes, so the same photo sent twice has one SHA-256 and is
kept once. Every refusal names the field and says what to do, in the reader's language.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from marshmallow import Schema, fields
from PIL import (
    Image,
    ImageCms,
    ImageFile,
    ImageOps,
    JpegImagePlugin,
    PngImagePlugin,
    WebPImagePlugin,
)

from ledger.common.errors import InvalidInputError
from ledger.common.messages import N_, Message
from ledger.supplychain.photos import PhotoImage

#: The longest side of a kept photo and of its thumbnail, in pixels.
MAX_SIDE = 1600
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 82
THUMBNAIL_QUALITY = 78
#: 50 megapixels: more than any phone camera's full frame (a 48 MP sensor gives 8000 × 6000).
MAX_PIXELS = 50_000_000
#: A PNG or WebP decodes at full size (only a JPEG decodes at a reduced scale): 16 megapixels
#: (64 MB decoded) is more than any screenshot or saved photo and keeps a worker's memory small.
MAX_PIXELS_FULL_DECODE = 16_000_000
#: 10 MB (``PHOTO_MAX_BYTES``): a phone's full-size JPEG, far more than a resized one.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

# Any Image.open in the process refuses what would decode into more than this (twice it, and
# warns above it). Uploads are not opened that way: see _open, which checks before decoding.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# A truncated file is an error, never a photo with a grey bottom half.
ImageFile.LOAD_TRUNCATED_IMAGES = False

_MEGABYTE = 1024 * 1024
_SRGB = ImageCms.createProfile("sRGB")


class PhotoTooLargeError(InvalidInputError):
    """The file is larger than ``PHOTO_MAX_BYTES``."""

    code = "photo_too_large"
    status = 413
    template = N_("The photo is larger than the server accepts.")


@dataclass(frozen=True)
class PhotoLimits:
    """How large an upload may be, in bytes (``PHOTO_MAX_BYTES``)."""

    max_bytes: int = DEFAULT_MAX_BYTES


def _megabytes(size: int, *, up: bool) -> Decimal:
    """A size in MB with at most one decimal, rounded up (a file "10,1 MB" is over a 10 MB
    limit) or down (a limit is never overstated)."""
    tenths = -(-size * 10 // _MEGABYTE) if up else size * 10 // _MEGABYTE
    value = Decimal(tenths) / 10
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def _refused(field: str, template: str, **params: object) -> InvalidInputError:
    return InvalidInputError(template, errors={field: [Message(template, **params)]}, **params)


def too_large(field: str, size: int | None, limit: int) -> PhotoTooLargeError:
    """The refusal of a file over ``limit`` bytes (``size`` None: its size is not known, only
    that the request was larger than the limit)."""
    limit_mb = _megabytes(limit, up=False)
    if size is None:
        template = N_("The photo is larger than {limit} MB; send a smaller one.")
        params: dict[str, object] = {"limit": limit_mb}
    else:
        template = N_("The photo is {size} MB; at most {limit} MB are accepted.")
        params = {"size": _megabytes(size, up=True), "limit": limit_mb}
    return PhotoTooLargeError(template, errors={field: [Message(template, **params)]}, **params)


def _not_an_image(field: str, data: bytes) -> InvalidInputError:
    if data.startswith(b"%PDF"):
        return _refused(
            field, N_("This file is a PDF document, not a photo; send a JPEG, PNG or WebP photo.")
        )
    return _refused(field, N_("This file is not a photo; send a JPEG, PNG or WebP photo."))


def _damaged(field: str) -> InvalidInputError:
    return _refused(
        field,
        N_("The photo is damaged or incomplete (cut off while sending?); take or choose it again."),
    )


def _bomb(field: str, limit: int = MAX_PIXELS) -> InvalidInputError:
    return _refused(
        field,
        N_("The photo has more than {megapixels} megapixels; send a smaller one."),
        megapixels=limit // 1_000_000,
    )


def process_photo(
    data: bytes, limits: PhotoLimits | None = None, *, field: str = "file"
) -> PhotoImage:
    """The photo ``data`` as it is kept (see the module), or :class:`InvalidInputError` naming
    ``field``: empty, too large (:class:`PhotoTooLargeError`, 413), not a photo in one of the
    accepted formats, damaged or truncated, or too many pixels."""
    limits = limits or PhotoLimits()
    if not data:
        raise _refused(field, N_("The file is empty; choose or take a photo."))
    if len(data) > limits.max_bytes:
        raise too_large(field, len(data), limits.max_bytes)
    try:
        image = _open(data)
    except (OSError, SyntaxError, ValueError, EOFError):
        raise _damaged(field) from None
    if image is None:
        raise _not_an_image(field, data)
    width, height = image.size
    limit = MAX_PIXELS if image.format == "JPEG" else MAX_PIXELS_FULL_DECODE
    if width * height > limit:
        raise _bomb(field, limit)
    try:
        longest = max(width, height)
        if longest > MAX_SIDE:
            # A JPEG decodes straight at a reduced scale (½, ¼, ⅛) whose longest side is still
            # at least the size kept: a 12-megapixel photo decodes a quarter of its pixels.
            image.draft(None, (-(-MAX_SIDE * width // longest), -(-MAX_SIDE * height // longest)))
        image.load()
        if max(image.size) > MAX_SIDE and image.mode not in ("1", "P"):
            # Made small in place (its EXIF kept for turning it upright) before any conversion
            # copies it: every copy after this one is of at most 1600 × 1600 pixels.
            image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        upright = _upright(image)
    except (OSError, SyntaxError, ValueError, EOFError):
        raise _damaged(field) from None
    rgb = _as_srgb(upright)
    rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    content = _jpeg(rgb, JPEG_QUALITY)
    small = rgb.copy()
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return PhotoImage(
        content=content,
        width=rgb.width,
        height=rgb.height,
        thumbnail=_jpeg(small, THUMBNAIL_QUALITY),
        thumbnail_width=small.width,
        thumbnail_height=small.height,
    )


def _open(data: bytes) -> ImageFile.ImageFile | None:
    """The image's decoder, its header read and nothing decoded; None for what is none of the
    accepted formats. Chosen by the file's own signature, never its name or declared type,
    and without ``Image.open``, which would warn about a bomb before it can be refused."""
    stream = io.BytesIO(data)
    if data.startswith(b"\xff\xd8\xff"):
        return JpegImagePlugin.JpegImageFile(stream)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PngImagePlugin.PngImageFile(stream)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WebPImagePlugin.WebPImageFile(stream)
    return None


def _upright(image: Image.Image) -> Image.Image:
    """The image turned as the camera's EXIF orientation says (a copy; the original if none)."""
    turned = ImageOps.exif_transpose(image)
    return image if turned is None else turned


def _as_srgb(image: Image.Image) -> Image.Image:
    """RGB in sRGB without transparency: alpha laid on white, an ICC profile applied."""
    profile = image.info.get("icc_profile")
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda value: value / 256).convert("L")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        image = background
    if profile and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: the pixels as they are
    rgb = image.convert("RGB")
    # A new image from the pixels alone: nothing of the upload's metadata can travel along.
    return Image.frombytes("RGB", rgb.size, rgb.tobytes())


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


class PhotoSchema(Schema):
    """A kept photo as the API answers it: its hash (what a record's ``photos`` names), its
    sizes, whether it is public, and where to fetch it."""

    sha256 = fields.String(required=True, metadata={"pattern": "^[0-9a-f]{64}$"})
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
    byte_size = fields.Integer(required=True)
    thumbnail_width = fields.Integer(required=True)
    thumbnail_height = fields.Integer(required=True)
    media_type = fields.String(required=True, metadata={"enum": ["image/jpeg"]})
    public = fields.Boolean(required=True)
    url = fields.String(
        required=True, metadata={"description": "The photo, for those who may see it."}
    )
    thumbnail_url = fields.String(required=True)
    public_url = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Its cacheable address for everyone, once it is public."},
    )
    public_thumbnail_url = fields.String(allow_none=True, required=True)
