"""Database session, model base, and the one-commit-per-request/job boundary.

Services only `flush()`. The boundary (`run_in_transaction`, used by every request and
job) commits once, rolls back on any error, retries MariaDB deadlocks and lock-wait
timeouts a bounded number of times, and runs the after-commit callbacks (RQ enqueues,
WeChat calls) only once the commit has succeeded, and the on-rollback callbacks (undoing a
Redis reservation taken before the commit) only when it rolls back. A hot row's guarded
UPDATE may be left to run last, just before the COMMIT (`last_before_commit`).
"""
import functools
import logging
import random
import time as _time
import weakref
from datetime import timezone

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, event, insert, inspect
from sqlalchemy.dialects import mysql
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import (DeclarativeBase, Session, make_transient_to_detached,
                            scoped_session, sessionmaker)
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlalchemy.types import TypeDecorator

from core.engines import make_cluster_engine, make_engine
from core.errors import Unavailable

log = logging.getLogger(__name__)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: BIGINT on MySQL, INTEGER on SQLite (where only INTEGER PRIMARY KEY autoincrements)
BigId = BigInteger().with_variant(Integer(), "sqlite")

#: MySQL error numbers worth retrying the whole transaction for
RETRYABLE_MYSQL_ERRORS = {1205, 1213}  # lock wait timeout, deadlock
#: MySQL/MariaDB client and server errors that mean the connection is gone: can't connect,
#: server gone away, lost connection, server shutting down, connection killed, disconnected
#: for inactivity
DISCONNECT_MYSQL_ERRORS = {2002, 2003, 2006, 2013, 1053, 1927, 4031}
#: … of which: no server answers at all (socket, TCP). Running the work again a few
#: milliseconds later only makes the 503 slower (a restart takes a second or more)
CANNOT_CONNECT_MYSQL_ERRORS = {2002, 2003}


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC, returned as aware UTC; refuses naive input."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name in ("mysql", "mariadb"):  # microseconds, not MySQL's default whole seconds
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=timezone.utc) if value is not None else None


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Database:
    """The engine and the thread-scoped session, configured per app."""

    def __init__(self):
        self.engine = None
        self.session = scoped_session(sessionmaker(expire_on_commit=False))
        #: a read replica's engine (REPORTS_DATABASE_URL), None: reports read the main database
        self.reports_engine = None
        #: sessions on the replica, lent to `db.session` inside core.replica.reports_read()
        self.reports_sessions = sessionmaker(expire_on_commit=False)

    @property
    def metadata(self):
        return Base.metadata

    def init_app(self, app):
        self.use(app.config)
        app.extensions["jifen_db"] = self
        app.teardown_appcontext(lambda exc: self.session.remove())

    def use(self, config):
        """Engines for the configuration's DATABASE_URL(S) and REPORTS_DATABASE_URL."""
        urls = config.get("DATABASE_URLS") or []
        if isinstance(urls, str):
            urls = [u.strip() for u in urls.split(",") if u.strip()]
        self.engine = (make_cluster_engine(urls, sync_wait=config.get("DATABASE_SYNC_WAIT", 1))
                       if len(urls) > 1 else make_engine(config["DATABASE_URL"]))
        self.session.remove()
        self.session.configure(bind=self.engine)
        reports_url = config.get("REPORTS_DATABASE_URL")
        self.reports_engine = make_engine(reports_url) if reports_url else None
        self.reports_sessions.configure(bind=self.reports_engine)


db = Database()


# --- hot paths: rows written with Core statements, ORM objects kept in step ------------------

def insert_row(obj):
    """INSERT a new ORM object with one Core statement and make it persistent in the session,
    as a flush would, without the unit of work (a third of an order's cost went there).
    Columns left unset take their Core defaults in the database and load on first access."""
    mapper = inspect(obj).mapper
    values = {prop.key: obj.__dict__[prop.key] for prop in mapper.column_attrs
              if prop.key in obj.__dict__}
    result = insert_values(mapper.local_table, values)
    for column, value in zip(mapper.primary_key, result.inserted_primary_key):
        setattr(obj, mapper.get_property_by_column(column).key, value)
    make_transient_to_detached(obj)
    db.session.add(obj)
    _remember(obj, inserted=True)
    return obj


def insert_values(table, values: dict):
    """One Core INSERT of `values` into `table`, with no ORM object (its statement built once)."""
    return db.session.execute(_insert(table), values)


@functools.cache
def _insert(table):
    return insert(table)


def adopt(model, values: dict):
    """The session's object for a row a Core statement has just read: the one it holds
    already, or a new persistent one with `values` (its other columns load if touched)."""
    mapper = inspect(model)
    obj = loaded(model, tuple(values[mapper.get_property_by_column(c).key]
                              for c in mapper.primary_key))
    if obj is None:
        obj = model(**values)
        make_transient_to_detached(obj)
        db.session.add(obj)
    return obj


def loaded(model, ident):
    """The session's object for this primary key if it is loaded, else None (no query)."""
    return db.session.identity_map.get(identity_key(model, ident))


def expire_loaded(*models) -> None:
    """Set-based Core statements changed rows of these models: every loaded copy reloads."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, models):
            db.session.expire(obj)


def mark_written(obj, **values) -> None:
    """Tell a loaded ORM object the values a Core statement has just written to its row, so
    it neither shows old ones nor writes them back."""
    for name, value in values.items():
        set_committed_value(obj, name, value)
    _remember(obj, inserted=False)


def _remember(obj, *, inserted: bool) -> None:
    """The unit of work would undo its writes in the session on a rollback; these need telling."""
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    # weakly: holding them would keep every object a long transaction wrote in the session
    session.info.setdefault("core_writes", []).append((transaction, weakref.ref(obj), inserted))


@event.listens_for(Session, "after_soft_rollback")
def _undo_core_writes(session, rolled_back):
    """A rolled-back savepoint or transaction takes the rows its Core statements wrote with it:
    objects insert_row made persistent leave the session, objects mark_written changed reload."""
    kept = []
    for transaction, ref, inserted in session.info.pop("core_writes", ()):
        if not _within(transaction, rolled_back):
            kept.append((transaction, ref, inserted))
        elif (obj := ref()) is not None and obj in session:
            session.expunge(obj) if inserted else session.expire(obj)
    if kept:
        session.info["core_writes"] = kept


@event.listens_for(Session, "after_transaction_end")
def _forget_core_writes(session, transaction):
    if transaction.parent is None:  # the whole transaction is over, committed or not
        session.info.pop("core_writes", None)


def _within(transaction, outer) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def after_commit(callback) -> None:
    """Run `callback()` once the current transaction has committed; dropped on rollback."""
    db.session().info.setdefault("after_commit", []).append(callback)


def _pop_after_commit():
    return db.session().info.pop("after_commit", [])


def last_before_commit(callback) -> None:
    """Run `callback()` as the transaction's last work, just before its COMMIT: a guarded
    UPDATE of a row every request wants (a flash sale's stock) then holds that row's lock for
    one statement and the commit. What it raises rolls the transaction back like any error."""
    db.session().info.setdefault("last_before_commit", []).append(callback)


def on_rollback(callback) -> None:
    """Run `callback()` if the current transaction rolls back (undo a side effect taken
    before the commit, e.g. a Redis reservation); dropped once it commits."""
    db.session().info.setdefault("on_rollback", []).append(callback)


class RetryTransaction(Exception):
    """Raised by work that learns, late in its transaction, that what it decided early no
    longer holds (a guarded UPDATE found no room left): run_in_transaction rolls back and
    runs the work again, which decides afresh (what it learnt kept outside the transaction)."""


def is_retryable(exc: Exception) -> bool:
    """A deadlock or lock-wait timeout, also when it surfaces as the failed rollback of a
    savepoint that the server had already discarded with the whole transaction (1305); or
    work that asked to run again (RetryTransaction)."""
    if isinstance(exc, RetryTransaction):
        return True
    while isinstance(exc, OperationalError):
        if _mysql_code(exc) in RETRYABLE_MYSQL_ERRORS:
            return True
        exc = exc.__context__
    return False


def is_disconnect(exc: Exception) -> bool:
    """The connection is gone (killed, the server restarted, the network): the server has
    rolled its transaction back, and the pool has dropped it."""
    return isinstance(exc, DBAPIError) and (exc.connection_invalidated
                                            or _mysql_code(exc) in DISCONNECT_MYSQL_ERRORS)


def cannot_connect(exc: Exception) -> bool:
    """No server to connect to (down, restarting): not worth an immediate retry."""
    return isinstance(exc, DBAPIError) and _mysql_code(exc) in CANNOT_CONNECT_MYSQL_ERRORS


def _mysql_code(exc):
    return exc.orig.args[0] if exc.orig is not None and exc.orig.args else None


def run_in_transaction(work, *, retries: int = 3, should_commit=lambda result: True):
    """Run `work()` in one transaction: commit once (or roll back), then the after-commit queue.

    Deadlocks and lock-wait timeouts roll back and run `work` again, at most `retries` times;
    so does a connection lost before the commit (the server rolled the work back). A
    connection lost during the COMMIT leaves its outcome unknown: 503, for the caller to retry
    with the same key; so does a database that cannot be reached (503 at once, no retry) or
    is still away after the retries.
    """
    for attempt in range(retries + 1):
        try:
            result = work()
            if should_commit(result):  # its last statements, still retried like the rest
                for last in db.session().info.pop("last_before_commit", []):
                    last()
        except Exception as exc:
            rollback()
            again = is_retryable(exc) or (is_disconnect(exc) and not cannot_connect(exc))
            if again and attempt < retries:
                _before_retry(exc, attempt)
                continue
            if is_disconnect(exc):
                raise _unavailable(exc) from exc
            raise
        try:
            if not should_commit(result):
                rollback()
                return result
            db.session.commit()
        except Exception as exc:
            rollback()
            if is_retryable(exc) and attempt < retries:  # refused at COMMIT: not committed
                _before_retry(exc, attempt)
                continue
            if is_disconnect(exc):
                raise _unavailable(exc) from exc
            raise
        _run_after_commit()
        return result


def _before_retry(exc, attempt):
    log.warning("retrying transaction after %s (attempt %d)", getattr(exc, "orig", exc), attempt + 1)
    # exponential and jittered: transactions that conflicted once (on Galera, certified in
    # the same round) would otherwise meet again in lockstep
    _time.sleep(random.uniform(0.005, min(0.5, 0.01 * 2 ** attempt)))


def _unavailable(exc):
    log.warning("database connection lost: %s", exc.orig)
    return Unavailable("The database connection was lost; try again (with the same key).")


def _run_after_commit():
    db.session().info.pop("on_rollback", None)
    for callback in _pop_after_commit():
        try:
            callback()
        except Exception:  # the commit stands; the side effect is logged for the operator
            log.exception("after-commit callback %r failed", callback)


def rollback():
    _pop_after_commit()
    db.session().info.pop("last_before_commit", None)
    undo = db.session().info.pop("on_rollback", [])
    try:
        db.session.rollback()
    except DBAPIError as exc:
        if not is_retryable(exc):
            raise
        # Galera: a transaction aborted by another node's write gets its 1213 again in answer
        # to the ROLLBACK that follows. The server has rolled it back; the connection goes
        log.warning("rollback refused (%s): dropping the connection", exc.orig)
        db.session().invalidate()
    for callback in undo:
        try:
            callback()
        except Exception:  # the rollback stands; the undo is logged for the operator
            log.exception("on-rollback callback %r failed", callback)
