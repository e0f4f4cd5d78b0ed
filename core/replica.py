"""Reports read a replica (REPORTS_DATABASE_URL), and say how fresh what they read is.

    with reports_read() as freshness:
        report = settlement(...)          # every db.session read here goes to the replica
    report["freshness"] = freshness.as_dict()

Inside `reports_read()` the thread's `db.session` is a session on the replica (the request's
own session comes back afterwards, untouched), so a report's code needs no change to move; a
write there fails (the replica is read-only). Unset REPORTS_DATABASE_URL: nothing moves, the
report reads the main database, `source: "primary"`.

Freshness is measured before the reads: the replica's applied GTIDs against the primary's
binary log (MariaDB GTIDs: domain-server-seqno), and SHOW SLAVE STATUS's
Seconds_Behind_Master. Caught up → `lag_seconds: 0`; behind with replication running → its
lag; behind with the SQL thread stopped or broken → `lag_seconds: null` and `stale: true`.
`stale` is true when the replica is behind by more than REPORTS_MAX_LAG_SECONDS, or by an
unknown amount: a report is labelled, never silently old.

A page that must show its own write (`must_see_primary=True`, after the request committed
something): the replica is asked to wait for the primary's current position
(MASTER_GTID_WAIT, at most `wait_seconds`); if it does not get there in time the report reads
the primary instead.
"""
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from datetime import datetime, timedelta

from flask import current_app
from marshmallow import Schema, fields
from sqlalchemy import text

from core import clock
from core.db import db


@dataclass
class Freshness:
    source: str  # "primary" | "replica"
    as_of: datetime | None  # the moment up to which the data is complete (None: unknown)
    lag_seconds: int | None
    stale: bool

    def as_dict(self) -> dict:
        return {"source": self.source, "as_of": self.as_of, "lag_seconds": self.lag_seconds,
                "stale": self.stale}


@contextmanager
def reports_read(*, must_see_primary: bool = False, wait_seconds: float = 2.0):
    """Lend this thread's `db.session` a replica session for the block; yields its Freshness.
    Inside another reports_read, the outer one's choice stands."""
    outer = db.session().info.get("reports_read")
    if outer is not None:
        yield outer
        return
    now = clock.now()
    if db.reports_engine is None:
        yield from _on_primary(Freshness("primary", now, 0, False))
        return
    replica = db.reports_sessions()
    try:
        freshness = _measure(replica, now, must_see_primary, wait_seconds)
        if freshness is None:  # could not wait for our own write: read the primary
            yield from _on_primary(Freshness("primary", now, 0, False))
            return
        primary = db.session.registry()
        db.session.registry.set(replica)
        replica.info["reports_read"] = freshness
        try:
            yield freshness
        finally:
            db.session.registry.set(primary)
    finally:
        replica.close()


def read_on_reports(report):
    """Decorator: the report function runs in `reports_read()`, and its dict gains
    `freshness` (how fresh what it read is)."""
    @wraps(report)
    def reading(*args, **kwargs):
        with reports_read() as freshness:
            result = report(*args, **kwargs)
        return {**result, "freshness": freshness.as_dict()}

    return reading


def _on_primary(freshness):
    info = db.session().info
    info["reports_read"] = freshness
    try:
        yield freshness
    finally:
        info.pop("reports_read", None)


def _measure(replica, now, must_see_primary, wait_seconds) -> Freshness | None:
    position = primary_position()
    if must_see_primary and replica.scalar(
            text("SELECT MASTER_GTID_WAIT(:pos, :timeout)"),
            {"pos": position, "timeout": wait_seconds}) != 0:
        return None
    applied = replica.scalar(text("SELECT @@gtid_slave_pos")) or ""
    if not behind(applied, position):
        return Freshness("replica", now, 0, False)
    status = replica.execute(text("SHOW SLAVE STATUS")).mappings().first() or {}
    running = status.get("Slave_SQL_Running") == "Yes" and status.get("Slave_IO_Running") == "Yes"
    lag = status.get("Seconds_Behind_Master") if running else None
    limit = current_app.config.get("REPORTS_MAX_LAG_SECONDS", 5)
    as_of = now - timedelta(seconds=int(lag)) if lag is not None else None
    return Freshness("replica", as_of, None if lag is None else int(lag),
                     lag is None or lag > limit)


def primary_position() -> str:
    """The primary's binary log position (@@gtid_binlog_pos), read on its own connection so
    it includes everything committed so far."""
    with db.engine.connect() as conn:
        return conn.scalar(text("SELECT @@gtid_binlog_pos")) or ""


def behind(applied: str, position: str) -> bool:
    """Whether a replica at GTID set `applied` lacks a transaction of `position`."""
    have = _seqnos(applied)
    return any(seq > have.get(domain, -1) for domain, seq in _seqnos(position).items())


def _seqnos(gtids: str) -> dict[int, int]:
    out = {}
    for gtid in filter(None, (g.strip() for g in gtids.split(","))):
        domain, _server, seq = gtid.split("-")
        out[int(domain)] = max(out.get(int(domain), -1), int(seq))
    return out


class FreshnessOut(Schema):
    """How fresh a report is (core.replica.reports_read)."""
    source = fields.String(metadata={"description": "primary | replica: where it was read"})
    as_of = fields.DateTime(allow_none=True, metadata={
        "description": "complete up to this moment (null: unknown, the replica is stopped)"})
    lag_seconds = fields.Integer(allow_none=True, metadata={
        "description": "how far the replica is behind the primary (null: unknown)"})
    stale = fields.Boolean(metadata={
        "description": "behind by more than REPORTS_MAX_LAG_SECONDS, or by an unknown amount"})
