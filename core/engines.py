"""Engines: MariaDB (one server, or a pool spread over Galera nodes) and SQLite (the embedded
default, writers serialised)."""
import itertools
from pathlib import Path

import pymysql
from sqlalchemy import create_engine, event, make_url

#: a Galera node outside the primary component (partitioned, joining): the connection is
#: dropped and the work runs again on another node
GALERA_NOT_READY_ERRORS = {1047}


def make_engine(url: str):
    if url.startswith("sqlite"):
        _make_sqlite_directory(url)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _serialize_sqlite_writers(engine)
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_recycle=3600, pool_size=10, max_overflow=20,
        isolation_level="READ COMMITTED",
        connect_args={"charset": "utf8mb4"} if url.startswith("mysql") else {},
    )


def make_cluster_engine(urls: list[str], *, sync_wait: int = 1):
    """One pool over several MariaDB Galera nodes. Each new connection goes to the next node in
    turn that answers and is ready (wsrep_ready), so the pool's connections spread over the
    nodes, and when a node dies the pool replaces its connections (pre-ping, or the error that
    invalidates them) with ones to the others. Reads wait for the cluster's earlier writes
    (wsrep_sync_wait), so a read on one node sees what a request committed on another."""
    nodes = [create_engine(url).dialect.create_connect_args(make_url(url)) for url in urls]
    turn = itertools.count()

    def connect():
        first, failure = next(turn), None
        for i in range(len(nodes)):
            args, kwargs = nodes[(first + i) % len(nodes)]
            try:
                connection = pymysql.connect(*args, **{**kwargs, "charset": "utf8mb4",
                                                       "connect_timeout": 2})
            except pymysql.MySQLError as exc:
                failure = exc
                continue
            if _galera_ready(connection, sync_wait):
                return connection
            connection.close()
            failure = pymysql.OperationalError(1047, "WSREP has not yet prepared node for "
                                                     "application use")
        raise failure

    engine = create_engine(urls[0], creator=connect, pool_pre_ping=True, pool_recycle=3600,
                           pool_size=10, max_overflow=20, isolation_level="READ COMMITTED")

    event.listen(engine, "handle_error", _connection_gone)
    return engine


def _connection_gone(context):
    """A Galera node that left the primary component (partitioned, still joining): the
    connection is dropped, as after a lost connection, and the work runs again on another."""
    orig = context.original_exception
    if isinstance(orig, pymysql.MySQLError) and orig.args[:1] and \
            orig.args[0] in GALERA_NOT_READY_ERRORS:
        context.is_disconnect = True


def _galera_ready(connection, sync_wait: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SHOW STATUS LIKE 'wsrep_ready'")
        row = cursor.fetchone()
        if row is not None and row[1] != "ON":
            return False
        if row is not None:
            cursor.execute(f"SET SESSION wsrep_sync_wait = {int(sync_wait)}")
    return True


def _make_sqlite_directory(url: str) -> None:
    """A fresh clone has no instance/ folder: SQLite creates the file, not its folder."""
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _serialize_sqlite_writers(engine):
    """SQLite ignores FOR UPDATE: take the write lock at BEGIN so transactions serialise."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA foreign_keys=ON")
        dbapi_conn.execute("PRAGMA journal_mode=WAL")

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
