"""`Idempotency-Key` for member POSTs.

The same key with the same body replays the stored response; with another body → 422
`idempotency_mismatch`; while the first request is still running → 409 `request_in_progress`.
A successful (2xx) response is stored in the same transaction as its effects, so a response is
stored exactly when its effects committed. Errors are not stored: nothing was written, and a
retry runs again. Records are kept IDEMPOTENCY_KEEP_HOURS (≥ 24 h), then swept by a job.

A new key costs one Redis round trip (the lock, and the "done" marker a stored response sets
after its commit) and one INSERT; the database is read only for a key Redis says is done or
held. Should Redis lose a marker, the rerun meets the stored key's unique constraint, is
rolled back, and the stored answer is replayed.
"""
import hashlib
import logging
import uuid
from datetime import datetime, timedelta
from functools import wraps

from flask import Response, after_this_request, current_app, g, request
from redis.exceptions import RedisError
from sqlalchemy import String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.db import Base, BigId, UTCDateTime, after_commit, db, insert_values, rollback
from core.errors import AppError, BadRequest, Conflict
from core.redis import get_redis, rkey

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: the endpoint and the caller, so two members' keys never collide
    scope: Mapped[str] = mapped_column(String(96))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class KeyUsed(Conflict):
    """For a service whose own unique key shows this request's Idempotency-Key was used
    already: the `idempotent` view replays the stored answer, or (while the first request
    still runs) answers 409 request_in_progress."""

    code, message = "request_in_progress", "A request with this Idempotency-Key is in progress."


class IdempotencyMismatch(AppError):
    status, code = 422, "idempotency_mismatch"
    message = "This Idempotency-Key was used with a different request."


def _fingerprint() -> str:
    raw = request.method + " " + request.full_path + "\n" + request.get_data(as_text=True)
    return hashlib.sha256(raw.encode()).hexdigest()


def request_key() -> str:
    """This request's Idempotency-Key, as the `idempotent` view checked it."""
    return request.headers.get(HEADER, "").strip()


def request_scope() -> str:
    caller = g.get("member_id") or (g.get("staff").id if g.get("staff") else "anon")
    return f"{request.endpoint}:{caller}"[:96]


def _find(scope, key):
    stmt = select(IdempotencyRecord).filter_by(scope=scope, key=key)
    return db.session.scalars(stmt).one_or_none()


def _replay(record, fingerprint):
    if record.request_hash != fingerprint:
        raise IdempotencyMismatch()
    response = Response(record.response_body, status=record.status_code, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


#: release the lock only if it is still ours (it may have expired and been taken since)
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end"


def _acquire(scope, key) -> tuple[bool, bool]:
    """Hold a short Redis lock on the key for this request (once, even across tx retries), and
    see whether a request with this key has finished: one round trip. (locked, done)."""
    held = request.environ.setdefault("jifen.idempotency_locks", set())  # this request's
    if (scope, key) in held:
        return True, False
    lock_key, token = rkey("idem", scope, key), uuid.uuid4().hex
    ttl = current_app.config["IDEMPOTENCY_LOCK_TTL"]
    locked, done = get_redis().pipeline(transaction=False) \
        .set(lock_key, token, nx=True, ex=ttl).exists(rkey("idem-done", scope, key)).execute()
    if locked:
        held.add((scope, key))

        @after_this_request
        def _release(response):
            try:
                get_redis().eval(_RELEASE, 1, lock_key, token)
            except RedisError as exc:  # the answer stands; the lock ends with its TTL
                log.warning("Idempotency-Key lock not released: %s", exc)
            return response

    return bool(locked), bool(done)


_records = IdempotencyRecord.__table__


def _store(scope, key, fingerprint, response) -> bool:
    """One Core INSERT (a failed INSERT undoes only itself). False when the key's response is
    stored already."""
    try:
        insert_values(_records, dict(scope=scope, key=key, request_hash=fingerprint,
                                     status_code=response.status_code,
                                     response_body=response.get_data(as_text=True),
                                     created_at=clock.now()))
    except IntegrityError:
        return False
    after_commit(lambda: _mark_done(scope, key))
    return True


def _mark_done(scope, key) -> None:
    """A Redis marker that this key has a stored response, set before the key's lock is
    released, so `earlier_outcome` needs the database only for keys that were used."""
    ttl = current_app.config["IDEMPOTENCY_KEEP_HOURS"] * 3600
    get_redis().set(rkey("idem-done", scope, key), 1, ex=ttl)


def idempotent(view=None, *, required=True):
    """Make a POST view idempotent on its `Idempotency-Key` header (required unless told).

    Place it under the auth decorator and above flask-smorest's `arguments`/`response`, so it
    knows the caller and stores the serialised response:
    `@blp.post(...)` · `@member_required` · `@idempotent` · `@blp.arguments` · `@blp.response`.
    """
    if view is None:
        return lambda v: idempotent(v, required=required)

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request_key()
        if not key and not required:
            return view(*args, **kwargs)
        if not 8 <= len(key) <= 128:
            raise BadRequest("An Idempotency-Key header of 8 to 128 characters is required.",
                             details={HEADER: ["Missing or not 8 to 128 characters."]})
        scope, fingerprint = request_scope(), _fingerprint()
        locked, done = _acquire(scope, key)
        # a finished request stored its response (committed before its key was marked done
        # and its lock released): the database is asked then, or when the key is held
        if (done or not locked) and (record := _find(scope, key)) is not None:
            return _replay(record, fingerprint)
        if not locked:
            raise Conflict("A request with this Idempotency-Key is still in progress.",
                           code="request_in_progress")
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except KeyUsed:
            return _replay_after_rollback(scope, key, fingerprint)
        if 200 <= response.status_code < 300 and not _store(scope, key, fingerprint, response):
            return _replay_after_rollback(scope, key, fingerprint)
        return response

    return wrapper


def _replay_after_rollback(scope, key, fingerprint):
    """The key was used by a request Redis forgot (the marker lost, the lock expired): this
    request's effects are undone and the first one's answer given (409 while it still runs)."""
    rollback()
    if (record := _find(scope, key)) is None:
        raise KeyUsed()
    return _replay(record, fingerprint)


def earlier_outcome():
    """For a fast path that answers without running the view (e.g. "sold out" from Redis):
    the replayed response when this request's Idempotency-Key already succeeded; 409
    request_in_progress while it is still running; None when the key is new (or missing or
    malformed: the `idempotent` view below will say so).

    One Redis round trip for a new key, no database: the running lock and the after-commit
    "done" marker are checked together (the marker is set before the lock is released, so a
    finished request is always seen). Only if Redis lost the marker (a restart without
    persistence) would a retry of a request that succeeded get the fast answer instead of
    its replay; its effects are untouched.
    """
    key = request.headers.get(HEADER, "").strip()
    if not 8 <= len(key) <= 128:
        return None
    scope = request_scope()
    running, done = get_redis().pipeline(transaction=False) \
        .exists(rkey("idem", scope, key)).exists(rkey("idem-done", scope, key)).execute()
    if running:
        raise Conflict("A request with this Idempotency-Key is still in progress.",
                       code="request_in_progress")
    record = _find(scope, key) if done else None
    return _replay(record, _fingerprint()) if record is not None else None


def purge_expired(batch: int = 1000) -> int:
    """Delete one batch of records older than the keeping period; returns how many."""
    cutoff = clock.now() - timedelta(hours=current_app.config["IDEMPOTENCY_KEEP_HOURS"])
    ids = db.session.scalars(select(IdempotencyRecord.id)
                             .where(IdempotencyRecord.created_at < cutoff).limit(batch)).all()
    if ids:
        db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(ids)))
    return len(ids)



def purge_job() -> dict:
    """The scheduled clean-up: purge batch by batch, one transaction each, until none is left."""
    from core.db import run_in_transaction

    total = 0
    while True:
        n = run_in_transaction(purge_expired)
        total += n
        if n < 1000:
            return {"records_purged": total}
