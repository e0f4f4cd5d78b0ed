"""Churn status by each member's own rhythm.

A member with at least `min_orders` orders is AT RISK once the days since their last order
exceed `factor_percent` % of their median gap between orders (default 1.5×), LAPSED beyond
`lapsed_factor_percent` % (2×). Before that, the chain's defaults: at risk after `default_days`
(90), lapsed after `lapsed_days` (180). Days are business dates.

`changed_on` is the date the status began (the first day over the threshold, or the last
order for active), so a run on any later day — or a backfill — records the same date.
"""
from collections import defaultdict
from datetime import date, timedelta
from statistics import median_low

from sqlalchemy import delete, func, insert, select

from core import clock
from core.db import db
from analytics import settings
from analytics.models import MemberChurn
from members.models import Member
from points.earning.models import Order

ACTIVE, AT_RISK, LAPSED = "active", "at_risk", "lapsed"
STATUSES = (ACTIVE, AT_RISK, LAPSED)


def update_chunk(as_of: date, cursor: int, chunk: int) -> tuple[int, int | None]:
    """Statuses of the members cursor < id ≤ cursor + chunk: (statuses changed, next cursor)."""
    upto = cursor + chunk
    rule = settings.get_settings()["churn"]
    days, last_paid = defaultdict(list), {}
    for member_id, paid_at in db.session.execute(
            select(Order.member_id, Order.paid_at)
            .where(Order.member_id > cursor, Order.member_id <= upto,
                   Order.paid_at <= clock.end_of_business_day(as_of))
            .order_by(Order.member_id, Order.paid_at)):
        days[member_id].append(clock.business_date(paid_at))
        last_paid[member_id] = paid_at
    before = dict(db.session.execute(select(MemberChurn.member_id, MemberChurn.status)
                                     .where(MemberChurn.member_id > cursor,
                                            MemberChurn.member_id <= upto)).all())
    rows = [{**status_of(member_id, dates, as_of, rule), "last_order_at": last_paid[member_id]}
            for member_id, dates in days.items()]
    db.session.execute(delete(MemberChurn).where(MemberChurn.member_id > cursor,
                                                 MemberChurn.member_id <= upto))
    if rows:
        db.session.execute(insert(MemberChurn), rows)
    changed = sum(1 for row in rows if before.get(row["member_id"]) != row["status"])
    last = db.session.scalar(select(func.max(Member.id))) or 0
    return changed, (upto if upto < last else None)


def status_of(member_id: int, dates: list[date], as_of: date, rule: dict) -> dict:
    """The churn row of a member whose orders fell on these business dates (ascending)."""
    gaps = [(b - a).days for a, b in zip(dates, dates[1:])]
    gap = max(median_low(gaps), 1) if len(dates) >= rule["min_orders"] else None
    last, since = dates[-1], (as_of - dates[-1]).days
    status, began, over = ACTIVE, last, None
    for candidate, percent, default in ((LAPSED, "lapsed_factor_percent", "lapsed_days"),
                                        (AT_RISK, "factor_percent", "default_days")):
        after = gap * rule[percent] / 100 if gap else rule[default]
        if since > after:
            status, began = candidate, last + timedelta(days=int(after) + 1)
            over = (f"{rule[percent] / 100:g} × their median gap of {gap} days" if gap else
                    f"the chain's {rule[default]} days (fewer than {rule['min_orders']} orders)")
            break
    reason = (f"{since} days since the last order, more than {over}" if over
              else f"{since} days since the last order")
    return {"member_id": member_id, "status": status, "changed_on": began, "reason": reason[:200],
            "orders": len(dates), "median_gap_days": gap, "as_of": as_of,
            "expected_next_visit": last + timedelta(days=gap or rule["default_days"])}
