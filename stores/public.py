"""The store list members see (门店列表, the pickup-store picker): active stores, cached in
each process (core.config_cache), distance computed on the phone — the member's location
never reaches the server."""
from sqlalchemy import select

from core import config_cache
from stores.models import Store

PUBLIC_FIELDS = ("code", "name", "brand", "address", "latitude", "longitude", "hours", "phone",
                 "pickup")


def public_stores(brand: str | None = None, pickup: bool | None = None) -> list:
    """Active stores by code, as plain data; `brand`, `pickup` filter them."""
    stores = config_cache.cached_rows(
        "public-stores", lambda: select(Store).where(Store.active.is_(True)).order_by(Store.code),
        PUBLIC_FIELDS)
    return [s for s in stores if (brand is None or s.brand == brand)
            and (pickup is None or s.pickup == pickup)]
