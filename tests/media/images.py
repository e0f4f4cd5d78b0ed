"""Test images made in memory."""
import io

from PIL import Image


def picture(fmt="PNG", size=(300, 200), mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128)).save(
        out, format=fmt, **save)
    return out.getvalue()
