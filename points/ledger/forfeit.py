"""Forfeiture: a cancelled (deleted) account's remaining points leave the ledger for good."""
from sqlalchemy import select

from core import clock
from core.db import db
from members.models import STATUS_DELETED, Member
from points.ledger.accounts import append_entry, lock_account, replayed
from points.ledger.expiry import expire_member_due
from points.ledger.lots import apply_plan, live_lots
from points.ledger.models import PointsEntry


def forfeit_key(member_id: int) -> str:
    return f"forfeit:{member_id}"


def forfeit(member_id: int, *, reason: str | None = None) -> PointsEntry | None:
    """Empty the member's account: what is due expires first, the rest leaves as one
    `forfeit` entry taking every live lot (no lot is kept for a later return). None when there
    was nothing left. Once per member: a rerun returns the first entry. Debt is not touched."""
    key = forfeit_key(member_id)
    account = lock_account(member_id)
    if (entry := replayed(key, member_id)) is not None:
        return entry
    now = clock.now()
    expire_member_due(account, now)
    lots = live_lots(member_id, now)
    points = sum(lot.remaining for lot in lots)
    if points == 0:
        return None
    entry = append_entry(account, "forfeit", -points, key, reason=reason, now=now)
    apply_plan([(lot, lot.remaining) for lot in lots], entry)
    return entry


def forfeit_returned(account, returned: PointsEntry) -> None:
    """Points returned to a deleted member's account (a deduction refunded after the deletion)
    leave again at once. Call under the account lock."""
    status = db.session.scalar(select(Member.status).where(Member.id == account.member_id))
    if status != STATUS_DELETED:
        return
    lots = live_lots(account.member_id, clock.now())
    if points := sum(lot.remaining for lot in lots):
        entry = append_entry(account, "forfeit", -points,
                             f"{forfeit_key(account.member_id)}:{returned.id}", now=clock.now())
        apply_plan([(lot, lot.remaining) for lot in lots], entry)
