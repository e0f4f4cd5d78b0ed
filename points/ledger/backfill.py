"""Re-date existing lots after an expiry-policy change (a new policy applies to new lots only,
until an admin runs this). Each live lot gets the date the current policy gives for the day it
was earned; lots whose new date has passed expire at the next sweep (or touch)."""
from sqlalchemy import select

from core.db import db
from members.models import Member
from points.ledger import policy
from points.ledger.models import PointsLot
from points.programme.settings import get_settings


def backfill_chunk(after_lot_id: int = 0, limit: int = 1000, *, dry_run: bool = False):
    """Re-date up to `limit` live lots after `after_lot_id`: (lots changed, cursor or None)."""
    rows = db.session.execute(
        select(PointsLot, Member.birthday).join(Member, Member.id == PointsLot.member_id)
        .where(PointsLot.id > after_lot_id, PointsLot.remaining > 0)
        .order_by(PointsLot.id).limit(limit)).all()
    if not rows:
        return 0, None
    expiry_policy, changed = get_settings()["expiry"], 0
    for lot, birthday in rows:
        new_date = policy.expiry_for(lot.created_at, expiry_policy, birthday)
        if new_date != lot.expires_at:
            changed += 1
            if not dry_run:
                lot.expires_at = new_date
                lot.birthday_extended = new_date != policy.expiry_for(lot.created_at,
                                                                      expiry_policy, None)
    db.session.flush()
    return changed, rows[-1][0].id
