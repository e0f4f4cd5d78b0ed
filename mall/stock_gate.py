"""The Redis stock gate: a fast copy of each product's `stock_left` that answers sold-out
requests during a flash sale without reaching the product row.

The database stays the truth: a redemption takes units from the gate before its transaction
and the guarded `UPDATE … WHERE stock_left >= q` decides. So the gate may only ever be wrong
in one of two ways, and both are safe:
- too high (a reservation given back after a rebuild, a rebuild racing an in-flight
  redemption): the extra requests reach the database and are refused there; a refusal drops
  the key, so the next request rebuilds it from the database;
- too low (a process died between taking from the gate and committing, a gate write after a
  cancellation was lost): the product shows as sold out early, it UNDER-sells, until the
  periodic rebuild (`mall rebuild-gate`, also a job) copies the database's stock again.
A missing key is rebuilt from the database on first use (after a Redis restart or flush).

Keys carry the hash tag {product:ID}, so every script touches one Cluster slot.
"""
import logging

import redis as redis_lib
from flask import current_app
from sqlalchemy import select

from core.db import db, on_rollback
from core.redis import get_redis, rkey

log = logging.getLogger(__name__)

#: take(q): the units left after taking, -1 when the key is missing, -2 when fewer than q left
TAKE = """
local left = redis.call('GET', KEYS[1])
if not left then return -1 end
local q = tonumber(ARGV[1])
if tonumber(left) < q then return -2 end
return redis.call('DECRBY', KEYS[1], q)
"""

#: give(q): units back, only onto a key that exists (a missing one is rebuilt from the truth)
GIVE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end
return nil
"""

MISSING, SOLD_OUT = -1, -2


def key(product_id: int) -> str:
    return rkey("mall", f"{{product:{product_id}}}", "stock")


def _script(name: str, source: str):
    client = get_redis()
    cache = current_app.extensions.setdefault("mall_gate_scripts", {})
    if (id(client), name) not in cache:
        cache[(id(client), name)] = client.register_script(source)
    return cache[(id(client), name)]


def peek(product_id: int) -> int | None:
    """The units the gate shows, or None when it does not know (missing key, Redis down)."""
    try:
        value = get_redis().get(key(product_id))
    except redis_lib.RedisError:
        return None
    return None if value is None else int(value)


def take(product_id: int, quantity: int, load_stock) -> bool | None:
    """Reserve `quantity` units for this transaction. False = sold out; True = reserved (and
    given back if the transaction rolls back); None = the gate is unavailable (Redis down):
    the database alone decides. `load_stock()` reads the truth when the key is missing."""
    try:
        left = _script("take", TAKE)(keys=[key(product_id)], args=[quantity])
        if left == MISSING:
            get_redis().set(key(product_id), load_stock(), nx=True)  # nx: first rebuild wins
            left = _script("take", TAKE)(keys=[key(product_id)], args=[quantity])
    except redis_lib.RedisError:
        log.warning("stock gate unavailable; the database decides alone", exc_info=True)
        return None
    if left == SOLD_OUT:
        return False
    on_rollback(lambda: give(product_id, quantity))
    return True


def give(product_id: int, quantity: int) -> None:
    """Return units (a rolled-back reservation, a committed cancellation or restock)."""
    try:
        _script("give", GIVE)(keys=[key(product_id)], args=[quantity])
    except redis_lib.RedisError:
        log.warning("stock gate: could not give back %s units of product %s; the rebuild will",
                    quantity, product_id, exc_info=True)


def set_stock(product_id: int, stock_left: int) -> None:
    """Copy the database's stock into the gate (the periodic rebuild)."""
    try:
        get_redis().set(key(product_id), max(stock_left, 0))
    except redis_lib.RedisError:
        log.warning("stock gate: could not set product %s", product_id, exc_info=True)


def forget(product_id: int) -> None:
    """Drop the key (the database refused: the gate was too high); rebuilt on next use."""
    try:
        get_redis().delete(key(product_id))
    except redis_lib.RedisError:
        log.warning("stock gate: could not drop product %s", product_id, exc_info=True)


def rebuild_chunk(after_id: int = 0, limit: int = 500):
    """Copy one chunk of products' stock from the database into the gate (inactive products'
    keys are dropped). Returns (products done, cursor for the next chunk or None)."""
    from mall.models import Product

    rows = db.session.execute(select(Product.id, Product.stock_left, Product.active)
                              .where(Product.id > after_id).order_by(Product.id)
                              .limit(limit)).all()
    for product_id, stock_left, active in rows:
        set_stock(product_id, stock_left) if active else forget(product_id)
    return len(rows), (rows[-1].id if len(rows) == limit else None)
