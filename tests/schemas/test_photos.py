"""Uploaded photos: what is kept (upright, small, without metadata) and what is refused."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from PIL import Image, ImageCms

from ledger.common.errors import InvalidInputError
from schemas.photos import (
    MAX_SIDE,
    THUMBNAIL_SIDE,
    PhotoLimits,
    PhotoTooLargeError,
    process_photo,
)
from tests.support.photos import (
    GPS_IFD,
    camera_jpeg,
    png_declaring,
    png_with_alpha,
    renamed_pdf,
    small_jpeg,
    webp,
)


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def refusal(data: bytes, field: str = "file", **limits: int) -> str:
    with pytest.raises(InvalidInputError) as caught:
        process_photo(data, PhotoLimits(**limits), field=field)
    assert list(caught.value.errors) == [field]
    [message] = caught.value.errors[field]
    return str(message)


def test_a_camera_photo_is_kept_small_as_jpeg_without_its_exif_and_gps() -> None:
    original = camera_jpeg((2400, 1200))
    assert opened(original).getexif().get_ifd(GPS_IFD)  # the test's photo has a position
    photo = process_photo(original)
    kept = opened(photo.content)
    assert kept.format == "JPEG"
    assert (kept.width, kept.height) == (photo.width, photo.height) == (MAX_SIDE, 800)
    assert len(kept.getexif()) == 0
    assert not kept.getexif().get_ifd(GPS_IFD)
    for key in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "photoshop"):
        assert key not in kept.info
    assert b"PhoneCam" not in photo.content
    assert b"Exif" not in photo.content
    assert b"plot An 1" not in photo.content
    assert photo.sha256 == hashlib.sha256(photo.content).hexdigest()
    thumbnail = opened(photo.thumbnail)
    assert thumbnail.format == "JPEG"
    assert len(thumbnail.getexif()) == 0
    assert (thumbnail.width, thumbnail.height) == (THUMBNAIL_SIDE, 160)
    assert (photo.thumbnail_width, photo.thumbnail_height) == (320, 160)


def test_the_cameras_orientation_is_applied() -> None:
    """Orientation 6: the camera was turned a quarter; the pixels are stored lying down."""
    photo = process_photo(camera_jpeg((1200, 600), orientation=6, gps=False))
    kept = opened(photo.content)
    assert (kept.width, kept.height) == (600, 1200)
    top, bottom = kept.getpixel((300, 100)), kept.getpixel((300, 1100))
    assert isinstance(top, tuple)
    assert isinstance(bottom, tuple)
    # The coloured left half of the stored pixels is the top once turned upright.
    assert top[1] < 100
    assert bottom[1] > 200


def test_a_png_with_transparency_is_laid_on_white() -> None:
    photo = process_photo(png_with_alpha((400, 300)))
    kept = opened(photo.content)
    assert kept.mode == "RGB"
    assert (kept.width, kept.height) == (400, 300)
    corner, middle = kept.getpixel((5, 5)), kept.getpixel((200, 150))
    assert isinstance(corner, tuple)
    assert isinstance(middle, tuple)
    assert min(corner) > 245
    assert middle[1] > 120
    assert middle[0] < 60


def test_webp_is_accepted_and_kept_as_jpeg() -> None:
    photo = process_photo(webp((640, 480)))
    assert opened(photo.content).format == "JPEG"
    assert (photo.width, photo.height) == (640, 480)


def test_the_same_upload_gives_the_same_bytes() -> None:
    data = camera_jpeg()
    assert process_photo(data).content == process_photo(data).content
    assert process_photo(small_jpeg()).sha256 != process_photo(small_jpeg((1, 2, 3))).sha256


def test_a_renamed_pdf_is_refused_as_a_pdf() -> None:
    assert refusal(renamed_pdf(), field="photo") == (
        "This file is a PDF document, not a photo; send a JPEG, PNG or WebP photo."
    )


@pytest.mark.parametrize(
    "data",
    [b"plain text, not a photo", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", b"\x00" * 100],
    ids=["text", "gif", "zeros"],
)
def test_what_is_no_accepted_photo_is_refused(data: bytes) -> None:
    assert refusal(data) == "This file is not a photo; send a JPEG, PNG or WebP photo."


def test_a_truncated_jpeg_is_refused_as_damaged() -> None:
    data = camera_jpeg()
    assert "damaged or incomplete" in refusal(data[: len(data) // 2])


def test_a_png_with_broken_pixels_is_refused_as_damaged() -> None:
    assert "damaged or incomplete" in refusal(png_declaring(100, 100))


def test_an_empty_file_is_refused() -> None:
    assert refusal(b"") == "The file is empty; choose or take a photo."


def test_a_file_over_the_limit_is_refused_with_its_size() -> None:
    data = camera_jpeg()
    with pytest.raises(PhotoTooLargeError) as caught:
        process_photo(data, PhotoLimits(max_bytes=len(data) - 1))
    assert caught.value.status == 413
    assert refusal(b"x" * (3 * 1024 * 1024 + 1), max_bytes=2 * 1024 * 1024) == (
        "The photo is 3.1 MB; at most 2 MB are accepted."
    )


@pytest.mark.parametrize(
    "size",
    [(8000, 8000), (40_000, 40_000)],
    ids=["over-the-limit", "past-pillows-own-refusal"],
)
def test_a_decompression_bomb_is_refused_with_a_message_not_a_warning(
    size: tuple[int, int], recwarn: pytest.WarningsRecorder
) -> None:
    message = refusal(png_declaring(*size))
    assert message == "The photo has more than 16 megapixels; send a smaller one."
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]


def test_a_png_that_decodes_at_full_size_is_held_to_fewer_pixels_than_a_jpeg() -> None:
    """A one-colour 7000 × 7000 PNG is 200 KB sent and 147 MB decoded (a JPEG of that size
    decodes at an eighth): refused before decoding, so a few uploads cannot exhaust a worker."""
    flat = io.BytesIO()
    Image.new("RGB", (7000, 7000), (200, 30, 30)).save(flat, "PNG")
    assert len(flat.getvalue()) < 300_000
    assert refusal(flat.getvalue()) == (
        "The photo has more than 16 megapixels; send a smaller one."
    )
    large = io.BytesIO()
    Image.new("RGB", (4000, 3900), (200, 30, 30)).save(large, "PNG")
    kept = process_photo(large.getvalue())
    assert (kept.width, kept.height) == (1600, 1560)


def test_an_icc_profile_is_applied_then_left_out() -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 10)).save(out, "JPEG", icc_profile=profile)
    kept = opened(process_photo(out.getvalue()).content)
    assert "icc_profile" not in kept.info
    pixel = kept.getpixel((5, 5))
    assert isinstance(pixel, tuple)
    assert pixel[1] > 180


@pytest.mark.parametrize(
    ("mode", "colour"),
    [("CMYK", (0, 255, 255, 0)), ("L", 128), ("I;16", 30000), ("P", 3)],
)
def test_other_colour_modes_become_rgb(mode: str, colour: Any) -> None:
    out = io.BytesIO()
    Image.new(mode, (40, 30), colour).save(out, "JPEG" if mode in ("CMYK", "L") else "PNG")
    kept = opened(process_photo(out.getvalue()).content)
    assert kept.mode == "RGB"
    assert kept.size == (40, 30)
