"""Checking an uploaded image by decoding it (never by its name or declared type), and
re-encoding it: scaled to fit, turned upright, metadata (EXIF, GPS) dropped."""
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import ValidationFailed

#: formats accepted as uploaded
ACCEPTED = ("JPEG", "PNG", "WEBP")
#: more pixels than this is refused before decoding (a decompression bomb)
MAX_PIXELS = 40_000_000
NOT_AN_IMAGE = "Not an image we accept: upload a JPEG, PNG or WebP picture."


@dataclass
class Encoded:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def reencode(data: bytes, max_side: int) -> Encoded:
    """The picture in `data`, scaled to fit max_side×max_side, as JPEG (PNG when it has
    transparency). 422 on the `file` field for anything that does not decode as an accepted
    image."""
    image = _decoded(data)
    image = ImageOps.exif_transpose(image)
    image.thumbnail((max_side, max_side))
    out = io.BytesIO()
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image = image.convert("RGBA")
        image.save(out, format="PNG", optimize=True)
        kind = ("image/png", "png")
    else:
        image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
        kind = ("image/jpeg", "jpg")
    return Encoded(out.getvalue(), *kind, *image.size)


def _decoded(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in ACCEPTED:
            raise _refused()
        if image.width * image.height > MAX_PIXELS:
            raise ValidationFailed(details={"file": [f"At most {MAX_PIXELS:,} pixels."]})
        image.load()  # decodes it all: a truncated or corrupt file fails here
        return image
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError,
            ValueError) as exc:
        raise _refused() from exc


def _refused() -> ValidationFailed:
    return ValidationFailed(details={"file": [NOT_AN_IMAGE]})
