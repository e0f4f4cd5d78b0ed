"""Accounts: opening, locking and holding a member's account, and journalling one change.

Concurrency: every ledger call locks the member's account row first (SELECT … FOR UPDATE), then
the lots it touches in id order, so two writers never deadlock and never lose an update. A call
repeated with the same key returns the first call's entry and changes nothing.
"""
import functools
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from core import clock, metrics
from core.db import db, insert_row, loaded, mark_written
from core.errors import Conflict, NotFound
from members.models import Member
from points.ledger import kinds
from points.ledger.models import PointsAccount, PointsEntry, PointsLot
from points.programme import tiers
from points.programme.models import EarnedMonth

_merged_into = select(Member.merged_into_id).where(Member.id == bindparam("member_id"))

#: "not given" for arguments where None means something (no expiry, no store)
UNSET = object()


class InsufficientPoints(Conflict):
    code, message = "insufficient_points", "Not enough points."


def open_account(member_id: int) -> PointsAccount:
    """The member's account, created if missing (safe under concurrency)."""
    account = db.session.get(PointsAccount, member_id)
    if account is not None:
        return account
    try:
        with db.session.begin_nested():
            db.session.add(PointsAccount(member_id=member_id, balance=0, lifetime_earned=0,
                                         version=0))
    except IntegrityError:
        pass  # opened by a concurrent request
    return db.session.get(PointsAccount, member_id)


def lock_account(member_id: int) -> PointsAccount:
    """The account row, locked for the rest of the transaction (and refreshed)."""
    stmt = (select(PointsAccount).where(PointsAccount.member_id == member_id)
            .with_for_update().execution_options(populate_existing=True))
    account = db.session.scalars(stmt).one_or_none()
    if account is None:
        open_account(member_id)
        account = db.session.scalars(stmt).one()
    return account


@dataclass
class Held:
    """A member's account under this transaction's lock, with what a credit decides on (the
    member's tier, birthday and first order, the points earned in the tiers' window, whether
    lots are due to expire), all read by the statement that takes the lock: hold_account."""
    member_id: int
    balance: int
    lifetime_earned: int
    version: int
    tier_code: str | None
    first_order_at: datetime | None
    birthday: date | None
    earned_in_window: int
    has_due: bool
    #: what the caller's `reads` found, by label (hold_account)
    reads: dict = field(default_factory=dict)


def hold_account(member_id: int, now: datetime, *, reads: tuple = (),
                 params: dict | None = None) -> Held:
    """Lock the member's account (opened if missing) and read it with one statement.

    `reads`: the caller's own labelled scalar subqueries, read by the same statement under the
    lock (a spend's limits and counters: one round trip for all it decides on). A read that
    must see what the transaction we waited for committed is correlated with the account row
    (`PointsAccount.member_id`): MariaDB evaluates a subquery that is not correlated while it
    optimises, before the lock wait. Reads may use the `params` given; build them once (the
    statement is cached per tuple) and find their values in `Held.reads`.

    The extra columns are correlated subqueries: they read without locking the member's row
    (a locking join would), and MariaDB evaluates them after the account lock is granted, so
    under READ COMMITTED they see what the transaction we waited for committed (shown by
    tests/points/earning/test_order_waits_for_tier.py; an engine that read them first would give an
    order the tier its member had before; tiers.upgrade never lowers a tier even then).
    """
    statement = _hold_statement((), reads)
    row = _hold_row(statement, {**(params or {}), "member_id": member_id}, now)
    if row is None:
        open_account(member_id)
        row = _hold_row(statement, {**(params or {}), "member_id": member_id}, now)
    if row is None:
        raise NotFound(f"No member {member_id}.")
    return _held(member_id, row, reads)


@functools.cache
def member_read(field: str):
    """For hold_account's `reads`: this column of the account's member, read after the lock
    (a caller that has only the member's id checks the member with it), as `member_<field>`."""
    member = Member.__table__
    return (select(member.c[field]).where(member.c.id == PointsAccount.member_id)
            .scalar_subquery().label(f"member_{field}"))


def hold_account_with_member(member_id: int, now: datetime,
                             member_fields: tuple[str, ...]) -> tuple[Held, dict] | None:
    """hold_account, and these columns of the member's row read by the same statement (a
    till order's look-up and lock in one round trip). None when the member has no account yet:
    the caller looks the member up as usual."""
    row = _hold_row(_hold_statement(member_fields), {"member_id": member_id}, now)
    if row is None:
        return None
    return _held(member_id, row), {field: row._mapping[f"member_{field}"] for field in member_fields}


def _hold_row(statement, params: dict, now: datetime):
    db.session.flush()  # pending ORM changes first: this reads and writes with Core statements
    params.update(now=now, first_month=tiers.first_month_of_window(now))
    return db.session.execute(statement, params).first()


def _held(member_id, row, reads=()) -> Held:
    return Held(member_id, *row[:6], max(int(row.earned), 0), bool(row.has_due),
                {read.name: row._mapping[read.name] for read in reads})


@functools.cache
def _hold_statement(member_fields: tuple[str, ...] = (), reads: tuple = ()):
    """Lock the account, and read what a credit or debit decides on; `member_fields`: those
    columns of the member's row as well; `reads`: the caller's labelled subqueries."""
    account, member = PointsAccount.__table__, Member.__table__
    lot, earned = PointsLot.__table__, EarnedMonth.__table__

    def of_member(column):
        return select(column).where(member.c.id == account.c.member_id).scalar_subquery()

    return (select(account.c.balance, account.c.lifetime_earned, account.c.version,
                   of_member(member.c.tier_code), of_member(member.c.first_order_at),
                   of_member(member.c.birthday),
                   select(func.coalesce(func.sum(earned.c.points), 0))
                   .where(earned.c.member_id == account.c.member_id,
                          earned.c.month >= bindparam("first_month"))
                   .scalar_subquery().label("earned"),
                   exists().where(lot.c.member_id == account.c.member_id, lot.c.remaining > 0,
                                  lot.c.expires_at <= bindparam("now")).label("has_due"),
                   *(of_member(member.c[f]).label(f"member_{f}") for f in member_fields),
                   *reads)
            .where(account.c.member_id == bindparam("member_id")).with_for_update())


def survivor_id(member_id: int) -> int:
    """The member whose account holds what `member_id`'s did: itself, or the member a merge
    moved it into. Read afresh (READ COMMITTED): after waiting for an account lock it sees the
    merge that held it."""
    for _ in range(5):  # a merge chain is short; bounded against bad data
        merged_into = db.session.scalar(_merged_into, {"member_id": member_id})
        if merged_into is None:
            return member_id
        member_id = merged_into
    return member_id


def entry_by_key(key: str) -> PointsEntry | None:
    """The entry an event's idempotency key made, if any."""
    return db.session.scalars(select(PointsEntry).filter_by(idempotency_key=key)).one_or_none()


def replayed(key: str, member_id: int) -> PointsEntry | None:
    entry = entry_by_key(key)
    if entry is not None and entry.member_id != member_id:
        raise Conflict(f"Idempotency key {key} belongs to another member.", code="invalid_state")
    return entry


def append_entry(account, kind, delta, key, *, debt_change=0, earned=0, store_id=None, ref=None,
            reason=None, operator_id=None, details=None, now=None) -> PointsEntry:
    """Journal one change and write the account's new balance (`earned`: the change of
    lifetime_earned). `account` is the locked PointsAccount or a Held; both stay in step."""
    balance, version = account.balance + delta, account.version + 1
    lifetime = account.lifetime_earned + earned  # the journal's sum exactly (reconciled)
    ref_type, ref_id = ref or (None, None)
    entry = insert_row(PointsEntry(
        member_id=account.member_id, kind=kind, delta=delta, balance_after=balance,
        debt_change=debt_change, store_id=store_id, ref_type=ref_type,
        ref_id=None if ref_id is None else str(ref_id), idempotency_key=key,
        operator_id=operator_id, reason=reason, details=details, created_at=now or clock.now()))
    _write_account(account, balance=balance, version=version, lifetime_earned=lifetime)
    count_points(kind, delta)
    return entry


_account_update = (update(PointsAccount.__table__)
                   .where(PointsAccount.__table__.c.member_id == bindparam("account"))
                   .values(balance=bindparam("new_balance"), version=bindparam("new_version"),
                           lifetime_earned=bindparam("new_lifetime_earned")))


def _write_account(account, **values) -> None:
    db.session.execute(_account_update, {"account": account.member_id,
                                         **{f"new_{k}": v for k, v in values.items()}})
    orm = account if isinstance(account, PointsAccount) else loaded(PointsAccount, account.member_id)
    if orm is not None:
        mark_written(orm, **values)
    if orm is not account:
        for name, value in values.items():
            setattr(account, name, value)


def count_points(kind, delta) -> None:
    """jifen_points_issued/spent/expired_total, added once the transaction commits."""
    if kind == "expire":
        metrics.count_after_commit("jifen_points_expired_total", -delta)
    elif kind in kinds.SPENDING:
        metrics.count_after_commit("jifen_points_spent_total", -delta, kind=kind)
    elif delta > 0 and (kind in kinds.EARNING or kind in kinds.UNEARNED_CREDITS):
        metrics.count_after_commit("jifen_points_issued_total", delta, kind=kind)
