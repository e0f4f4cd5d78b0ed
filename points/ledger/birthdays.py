"""Birthday extension (settings `expiry.birthday_extension_days` M > 0): points that would expire
in the member's birthday month get M more days.

New lots get it when they are credited (policy.expiry_for). The monthly job catches the rest —
lots credited before the birthday was known or before the extension was switched on, lots moved
by rolling expiry — for the members whose birthday month comes next. A lot is extended at most
once (`birthday_extended`), so the job can run any number of times.
"""
from datetime import date, datetime, timedelta

from sqlalchemy import extract, select, update

from core import clock
from core.db import db
from members.models import STATUS_ACTIVE, Member
from points.ledger.models import PointsAccount, PointsLot


def next_month(day: date) -> tuple[int, int]:
    return (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)


def parse_month(value: str) -> tuple[int, int]:
    """"2026-12" → (2026, 12); ValueError otherwise."""
    moment = datetime.strptime(value, "%Y-%m")
    return moment.year, moment.month


def _month_bounds(year: int, month: int):
    first = date(year, month, 1)
    last = date(*next_month(first), 1) - timedelta(days=1)
    return clock.start_of_business_day(first), clock.end_of_business_day(last)


def extend_birthday_month_chunk(year: int, month: int, days: int, after_member_id: int = 0,
                                limit: int = 1000) -> tuple[int, int | None]:
    """Extend by `days` the live lots expiring in year-month of up to `limit` members born in
    that month (after the cursor). Returns (lots extended, cursor or None when done).

    Locks the members' accounts (in member order, as every ledger change does) before their
    lots; balances do not change, so no journal entry is written."""
    member_ids = list(db.session.scalars(
        select(Member.id).where(extract("month", Member.birthday) == month,
                                Member.status == STATUS_ACTIVE, Member.id > after_member_id)
        .order_by(Member.id).limit(limit)))
    if not member_ids:
        return 0, None
    db.session.execute(select(PointsAccount.member_id)
                       .where(PointsAccount.member_id.in_(member_ids))
                       .order_by(PointsAccount.member_id).with_for_update())
    start, end = _month_bounds(year, month)
    lots = db.session.execute(
        select(PointsLot.id, PointsLot.expires_at)
        .where(PointsLot.member_id.in_(member_ids), PointsLot.remaining > 0,
               PointsLot.birthday_extended == False,  # noqa: E712
               PointsLot.expires_at >= start, PointsLot.expires_at <= end)
        .order_by(PointsLot.id).with_for_update()).all()
    by_expiry: dict = {}
    for lot_id, expires_at in lots:
        by_expiry.setdefault(expires_at, []).append(lot_id)
    for expires_at, lot_ids in by_expiry.items():
        db.session.execute(update(PointsLot).where(PointsLot.id.in_(lot_ids))
                           .values(expires_at=expires_at + timedelta(days=days),
                                   birthday_extended=True)
                           .execution_options(synchronize_session=False))
    return len(lots), member_ids[-1]
