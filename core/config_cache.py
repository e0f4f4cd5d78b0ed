"""Read-mostly programme configuration (settings, earn rules, promotions, tiers, POS keys),
cached in each process and checked against one generation number in Redis, read once a request.

Writes need no call: the session's flush notices a new, changed or deleted row of a registered
model. The writing transaction then reads the database directly, the process drops its cache,
and once the transaction commits the generation goes up, so every other process reloads on its
next request. A rolled-back write leaves the generation alone (and the cache reloads what is
committed). Cached values are frozen plain data, never ORM rows: they outlive the session
and are shared by every request of the process.

Only ORM writes are noticed: a Core UPDATE or a hand-made SQL fix to these tables reaches every
process within MAX_AGE_SECONDS, or at once after `redis-cli INCR jifen:config-generation`
(REDIS_KEY_PREFIX + "config-generation"). While Redis does not answer, the configuration is
read from the database on every use.
"""
import dataclasses
import functools
import logging
import threading
import time
from typing import NamedTuple

from flask import current_app, has_app_context, has_request_context, request
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from core.db import after_commit, db, on_rollback
from core.redis import get_redis, rkey

log = logging.getLogger(__name__)

#: reload at least this often, even if a generation bump was lost (Redis down at commit)
MAX_AGE_SECONDS = 60

_models: set[type] = set()
_lock = threading.Lock()
_CHANGED = "config_changed"
_GENERATION = "jifen.config_generation"


def _cache() -> dict:
    """This app's cache (one per app: a process may hold apps on different databases)."""
    return current_app.extensions.setdefault(
        "jifen_config_cache", {"generation": None, "values": {}, "loaded_at": 0.0})


def cached_model(cls):
    """Class decorator: writes to this model change the configuration."""
    _models.add(cls)
    return cls


def cached(name: str, load):
    """`load()`'s result, computed once per configuration generation in this process. None
    is not kept (a lookup of something that does not exist asks the database each time)."""
    session = db.session() if has_app_context() else None
    if session is None or session.info.get(_CHANGED):
        return load()
    session.flush()  # a pending write to these tables is noticed before anything is read
    generation, cache = _generation(), _cache()
    if generation is _UNKNOWN or session.info.get(_CHANGED):
        return load()
    with _lock:
        fresh = time.monotonic() - cache["loaded_at"] < MAX_AGE_SECONDS
        if cache["generation"] == generation and fresh and name in cache["values"]:
            return cache["values"][name]
    value = load()
    with _lock:
        if cache["generation"] != generation or not fresh:
            cache.update(generation=generation, values={}, loaded_at=time.monotonic())
        if value is not None:
            cache["values"][name] = value
    return value


class Peeked(NamedTuple):
    value: object
    generation: object  #: the generation it was loaded at


def peek(name: str) -> Peeked | None:
    """What this process holds for `name`, and its generation, without asking Redis — for a
    caller that reads the generation itself, together with something else (core.auth), and
    then hands it to `use_generation`. None when nothing fresh is held."""
    if not has_app_context() or db.session().info.get(_CHANGED):
        return None
    cache = _cache()
    with _lock:
        if name in cache["values"] and time.monotonic() - cache["loaded_at"] < MAX_AGE_SECONDS:
            return Peeked(cache["values"][name], cache["generation"])
    return None


def use_generation(generation) -> None:
    """The generation this request works with, as its caller read it from Redis (the raw GET
    of generation_key(); `cached` asks no more in this request)."""
    if has_request_context():
        request.environ[_GENERATION] = generation


def generation_key() -> str:
    return rkey("config-generation")


def cached_rows(name: str, query, fields) -> list:
    """The rows `query()` selects, as snapshots of `fields`, cached like `cached`."""
    return cached(name, lambda: [snapshot(row, fields) for row in db.session.scalars(query())])


def snapshot(row, fields):
    """A frozen copy of a row's fields (lists become tuples), safe to keep and share."""
    return _frozen_type(tuple(fields))(**{
        name: tuple(v) if isinstance(v := getattr(row, name), list) else v for name in fields})


@functools.cache
def _frozen_type(fields: tuple):
    return dataclasses.make_dataclass("Snapshot", fields, frozen=True)


def clear() -> None:
    """Forget everything this app has cached in this process."""
    if has_app_context():
        with _lock:
            _cache().update(generation=None, values={}, loaded_at=0.0)


#: Redis did not answer: nothing can be trusted from the cache
_UNKNOWN = object()


def _generation():
    """The generation this request works with: read from Redis once per request (a job or
    command asks each time)."""
    if has_request_context() and _GENERATION in request.environ:
        return request.environ[_GENERATION]
    try:
        generation = get_redis().get(generation_key())
    except RedisError as exc:  # the database still answers; the cache cannot be checked
        log.warning("configuration cache bypassed: %s", exc)
        generation = _UNKNOWN
    if has_request_context():
        request.environ[_GENERATION] = generation
    return generation


def _committed():
    db.session().info.pop(_CHANGED, None)
    get_redis().incr(generation_key())


def _rolled_back():
    db.session().info.pop(_CHANGED, None)
    clear()


def mark_changed(session: Session) -> None:
    """This transaction wrote configuration: it reads the database directly from now on, and
    every process is told once it commits."""
    if not session.info.get(_CHANGED):
        session.info[_CHANGED] = True
        after_commit(_committed)
        on_rollback(_rolled_back)
    clear()


@event.listens_for(Session, "before_flush")
def _notice_writes(session, _flush_context, _instances):
    if any(type(obj) in _models for obj in (*session.new, *session.dirty, *session.deleted)):
        mark_changed(session)
