"""Who pays for points: every lot's funder (HQ, or the store whose campaign gave them); a
debit's allocations say whose points it took, so funding survives spend, refund, expiry and
merge exactly."""
from sqlalchemy import func, select

from core.db import db
from points.ledger.models import PointsLot


def live_points_by_funder(member_id: int | None = None) -> dict[int | None, int]:
    """funder store id (None = HQ) → points in live lots (of one member, or everyone's);
    for a member out of debt they add up to the balance. Lots past their expiry not yet swept
    still count (the balance still holds them)."""
    query = (select(PointsLot.funder_store_id, func.sum(PointsLot.remaining))
             .where(PointsLot.remaining > 0).group_by(PointsLot.funder_store_id))
    if member_id is not None:
        query = query.where(PointsLot.member_id == member_id)
    return {funder: int(points) for funder, points in db.session.execute(query).all()}
