"""Re-date existing lots after an expiry-policy change (a new policy applies to new lots only,
until an admin runs this). Each live lot gets the date the current policy gives for the day it
was earned; lots whose new date has passed expire at the next sweep (or touch)."""
import functools
from datetime import date

from sqlalchemy import select

from core import clock
from core.db import db
from members.models import Member
from points.ledger import policy
from points.ledger.models import PointsLot
from points.programme.settings import get_settings


def backfill_chunk(after_lot_id: int = 0, limit: int = 1000):
    """Re-date up to `limit` live lots after `after_lot_id` by the current policy:
    (lots changed, cursor or None)."""
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


def dry_run(expiry_policy: dict | None = None, chunk: int = 10_000, progress=None) -> dict:
    """What `points backfill-expiry` would re-date under the current expiry policy (or
    `expiry_policy`, a proposed one), changing nothing: {lots, points, members, due_points,
    due_members} (due: the new date has passed, so the next sweep would expire them). Reads
    every live lot a chunk at a time as plain rows, and works a date out once per earning day
    and birthday month (all the policy looks at): a million lots take about a minute, so the
    console runs it as a job (points.ledger.dry_runs). `progress(lots_read)`, if given, is
    called after each chunk."""
    expiry_policy = expiry_policy or get_settings()["expiry"]
    tally, cursor, lots_read = Tally(clock.now()), 0, 0

    @functools.cache
    def new_date(day, birthday_month):
        birthday = date(2000, birthday_month, 1) if birthday_month else None
        return policy.expiry_for_day(day, expiry_policy, birthday)

    while rows := db.session.execute(
            select(PointsLot.id, PointsLot.member_id, PointsLot.remaining, PointsLot.created_at,
                   PointsLot.expires_at, Member.birthday)
            .join(Member, Member.id == PointsLot.member_id)
            .where(PointsLot.id > cursor, PointsLot.remaining > 0)
            .order_by(PointsLot.id).limit(chunk)).all():
        for lot in rows:
            redated = new_date(clock.business_date(lot.created_at),
                               lot.birthday.month if lot.birthday else None)
            if redated != lot.expires_at:
                tally.add(lot, redated)
        cursor, lots_read = rows[-1].id, lots_read + len(rows)
        if progress is not None:
            progress(lots_read)
    return tally.summary()
