"""The Redis connection: a real server from REDIS_URL, the current primary named by Redis
Sentinel (REDIS_SENTINELS), or in-process fakeredis (with Lua)."""
import time

import fakeredis
import redis as redis_lib
from flask import current_app
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelConnectionPool, SentinelManagedConnection

#: one in-process server per process, so the app, RQ and the embedded worker share state
_FAKE_SERVER = fakeredis.FakeServer()


class RedisStore:
    def __init__(self):
        self.client = None
        self.prefix = "jifen:"

    def init_app(self, app):
        if is_configured(app.config):
            self.client = client_for(app.config)
        else:
            self.client = fakeredis.FakeRedis(server=_FAKE_SERVER)
        self.prefix = app.config.get("REDIS_KEY_PREFIX", "jifen:")
        app.extensions["jifen_redis"] = self

    def key(self, *parts) -> str:
        return self.prefix + ":".join(str(p) for p in parts)


def is_configured(config) -> bool:
    """A real Redis is configured (a URL or Sentinels); else the embedded fakeredis."""
    return bool(config.get("REDIS_URL") or config.get("REDIS_SENTINELS"))


def client_for(config, patient: bool = False) -> redis_lib.Redis:
    """The app's Redis client for this configuration: through Sentinel when REDIS_SENTINELS is
    set, else REDIS_URL. `patient` (the worker and its cron scheduler): retry for ~15 s, long
    enough for Sentinel to promote a replica, instead of one quick retry (a request answers
    503 rather than wait)."""
    timeout = config.get("REDIS_TIMEOUT", 1.0)
    if config.get("REDIS_SENTINELS"):
        return sentinel_primary(config["REDIS_SENTINELS"], config["REDIS_SENTINEL_MASTER"],
                                timeout, db=config.get("REDIS_SENTINEL_DB", 0),
                                password=config.get("REDIS_PASSWORD") or None, patient=patient)
    return connect(config["REDIS_URL"], timeout, patient=patient)


def _retry(patient: bool) -> Retry:
    if patient:
        return Retry(ExponentialBackoff(cap=1.0, base=0.1), 20)
    return Retry(ExponentialBackoff(cap=0.1, base=0.02), 1)


def connect(url: str, timeout: float = 1.0, patient: bool = False) -> redis_lib.Redis:
    """A client that gives up soon when Redis is away, so a request that needs it answers 503
    within a couple of seconds: `timeout` per connect and per reply, one quick retry (redis-py's
    default, three retries with backoff, took 11 s to give up on a stopped server)."""
    return redis_lib.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                    retry=_retry(patient))


def parse_sentinels(value: str) -> list[tuple[str, int]]:
    """"host:port,host:port" → [(host, port), …]."""
    found = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        host, _, port = item.rpartition(":")
        found.append((host.strip("[]") or "127.0.0.1", int(port)))
    return found


class PrimaryConnection(SentinelManagedConnection):
    """A connection to the Sentinels' primary that asks them again whenever it reconnects.
    redis-py 7.4's retry reconnects a dropped connection to the address it had
    (send_packed_command → connect_check_health), so after a failover every retry knocked at
    the old primary until the command gave up."""

    def connect_check_health(self, *args, **kwargs):
        if not self._sock and self.connection_pool.is_master:
            self.host, self.port = self.connection_pool.get_master_address()
        return super().connect_check_health(*args, **kwargs)


class PrimaryPool(SentinelConnectionPool):
    """Asks the Sentinels where the primary is at most once a CHECK_SECONDS when a connection
    is taken. A planned failover (SENTINEL FAILOVER) leaves the old primary taking writes until
    Sentinel demotes it ~10 s later, and connections already open are not told: without this
    they would write there, and the writes would be lost when it resyncs. When the primary has
    moved, redis-py closes the idle connections to the old one, and one in use when it is
    given back."""

    CHECK_SECONDS = 1.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._checked_at = 0.0

    def get_connection(self, *args, **kwargs):
        if time.monotonic() - self._checked_at >= self.CHECK_SECONDS:
            self._checked_at = time.monotonic()
            try:
                self.get_master_address()
            except redis_lib.ConnectionError:
                pass  # no Sentinel answers now: the connection itself will tell
        return super().get_connection(*args, **kwargs)


def sentinel_primary(sentinels: str, service: str, timeout: float = 1.0, db: int = 0,
                     password=None, patient: bool = False) -> redis_lib.Redis:
    """A client of the primary the Sentinels name for `service`. Each new connection asks them
    where the primary is; after a failover a connection to the old primary fails (closed by
    Sentinel, or ReadOnlyError, which redis-py turns into a ConnectionError), the retry opens a
    new one, and so reaches the new primary: no restart needed."""
    socket = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    manager = Sentinel(parse_sentinels(sentinels), sentinel_kwargs=socket, **socket)
    return manager.master_for(service, db=db, password=password, retry=_retry(patient),
                              connection_pool_class=PrimaryPool,
                              connection_class=PrimaryConnection)


def get_store() -> RedisStore:
    return current_app.extensions["jifen_redis"]


def get_redis() -> redis_lib.Redis:
    return get_store().client


def rkey(*parts) -> str:
    """A namespaced Redis key, e.g. rkey("nonce", key_id, nonce)."""
    return get_store().key(*parts)
