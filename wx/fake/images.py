"""The PNG the fake answers for a mini-program code.

A real QR code when the qrcode package is installed (so a phone can scan it in development);
otherwise a tiny, valid PNG built by hand, so the fake needs no image library to run.
"""
from __future__ import annotations

import io
import struct
import zlib


def qr_png(text):
    """A QR code PNG of `text` (qrcode package), else a tiny valid checkerboard PNG."""
    try:
        import qrcode

        buf = io.BytesIO()
        qrcode.make(text).save(buf)
        return buf.getvalue()
    except Exception:  # qrcode (or its PIL/pypng backend) missing
        return _plain_png(21)


def _plain_png(size):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(
        b"\x00" + bytes(0 if (x + y) % 2 else 255 for x in range(size)) for y in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
