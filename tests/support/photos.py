"""Photos for tests, made with Pillow: camera JPEGs with EXIF (orientation, GPS), PNGs with
transparency, WebP, and files that only pretend to be photos."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

#: EXIF tags and the GPS IFD.
ORIENTATION, MAKE, GPS_IFD = 0x0112, 0x010F, 0x8825
GPS_LATITUDE_REF, GPS_LATITUDE, GPS_LONGITUDE_REF, GPS_LONGITUDE = 1, 2, 3, 4


def camera_jpeg(
    size: tuple[int, int] = (2400, 1200),
    *,
    orientation: int | None = None,
    gps: bool = True,
    colour: tuple[int, int, int] = (180, 40, 40),
) -> bytes:
    """A JPEG as a phone writes it: EXIF with the maker, the GPS position of the plot, and the
    orientation the camera was held in. Its left half is ``colour``, its right half white, so
    a turn can be seen in the pixels."""
    image = Image.new("RGB", size, (255, 255, 255))
    image.paste(Image.new("RGB", (size[0] // 2, size[1]), colour), (0, 0))
    exif = Image.Exif()
    exif[MAKE] = "PhoneCam"
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if gps:
        ifd = exif.get_ifd(GPS_IFD)
        ifd[GPS_LATITUDE_REF] = "N"
        ifd[GPS_LATITUDE] = (20.0, 39.0, 30.5)
        ifd[GPS_LONGITUDE_REF] = "E"
        ifd[GPS_LONGITUDE] = (106.0, 3.0, 12.25)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes(), comment=b"taken at plot An 1")
    return out.getvalue()


def png_with_alpha(size: tuple[int, int] = (400, 300)) -> bytes:
    """A PNG, transparent but for an opaque green square in its middle."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    image.paste(Image.new("RGBA", (100, 100), (20, 160, 40, 255)), (150, 100))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def webp(size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 60, 200)).save(out, "WEBP", quality=80)
    return out.getvalue()


def small_jpeg(colour: tuple[int, int, int] = (200, 150, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


def renamed_pdf() -> bytes:
    """A PDF someone renamed to ``photo.jpg``."""
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` × ``height`` pixels: a decompression bomb's
    shape, a few dozen bytes that would decode into gigabytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )
