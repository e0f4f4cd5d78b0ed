"""Expiring one member's due lots under the account lock (points.ledger.sweep does many)."""
from datetime import datetime

from sqlalchemy import select

from core.db import db
from points.ledger.accounts import Held, append_entry
from points.ledger.lots import apply_plan
from points.ledger.models import PointsLot


def expire_due(held: Held, now: datetime) -> None:
    """Expire the held account's lots whose time has come, as every balance change does first."""
    if held.has_due:
        expire_member_due(held, now)
        held.has_due = False


def expire_member_due(account, now, *, reason=None) -> int:
    """Expire the member's lots whose time has come (called under the account lock)."""
    lots = list(db.session.scalars(
        select(PointsLot).where(PointsLot.member_id == account.member_id,
                                PointsLot.remaining > 0, PointsLot.expires_at <= now)
        .order_by(PointsLot.id).with_for_update().execution_options(populate_existing=True)))
    if not lots:
        return 0
    entry = append_entry(account, "expire", -sum(lot.remaining for lot in lots),
                    expire_key(account.member_id, account.version), reason=reason,
                    now=now)
    apply_plan([(lot, lot.remaining) for lot in lots], entry)
    return len(lots)


def expire_key(member_id: int, version: int) -> str:  # (points.ledger.sweep builds it in SQL)
    """Unique per expiry: the account's version changes with every entry (the sweep's
    exactly-once comes from zeroing the lots under the account lock, not from this key)."""
    return f"expire:{member_id}:v{version}"
