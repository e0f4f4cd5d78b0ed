"""Which lots a debit consumes: soonest-expiring first, then oldest."""
from sqlalchemy import or_, select

from core.db import db
from points.ledger.models import PointsAllocation, PointsLot


def live_lots(member_id, now, *, lock=True):
    stmt = (select(PointsLot)
            .where(PointsLot.member_id == member_id, PointsLot.remaining > 0,
                   or_(PointsLot.expires_at.is_(None), PointsLot.expires_at > now))
            .order_by(PointsLot.expires_at.is_(None), PointsLot.expires_at, PointsLot.id))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return list(db.session.scalars(stmt))


def plan_consumption(member_id, amount, now, *, prefer_lot_id=None):
    lots = live_lots(member_id, now)
    lots.sort(key=lambda lot: lot.id != prefer_lot_id)  # stable: keeps FIFO-by-expiry otherwise
    plan, left = [], amount
    for lot in lots:
        if left == 0:
            break
        take = min(lot.remaining, left)
        plan.append((lot, take))
        left -= take
    return plan


def apply_plan(plan, entry) -> None:
    for lot, take in plan:
        lot.remaining -= take
        db.session.add(PointsAllocation(entry_id=entry.id, lot_id=lot.id, amount=take))
    db.session.flush()
