"""Images of codes: the member code as a QR code or a Code128 barcode, and the invite poster's
mini-program code (fetched from WeChat once, then served from Redis as WeChat sent it)."""
import io

import barcode
import qrcode
from barcode.writer import ImageWriter

from core.redis import get_redis, rkey
from wx import client as wx

INVITE_PAGE = "pages/invite/index"
INVITE_CACHE_SECONDS = 30 * 24 * 3600


def qr_png(text: str) -> bytes:
    image = qrcode.make(text, box_size=8, border=4,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def barcode_png(text: str) -> bytes:
    out = io.BytesIO()
    barcode.get("code128", text, writer=ImageWriter()).write(
        out, options={"module_width": 0.3, "module_height": 18, "quiet_zone": 6, "dpi": 200})
    return out.getvalue()


def _invite_key(invite_code: str) -> str:
    return rkey("wx", "invite-qr", invite_code)


def forget_invite_qrcode(invite_code: str) -> None:
    get_redis().delete(_invite_key(invite_code))


def invite_qrcode(invite_code: str) -> wx.Image:
    """The mini-program code whose `scene` is the invite code, with WeChat's content type
    (JPEG). Cached: a popular poster must not reach WeChat's 5,000 calls a minute."""
    redis, key = get_redis(), _invite_key(invite_code)
    cached = redis.get(key)
    if cached:
        return wx.Image(cached, wx.image_type(cached))
    image = wx.client().wxa_code_unlimited(invite_code, INVITE_PAGE)
    redis.set(key, image.content, ex=INVITE_CACHE_SECONDS)
    return image
