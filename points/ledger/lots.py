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


def plan_consumption(member_id, amount, now, *, prefer=()):
    """[(lot, points)]: first up to each (lot id, points) of `prefer` in its order, then the
    rest soonest-expiring first (leftovers of preferred lots included)."""
    lots = live_lots(member_id, now)
    by_id = {lot.id: lot for lot in lots}
    taken, left = {}, amount
    for lot_id, cap in prefer:
        if (lot := by_id.get(lot_id)) is not None and left:
            take = min(cap, lot.remaining - taken.get(lot_id, 0), left)
            taken[lot_id] = taken.get(lot_id, 0) + take
            left -= take
    for lot in lots:
        if left == 0:
            break
        take = min(lot.remaining - taken.get(lot.id, 0), left)
        taken[lot.id] = taken.get(lot.id, 0) + take
        left -= take
    return [(by_id[lot_id], take) for lot_id, take in taken.items() if take > 0]


def apply_plan(plan, entry) -> None:
    for lot, take in plan:
        lot.remaining -= take
        db.session.add(PointsAllocation(entry_id=entry.id, lot_id=lot.id, amount=take))
    db.session.flush()
