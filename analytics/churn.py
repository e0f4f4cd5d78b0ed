"""Churn status by each member's own rhythm.

A member with at least `min_orders` orders is AT RISK once the days since their last order
exceed `factor_percent` % of their median gap between orders (default 1.5×), LAPSED beyond
`lapsed_factor_percent` % (2×). Before that, the chain's defaults: at risk after `default_days`
(90), lapsed after `lapsed_days` (180). Days are business dates.

`changed_on` is the date the status began (the first day over the threshold, or the last
order for active), so a run on any later day — or a backfill — records the same date.
"""
from datetime import date

from sqlalchemy import String, and_, case, cast, delete, func, insert, literal, select

from core import clock
from core.db import db
from analytics import settings
from analytics.models import MemberChurn
from analytics.sql import business_days_since, days_before, roomy_temporary_tables
from members.models import Member
from points.earning.models import Order

ACTIVE, AT_RISK, LAPSED = "active", "at_risk", "lapsed"
STATUSES = (ACTIVE, AT_RISK, LAPSED)
_churn = MemberChurn.__table__


def update_chunk(as_of: date, cursor: int, chunk: int) -> tuple[int, int | None]:
    """Statuses of the members cursor < id ≤ cursor + chunk: (statuses changed, next cursor).
    Set-based: the members' orders (the (member, paid_at) index alone) → gaps between
    consecutive business dates → each member's median gap → status, all in one INSERT …
    SELECT; nothing per member travels to Python but the before/after statuses."""
    upto = cursor + chunk
    roomy_temporary_tables()
    in_chunk = and_(_churn.c.member_id > cursor, _churn.c.member_id <= upto)
    before = dict(db.session.execute(select(_churn.c.member_id, _churn.c.status)
                                     .where(in_chunk)).all())
    db.session.execute(delete(_churn).where(in_chunk))
    db.session.execute(insert(_churn).from_select(_COLUMNS, _statuses(
        as_of, cursor, upto, settings.get_settings()["churn"])))
    after = db.session.execute(select(_churn.c.member_id, _churn.c.status).where(in_chunk))
    changed = sum(1 for member_id, status in after if before.get(member_id) != status)
    last = db.session.scalar(select(func.max(Member.id))) or 0
    return changed, (upto if upto < last else None)


_COLUMNS = ("member_id", "status", "changed_on", "reason", "orders", "last_order_at",
            "median_gap_days", "expected_next_visit", "as_of")


def _statuses(as_of, cursor, upto, rule):
    """The churn rows of the chunk's members who ordered by the as-of date (module doc): their
    orders (read from the (member, paid_at) index alone) with the gap to the order before, each
    member's median gap (statistics.median_low of the n - 1 gaps: the ((n - 2) // 2 + 1)th
    smallest) joined to their count and last order. Only LAG, ROW_NUMBER and COUNT windows:
    MariaDB recomputes a MIN/MAX window for every row of a member's partition."""
    o = Order.__table__
    ago = business_days_since(o.c.paid_at, as_of)  # business days before the as-of date
    dated = (select(o.c.member_id, o.c.paid_at, ago.label("ago"),
                    (func.lag(ago).over(partition_by=o.c.member_id,
                                        order_by=(o.c.paid_at, o.c.id)) - ago).label("gap"),
                    func.count().over(partition_by=o.c.member_id).label("n"))
             .where(o.c.member_id > cursor, o.c.member_id <= upto,
                    o.c.paid_at <= clock.end_of_business_day(as_of))).subquery("dated")
    gaps = select(dated.c.member_id, dated.c.gap, dated.c.n, func.row_number().over(
        partition_by=dated.c.member_id, order_by=dated.c.gap).label("k")).where(
        dated.c.gap.is_not(None)).subquery("gaps")
    median = select(gaps.c.member_id, gaps.c.gap.label("median")).where(
        gaps.c.k == (gaps.c.n - 2) // 2 + 1).subquery("median")
    member = (select(dated.c.member_id, func.count().label("orders"),
                     func.min(dated.c.ago).label("since"),
                     func.max(dated.c.paid_at).label("last_order_at"))
              .group_by(dated.c.member_id).subquery("member"))
    m = (select(member, case((member.c.orders < rule["min_orders"], None),
                             (median.c.median < 1, 1), else_=median.c.median).label("gap"))
         .outerjoin(median, median.c.member_id == member.c.member_id).subquery("m"))
    return _rows(m, as_of, rule)


def _rows(m, as_of, rule):
    """Status, the day it began and why, from each member's days since the last order and
    gap: over `percent` % of the gap (integer arithmetic: since × 100 > gap × percent), or over
    the chain's default days below the minimum orders."""
    status, after, over = [], {}, {}
    for candidate, percent, default in ((LAPSED, "lapsed_factor_percent", "lapsed_days"),
                                        (AT_RISK, "factor_percent", "default_days")):
        after[candidate] = case((m.c.gap.is_(None), rule[default]),
                                else_=m.c.gap * rule[percent] // 100)
        over[candidate] = case(
            (m.c.gap.is_(None), literal(f"the chain's {rule[default]} days (fewer than "
                                        f"{rule['min_orders']} orders)")),
            else_=literal(f"{rule[percent] / 100:g} × their median gap of ")
            + cast(m.c.gap, String) + literal(" days"))
        status.append((case((m.c.gap.is_(None), m.c.since > rule[default]),
                             else_=m.c.since * 100 > m.c.gap * rule[percent]), candidate))
    began_ago = case(*((s, m.c.since - after[name] - 1) for s, name in status),
                     else_=m.c.since)
    since_text = cast(m.c.since, String) + literal(" days since the last order")
    reason = case(*((s, since_text + literal(", more than ") + over[name]) for s, name in status),
                  else_=since_text)
    next_visit = m.c.since - func.coalesce(m.c.gap, rule["default_days"])
    return select(m.c.member_id, case(*status, else_=literal(ACTIVE)),
                  days_before(as_of, began_ago), reason, m.c.orders, m.c.last_order_at,
                  m.c.gap, days_before(as_of, next_visit), literal(as_of))
