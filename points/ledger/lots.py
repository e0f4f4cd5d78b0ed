"""Which lots a debit consumes: soonest-expiring first, then oldest; and taking points from them.

The consumption path reads and writes with Core statements (a debit is a hot path: every
redemption and draw); loaded ORM copies of the lots it changes are kept in step.
"""
from sqlalchemy import bindparam, or_, select, update

from core.db import db, insert_values, loaded, mark_written
from points.ledger.models import PointsAllocation, PointsLot

_lots, _allocations = PointsLot.__table__, PointsAllocation.__table__

#: a member's live lots in the order a debit consumes them, locked (built once)
_live = (select(_lots.c.id, _lots.c.remaining)
         .where(_lots.c.member_id == bindparam("member_id"), _lots.c.remaining > 0,
                or_(_lots.c.expires_at.is_(None), _lots.c.expires_at > bindparam("now")))
         .order_by(_lots.c.expires_at.is_(None), _lots.c.expires_at, _lots.c.id)
         .with_for_update())
_take = (update(_lots).where(_lots.c.id == bindparam("lot"))
         .values(remaining=_lots.c.remaining - bindparam("take")))


def live_lots(member_id, now, *, lock=True):
    stmt = (select(PointsLot)
            .where(PointsLot.member_id == member_id, PointsLot.remaining > 0,
                   or_(PointsLot.expires_at.is_(None), PointsLot.expires_at > now))
            .order_by(PointsLot.expires_at.is_(None), PointsLot.expires_at, PointsLot.id))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return list(db.session.scalars(stmt))


def plan_consumption(member_id, amount, now, *, prefer=()):
    """[(lot, points to take)]: `lot` a row with id and remaining, locked. First up to each
    (lot id, points) of `prefer` in its order, then the rest soonest-expiring first (leftovers
    of preferred lots included)."""
    db.session.flush()  # lots added or changed through the ORM first: this reads with Core
    lots = db.session.execute(_live, {"member_id": member_id, "now": now}).all()
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
    """Take each planned amount from its lot (a row or an ORM lot, read under the lock) and
    record the allocations."""
    if not plan:
        return
    db.session.execute(_take, [{"lot": lot.id, "take": take} for lot, take in plan])
    insert_values(_allocations, [{"entry_id": entry.id, "lot_id": lot.id, "amount": take}
                                 for lot, take in plan])
    for lot, take in plan:
        if (orm := loaded(PointsLot, lot.id)) is not None:
            mark_written(orm, remaining=lot.remaining - take)
