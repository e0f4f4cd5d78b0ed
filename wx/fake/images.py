"""The JPEG the fake answers for a mini-program code, as WeChat does (`image/jpeg`).

A real QR code when the qrcode package and Pillow are installed (so a phone can scan it in
development); otherwise a tiny, valid grey JPEG, so the fake needs no image library to run.
"""
from __future__ import annotations

import base64
import io

CONTENT_TYPE = "image/jpeg"

#: an 8x8 white baseline JPEG (what Pillow writes at quality 50)
_PLAIN_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERX"
    "RTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/wAALCAAIAAgBAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcI"
    "CQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcY"
    "GRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKj"
    "pKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/APQK"
    "/9k=")


def qr_jpeg(text):
    """A QR code JPEG of `text` (qrcode + Pillow), else a tiny valid white JPEG."""
    try:
        import qrcode

        buf = io.BytesIO()
        qrcode.make(text).get_image().convert("RGB").save(buf, format="JPEG", quality=90)
        return buf.getvalue()
    except Exception:  # qrcode or Pillow missing
        return _PLAIN_JPEG
