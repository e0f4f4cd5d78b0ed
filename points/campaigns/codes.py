"""The store's visit code as WeChat makes it (getwxacodeunlimit), fetched once per token
window and served from Redis meanwhile (WeChat's quota is per minute, screens refresh often)."""
from core.redis import get_redis, rkey
from points.campaigns.visits import VISIT_PAGE, scene_for
from wx import client as wx


def visit_code_image(store) -> tuple[wx.Image, int]:
    """(the mini-program code the store shows now, seconds until it is replaced)."""
    scene, seconds_left = scene_for(store)
    redis, key = get_redis(), rkey("wx", "visit-code", scene)
    cached = redis.get(key)
    if cached:
        return wx.Image(cached, wx.image_type(cached)), seconds_left
    image = wx.client().wxa_code_unlimited(scene, VISIT_PAGE)
    redis.set(key, image.content, ex=seconds_left + 5)
    return image, seconds_left
