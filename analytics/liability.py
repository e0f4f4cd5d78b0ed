"""The points liability: what the outstanding points are worth and who owes it.

Outstanding = the remaining points of the lots not due to expire by the end of the as-of date
(the ledger's current lots: the report is of today's books, with the expiry months and the
breakage measured from the as-of date). Value = points × `point_value_fen`, owed by the store
that issued each lot (null: HQ); by funder, what each funder pays for (a store's campaign
points: that store; null: HQ).

EXPECTED BREAKAGE: an outstanding lot that can expire is bucketed by its age; for each bucket
the chain's own history says which share of the points consumed from expiring lots at least
that old went to expiry rather than to spending. Breakage = Σ bucket points × that share.
"""
from datetime import date, timedelta

from sqlalchemy import and_, func, or_, select

from core import clock
from core.db import db
from core.replica import reports_read
from analytics.sql import business_month, plus_days
from points.ledger import kinds
from points.ledger.models import PointsAllocation, PointsEntry, PointsLot
from points.programme.settings import get_settings
from stores.models import Store

#: lot age buckets, in days (lower bounds)
AGE_BUCKETS = (0, 90, 180, 365)


def liability(as_of: date | None = None) -> dict:
    """Read from the reports replica, with its `freshness`."""
    with reports_read() as freshness:
        report = _liability(as_of or clock.business_date())
    return {**report, "freshness": freshness.as_dict()}


def _liability(as_of: date) -> dict:
    value = get_settings()["point_value_fen"]
    due = clock.end_of_business_day(as_of)
    live = and_(PointsLot.remaining > 0,
                or_(PointsLot.expires_at.is_(None), PointsLot.expires_at > due))
    codes = dict(db.session.execute(select(Store.id, Store.code)).all())
    by_store = [{"store_code": codes.get(store_id), "points": int(points),
                 "value_fen": int(points) * value}
                for store_id, points in db.session.execute(
                    select(PointsLot.store_id, func.sum(PointsLot.remaining)).where(live)
                    .group_by(PointsLot.store_id).order_by(func.sum(PointsLot.remaining).desc()))]
    by_funder = [{"funded_by": codes.get(store_id), "points": int(points),
                  "value_fen": int(points) * value}
                 for store_id, points in db.session.execute(
                     select(PointsLot.funder_store_id, func.sum(PointsLot.remaining)).where(live)
                     .group_by(PointsLot.funder_store_id)
                     .order_by(func.sum(PointsLot.remaining).desc()))]
    month = business_month(PointsLot.expires_at, as_of)
    by_month = [{"month": m or "never", "points": int(points)}
                for m, points in db.session.execute(
                    select(month, func.sum(PointsLot.remaining)).where(live).group_by(month))]
    by_month.sort(key=lambda row: (row["month"] == "never", row["month"]))
    outstanding = sum(row["points"] for row in by_store)
    rates, breakage = _breakage(as_of, live)
    return {"as_of": as_of, "points_outstanding": outstanding, "value_fen": outstanding * value,
            "point_value_fen": value, "by_store": by_store, "by_funder": by_funder,
            "by_expiry_month": by_month,
            "expected_breakage_points": breakage, "expected_breakage_fen": breakage * value,
            "breakage_rates": rates}


def _breakage(as_of, live) -> tuple[list, int]:
    moment = clock.end_of_business_day(as_of)
    rates, total = [], 0
    for i, low in enumerate(AGE_BUCKETS):
        high = AGE_BUCKETS[i + 1] if i + 1 < len(AGE_BUCKETS) else None
        age = [PointsLot.created_at <= moment - timedelta(days=low)]
        if high is not None:
            age.append(PointsLot.created_at > moment - timedelta(days=high))
        points = db.session.scalar(select(func.coalesce(func.sum(PointsLot.remaining), 0))
                                   .where(live, PointsLot.expires_at.is_not(None), *age)) or 0
        share = _expired_share(low)
        rates.append({"min_age_days": low, "points": int(points),
                      "expired_share": round(share, 4)})
        total += int(int(points) * share)
    return rates, total


def _expired_share(min_age_days: int) -> float:
    """Of the points consumed from expiring lots at least this old, the share that expired."""
    consumed = (select(PointsEntry.kind, func.sum(PointsAllocation.amount))
                .select_from(PointsAllocation)
                .join(PointsEntry, PointsEntry.id == PointsAllocation.entry_id)
                .join(PointsLot, PointsLot.id == PointsAllocation.lot_id)
                .where(PointsLot.expires_at.is_not(None),
                       PointsEntry.kind.in_(("expire", *kinds.SPENDING)),
                       PointsEntry.created_at >= plus_days(PointsLot.created_at, min_age_days))
                .group_by(PointsEntry.kind))
    amounts = {kind: int(amount) for kind, amount in db.session.execute(consumed)}
    expired, spent = amounts.get("expire", 0), sum(amounts.get(k, 0) for k in kinds.SPENDING)
    return expired / (expired + spent) if expired + spent else 0.0
