"""Abuse limits on what members can do in bursts (log in, bind a phone, check in, redeem): so
many requests per window per member and per client address, counted in Redis in fixed
windows. Over a limit → 429 `rate_limited` with `Retry-After` (the seconds until the window
ends). Each limit is config RATE_LIMITS[name] = {"member": "count/seconds", "address": …}; an
empty rule is no limit. Requests refused still count, so a client that keeps hammering stays
refused until it pauses. Redis down: the limits are not enforced (the database's unique keys
still hold every promise); the request goes on.
"""
import logging
from functools import wraps

import redis as redis_lib
from flask import current_app, g, request

from core.errors import RateLimited
from core.redis import get_redis, rkey

log = logging.getLogger(__name__)


def limited(name: str):
    """Count the request against limit `name`, per client address and per member (the caller
    checked first, by core.auth)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            hit(name, member=g.get("member_id"))
            return view(*args, **kwargs)

        return wrapper

    return decorator


def hit(name: str, *, member=None, address: bool = True) -> None:
    """Count one request against limit `name` for `member` (if given) and the client address
    (if `address`); 429 when either is over its limit."""
    rules = current_app.config["RATE_LIMITS"][name]
    counted = [(scope, who, rule) for scope, who, rule in (
        ("member", member, rules.get("member")),
        ("address", (request.remote_addr or "-") if address else None, rules.get("address")),
    ) if who is not None and rule]
    if not counted:
        return
    try:
        pipe = get_redis().pipeline(transaction=False)
        for scope, who, rule in counted:
            key, (_limit, seconds) = rkey("limit", name, scope, who), parse(rule)
            pipe.incr(key).expire(key, seconds, nx=True).ttl(key)
        replies = pipe.execute()
    except redis_lib.RedisError as exc:
        log.warning("rate limit %s not enforced: Redis unavailable (%s)", name, exc)
        return
    for (scope, _who, rule), (count, _set, ttl) in zip(counted, _triples(replies)):
        if count > parse(rule)[0]:
            raise RateLimited(max(int(ttl), 1), f"Too many requests ({name}) from this "
                                                f"{scope}; try again later.")


def parse(rule: str) -> tuple[int, int]:
    """"10/60" → (10 requests, per 60 seconds)."""
    count, _, seconds = rule.partition("/")
    return int(count), int(seconds)


def _triples(replies):
    return [replies[i:i + 3] for i in range(0, len(replies), 3)]
