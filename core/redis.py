"""The Redis connection: a real server from REDIS_URL, or in-process fakeredis (with Lua)."""
import fakeredis
import redis as redis_lib
from flask import current_app
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

#: one in-process server per process, so the app, RQ and the embedded worker share state
_FAKE_SERVER = fakeredis.FakeServer()


class RedisStore:
    def __init__(self):
        self.client = None
        self.prefix = "jifen:"

    def init_app(self, app):
        url = app.config.get("REDIS_URL")
        if url:
            self.client = connect(url, app.config.get("REDIS_TIMEOUT", 1.0))
        else:
            self.client = fakeredis.FakeRedis(server=_FAKE_SERVER)
        self.prefix = app.config.get("REDIS_KEY_PREFIX", "jifen:")
        app.extensions["jifen_redis"] = self

    def key(self, *parts) -> str:
        return self.prefix + ":".join(str(p) for p in parts)


def connect(url: str, timeout: float = 1.0) -> redis_lib.Redis:
    """A client that gives up soon when Redis is away, so a request that needs it answers 503
    within a couple of seconds: `timeout` per connect and per reply, one quick retry (redis-py's
    default, three retries with backoff, took 11 s to give up on a stopped server)."""
    return redis_lib.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                    retry=Retry(ExponentialBackoff(cap=0.1, base=0.02), 1))


def get_store() -> RedisStore:
    return current_app.extensions["jifen_redis"]


def get_redis() -> redis_lib.Redis:
    return get_store().client


def rkey(*parts) -> str:
    """A namespaced Redis key, e.g. rkey("nonce", key_id, nonce)."""
    return get_store().key(*parts)
