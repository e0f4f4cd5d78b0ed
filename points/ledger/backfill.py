"""Re-date existing lots after an expiry-policy change (a new policy applies to new lots only,
until an admin runs this). Each live lot gets the date the current policy gives for the day it
was earned; lots whose new date has passed expire at the next sweep (or touch)."""
from sqlalchemy import select

from core import clock
from core.db import db
from members.models import Member
from points.ledger import policy
from points.ledger.models import PointsLot
from points.programme.settings import get_settings


def backfill_chunk(after_lot_id: int = 0, limit: int = 1000, *, dry_run: bool = False,
                   expiry_policy: dict | None = None, tally: "Tally | None" = None):
    """Re-date up to `limit` live lots after `after_lot_id`: (lots changed, cursor or None).
    `expiry_policy`: a policy other than the current one (dry runs only); `tally` adds up
    what changes."""
    rows = db.session.execute(
        select(PointsLot, Member.birthday).join(Member, Member.id == PointsLot.member_id)
        .where(PointsLot.id > after_lot_id, PointsLot.remaining > 0)
        .order_by(PointsLot.id).limit(limit)).all()
    if not rows:
        return 0, None
    if expiry_policy is not None and not dry_run:
        raise ValueError("only a dry run may use a policy other than the saved one")
    expiry_policy, changed = expiry_policy or get_settings()["expiry"], 0
    for lot, birthday in rows:
        new_date = policy.expiry_for(lot.created_at, expiry_policy, birthday)
        if new_date != lot.expires_at:
            changed += 1
            if tally is not None:
                tally.add(lot, new_date)
            if not dry_run:
                lot.expires_at = new_date
                lot.birthday_extended = new_date != policy.expiry_for(lot.created_at,
                                                                      expiry_policy, None)
    db.session.flush()
    return changed, rows[-1][0].id


class Tally:
    """What re-dating changes: lots, points and members, and of those what would expire at
    the next sweep (the new date has passed)."""

    def __init__(self, now):
        self.now, self.lots, self.points, self.due_points = now, 0, 0, 0
        self.members, self.due_members = set(), set()

    def add(self, lot, new_date) -> None:
        self.lots += 1
        self.points += lot.remaining
        self.members.add(lot.member_id)
        if new_date is not None and new_date <= self.now:
            self.due_points += lot.remaining
            self.due_members.add(lot.member_id)

    def summary(self) -> dict:
        return {"lots": self.lots, "points": self.points, "members": len(self.members),
                "due_points": self.due_points, "due_members": len(self.due_members)}


def dry_run(expiry_policy: dict | None = None, chunk: int = 1000) -> dict:
    """What `points backfill-expiry` would re-date under the current expiry policy (or
    `expiry_policy`, a proposed one), changing nothing: {lots, points, members, due_points,
    due_members} (due: the new date has passed, so the next sweep would expire them). Reads
    every live lot, a chunk at a time."""
    tally, cursor = Tally(clock.now()), 0
    while cursor is not None:
        _n, cursor = backfill_chunk(cursor, chunk, dry_run=True, expiry_policy=expiry_policy,
                                    tally=tally)
    return tally.summary()
