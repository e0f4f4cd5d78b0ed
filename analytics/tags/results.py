"""Whether an automation worked: treated vs held-out members, the share who ordered again within
7 and 30 days of entering the tag, spend per member in those 30 days, and the lift (treated −
held out, in percentage points of the 30-day reorder share) with a 95% confidence interval
(normal approximation of a difference of two proportions). Overall and per segment."""
import math
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import func, select

from core import clock
from core.db import db
from analytics.tags.automations import HOLDOUT, TREATED, get_automation
from analytics.tags.models import AutomationAction
from points.earning.models import Order

Z95 = 1.96


def results(automation_id: int) -> dict:
    automation = get_automation(automation_id)
    actions = db.session.execute(select(AutomationAction.member_id, AutomationAction.arm,
                                        AutomationAction.entered_on, AutomationAction.segment)
                                 .filter_by(automation_id=automation.id)).all()
    outcomes = [(arm, segment or "unscored", *_after(member_id, entered_on))
                for member_id, arm, entered_on, segment in actions]
    by_segment = defaultdict(list)
    for row in outcomes:
        by_segment[row[1]].append(row)
    counts = dict(db.session.execute(
        select(AutomationAction.outcome, func.count()).filter_by(automation_id=automation.id)
        .group_by(AutomationAction.outcome)).all())
    return {"automation_id": automation.id, "budget": automation.budget, "spent": automation.spent,
            "outcomes": counts, **_compare(outcomes),
            "by_segment": [{"segment": s, **_compare(rows)}
                           for s, rows in sorted(by_segment.items())]}


def _after(member_id, entered_on):
    """(ordered within 7 days, within 30 days, spend within 30 days) from the entry date."""
    start = clock.start_of_business_day(entered_on)
    rows = db.session.execute(select(Order.paid_at, Order.amount_fen - Order.refunded_fen).where(
        Order.member_id == member_id, Order.paid_at >= start,
        Order.paid_at < start + timedelta(days=30))).all()
    week = any(paid_at < start + timedelta(days=7) for paid_at, _ in rows)
    return week, bool(rows), sum(int(fen) for _, fen in rows)


def _compare(rows) -> dict:
    arms = {arm: _arm([r for r in rows if r[0] == arm]) for arm in (TREATED, HOLDOUT)}
    lift = _lift(arms[TREATED], arms[HOLDOUT])
    for arm in arms.values():
        del arm["_reordered_30d"]
    return {"treated": arms[TREATED], "holdout": arms[HOLDOUT], "lift": lift}


def _arm(rows) -> dict:
    n = len(rows)
    return {"members": n,
            "reordered_7d_pct": round(100 * sum(r[2] for r in rows) / n, 2) if n else None,
            "reordered_30d_pct": round(100 * sum(r[3] for r in rows) / n, 2) if n else None,
            "spend_per_member_fen": sum(r[4] for r in rows) // n if n else None,
            "_reordered_30d": sum(r[3] for r in rows)}


def _lift(treated, holdout) -> dict:
    n1, n2 = treated["members"], holdout["members"]
    if not n1 or not n2:
        return {"value": None, "ci_low": None, "ci_high": None}
    p1, p2 = treated["_reordered_30d"] / n1, holdout["_reordered_30d"] / n2
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    diff = p1 - p2
    return {"value": round(100 * diff, 2), "ci_low": round(100 * (diff - Z95 * se), 2),
            "ci_high": round(100 * (diff + Z95 * se), 2)}
