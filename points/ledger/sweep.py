"""The nightly expiry sweep: every lot whose time has come, expired in chunks, set-based.

Each chunk is one transaction. It keeps the ledger's lock order (the members' accounts, then
their lots) and writes what points.ledger.expire_member_due would write for each member,
with statements that join a temporary table of the chunk's lots instead of sending each lot
through Python.
"""
from datetime import datetime

from sqlalchemy import (BigInteger, Column, Integer, MetaData, String, Table, bindparam, cast,
                        delete, func, insert, literal, or_, select, update)
from sqlalchemy.schema import CreateTable

from core import clock
from core.db import UTCDateTime, db, expire_loaded
from points.ledger.models import PointsAccount, PointsAllocation, PointsEntry, PointsLot
from points.ledger.accounts import count_points


#: lots per sweep transaction: each holds its members' accounts for a fraction of a second
#: (about 0.5 s for 5,000 on the 2-core bench machine); smaller chunks cost more per lot
SWEEP_CHUNK = 5000


def expire_chunk(as_of: datetime, after=None, limit: int = SWEEP_CHUNK):
    """Expire up to `limit` due lots (expires_at ≤ as_of), set-based; one transaction's work.

    Returns (lots expired, cursor for the next chunk or None when done). Idempotent: a lot is
    expired by the same transaction that zeroes it, so a killed sweep reruns from scratch safely.
    """
    due = [PointsLot.expires_at <= as_of, PointsLot.remaining > 0]
    if after is not None:  # `>=` first: the index range starts at the cursor, not at the
        # beginning of every lot ever expired (an OR alone made each chunk rescan them all)
        due += [PointsLot.expires_at >= after[0],
                or_(PointsLot.expires_at > after[0], PointsLot.id > after[1])]
    end = db.session.execute(select(PointsLot.expires_at, PointsLot.id).where(*due)
                             .order_by(PointsLot.expires_at, PointsLot.id)
                             .offset(limit - 1).limit(1)).first()
    if end is not None:  # the chunk is the `limit` due lots up to and including `end`
        due += [PointsLot.expires_at <= end.expires_at,
                or_(PointsLot.expires_at < end.expires_at, PointsLot.id <= end.id)]
    expired = _expire_lots(due)
    return expired, None if end is None else (end.expires_at, end.id)


#: one sweep chunk's due lots: a temporary table (per connection) that the chunk's statements
#: join by primary key, as hand-written SQL would. MEMORY on MySQL, because an InnoDB one
#: writes every chunk's rows through the redo log for nothing (bench/ledger.py shows the cost).
#: It is not transactional, which does not matter: each chunk empties it first, and only the
#: permanent tables' writes need the transaction.
_sweep_chunk = Table("sweep_chunk", MetaData(),
                     Column("id", BigInteger, primary_key=True, autoincrement=False),
                     Column("member_id", BigInteger, nullable=False),
                     Column("remaining", Integer, nullable=False),
                     prefixes=["TEMPORARY"], mysql_engine="MEMORY")


def _expire_lots(due) -> int:
    """Everything in SQL: lots never travel to Python and back (a chunk touches thousands of
    accounts; per-row Python cost more than the writes). The accounts are locked first (the
    lock order of every balance change), then their due lots, copied into the chunk table."""
    member_ids = _members_with(due)
    if not member_ids:
        return 0
    locked = _lock_accounts(member_ids)
    chunk = _empty_chunk_table()
    db.session.execute(insert(chunk).from_select(  # members whose account we hold, only
        ["id", "member_id", "remaining"],
        select(PointsLot.id, PointsLot.member_id, PointsLot.remaining)
        .where(*due, PointsLot.member_id.in_(_ints(locked))).with_for_update()))
    points = db.session.scalar(select(func.sum(chunk.c.remaining)))
    if not points:
        return 0
    totals = (select(chunk.c.member_id, func.sum(chunk.c.remaining).label("total"))
              .group_by(chunk.c.member_id).subquery())
    account = PointsAccount.__table__
    key = _expire_key_sql(account.c.member_id, account.c.version)
    db.session.execute(insert(PointsEntry).from_select(
        ["member_id", "kind", "delta", "balance_after", "debt_change", "idempotency_key",
         "created_at"],
        select(account.c.member_id, literal("expire"), -totals.c.total,
               account.c.balance - totals.c.total, literal(0), key,
               literal(clock.now(), UTCDateTime()))
        .join(totals, totals.c.member_id == account.c.member_id)))
    # each due lot joined to its member's new entry, through the key the version names
    db.session.execute(insert(PointsAllocation).from_select(
        ["entry_id", "lot_id", "amount"],
        select(PointsEntry.id, chunk.c.id, chunk.c.remaining)
        .join(account, account.c.member_id == chunk.c.member_id)
        .join(PointsEntry, PointsEntry.idempotency_key == key)))
    # multi-table UPDATEs (UPDATE … FROM on SQLite)
    db.session.execute(
        update(account).where(account.c.member_id == totals.c.member_id)
        .values(balance=account.c.balance - totals.c.total, version=account.c.version + 1))
    expired = db.session.execute(update(PointsLot.__table__)
                                 .where(PointsLot.__table__.c.id == chunk.c.id)
                                 .values(remaining=0)).rowcount
    expire_loaded(PointsAccount, PointsLot)  # copies the session holds are stale now
    count_points("expire", -int(points))  # SUM is DECIMAL on MySQL
    return expired


def _members_with(due) -> list[int]:
    """The members who own these lots, in id order. One string comes back, not a row per
    member (the driver decodes rows one by one in Python) — unless the server cut it short
    (MySQL's group_concat_max_len), which the count shows."""
    member = PointsLot.member_id.distinct()
    count, total, ids = db.session.execute(
        select(func.count(member), func.sum(member), func.group_concat(member)).where(*due)).one()
    found = {int(i) for i in ids.split(",") if i} if ids else set()
    if len(found) != count or sum(found) != (total or 0):  # (a cut inside the last id)
        found = set(db.session.scalars(select(member).where(*due)))
    return sorted(found)


def _lock_accounts(member_ids: list[int]) -> list[int]:
    """Lock these members' accounts (in id order, the order of the IN list's index ranges);
    which of them exist — all, unless an account was never opened."""
    accounts = PointsAccount.member_id.in_(_ints(member_ids))
    if db.session.scalar(select(func.count()).where(accounts).with_for_update()) == len(member_ids):
        return member_ids
    return list(db.session.scalars(select(PointsAccount.member_id).where(accounts)
                                   .order_by(PointsAccount.member_id)))


def _empty_chunk_table() -> Table:
    db.session.execute(CreateTable(_sweep_chunk, if_not_exists=True))
    db.session.execute(delete(_sweep_chunk))
    return _sweep_chunk


def _ints(values):
    """An IN list of our own integers, written into the SQL: a thousand bound parameters
    cost more Python than the statement costs the database."""
    return bindparam(None, [int(v) for v in values], expanding=True, literal_execute=True)


def _expire_key_sql(member_id, version):
    """points.ledger.expire_key as an SQL expression (the sweep builds its keys in the
    database)."""
    return (literal("expire:") + cast(member_id, String) + literal(":v")
            + cast(version, String))
