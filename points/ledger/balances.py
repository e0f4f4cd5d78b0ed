"""What a member sees of the ledger: balance, expiring schedule, history. Reads only.

The balance is a column, never a sum over the journal. Lots whose expiry has passed but that
the nightly sweep has not reached yet are left out, so a member never sees points that are
already gone.
"""
from datetime import date

from sqlalchemy import Integer, bindparam, case, func, select

from core import clock
from core.db import db
from core.pagination import paginate
from points.programme import tiers
from points.ledger import kinds, sources
from points.ledger.models import PointsAccount, PointsEntry, PointsLot



def _due_unswept(member_id, now) -> int:
    return int(db.session.scalar(
        select(func.coalesce(func.sum(PointsLot.remaining), 0))
        .where(PointsLot.member_id == member_id, PointsLot.remaining > 0,
               PointsLot.expires_at <= now)))


_WHEN = case((PointsLot.expires_at <= bindparam("now", type_=PointsLot.expires_at.type), None),
             else_=PointsLot.expires_at).label("expiring_at")
_LIVE_BY_EXPIRY = (  # built once: every member card and GET /me/points runs it
    select(_WHEN, func.sum(PointsLot.remaining))
    .where(PointsLot.member_id == bindparam("member_id"), PointsLot.remaining > 0,
           PointsLot.expires_at.is_not(None))
    .group_by(_WHEN).order_by(_WHEN)
    .limit(bindparam("rows", type_=Integer(), literal_execute=True)))


def _due_and_expiring(member_id: int, limit: int) -> tuple[int, list[dict]]:
    """(points whose time has come that the sweep has not reached yet, the points expiring on
    each coming business date, soonest first): one grouped read of the member's live lots."""
    rows = db.session.execute(_LIVE_BY_EXPIRY, {  # the due group sorts first
        "now": clock.now(), "member_id": member_id, "rows": limit * 4 + 1}).all()
    due = sum(int(points) for expires_at, points in rows if expires_at is None)
    return due, _by_business_date([row for row in rows if row[0] is not None], limit)


def _by_business_date(rows, limit) -> list[dict]:
    by_date: dict[date, int] = {}
    for expires_at, points in rows:
        day = clock.business_date(expires_at)
        if day not in by_date and len(by_date) == limit:
            break
        by_date[day] = by_date.get(day, 0) + int(points)
    return [{"date": day, "points": points} for day, points in by_date.items()]


def _balance_and_schedule(account, member_id, limit) -> tuple[int, list[dict]]:
    """The balance less what is due but not yet swept (negative while a refund's debt is
    outstanding), and the expiring schedule."""
    if account is None or account.balance <= 0:
        return (account.balance if account else 0), []
    due, schedule = _due_and_expiring(member_id, limit)
    return account.balance - due, schedule


def spendable_balance(member_id: int) -> int:
    """The balance a till shows, without the expiring schedule."""
    account = db.session.get(PointsAccount, member_id)
    if account is None or account.balance <= 0:
        return account.balance if account else 0
    return account.balance - _due_unswept(member_id, clock.now())


def points_summary(member_id: int) -> dict:
    """The `points` block of GET /me: balance and the next expiring points."""
    balance, schedule = _balance_and_schedule(db.session.get(PointsAccount, member_id),
                                              member_id, limit=1)
    return {"balance": balance, "expiring": schedule[0] if balance > 0 and schedule else None}


def my_points(member) -> dict:
    """GET /me/points: balance, lifetime earned, tier, next tier, expiring schedule, and the
    date the periodic review may lower the tier. Three indexed reads whatever the length of
    the member's history (four with tiers)."""
    account = db.session.get(PointsAccount, member.id)
    balance, schedule = _balance_and_schedule(account, member.id, limit=12)
    active = tiers.active_tiers()
    earned = tiers.earned_in_window(member.id, clock.now()) if active else 0
    next_tier, needed = tiers.points_to_next(member.tier_code, earned, active)
    tier = next((t for t in active if t.code == member.tier_code), None) \
        or tiers.tier_by_code(member.tier_code)
    return {
        "balance": balance,
        "lifetime_earned": max(account.lifetime_earned, 0) if account else 0,
        "tier": tier,
        "next_tier": {"code": next_tier.code, "name": next_tier.name, "points_needed": needed}
        if next_tier else None,
        "expiring": schedule if balance > 0 else [],
        "tier_review_on": tiers.next_review_date() if active and member.tier_code else None,
    }


def list_entries(member_id: int, *, limit: int, cursor=None, kind=None, date_from=None,
                 date_to=None, direction=None) -> dict:
    """The member's history, newest first; `from`/`to` are business dates (inclusive);
    `direction` in (收入) or out (支出). Each entry has its `title` and `source`."""
    stmt = select(PointsEntry).where(PointsEntry.member_id == member_id)
    if kind:
        stmt = stmt.where(PointsEntry.kind == kind)
    if direction:
        stmt = stmt.where(PointsEntry.delta > 0 if direction == "in" else PointsEntry.delta < 0)
    if date_from:
        stmt = stmt.where(PointsEntry.created_at >= clock.start_of_business_day(date_from))
    if date_to:
        stmt = stmt.where(PointsEntry.created_at <= clock.end_of_business_day(date_to))
    page = paginate(db.session, stmt, PointsEntry.id, limit=limit, cursor=cursor)
    sources.describe(page["items"])
    return page


def entry_reason(entry) -> str:
    return entry.reason or kinds.LABELS.get(entry.kind, entry.kind)
