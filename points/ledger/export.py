"""The ledger's section of a member's data copy (members.privacy.export; wired by app.py)."""
from sqlalchemy import select

from core.db import db
from members.privacy.export import plain
from points.ledger.models import PointsAccount, PointsEntry

ENTRY_FIELDS = ("id", "kind", "delta", "balance_after", "reason", "ref_type", "ref_id",
                "created_at")


def for_member(member) -> dict:
    """The account and every entry of the member's history, oldest first."""
    account = db.session.get(PointsAccount, member.id)
    entries = db.session.scalars(select(PointsEntry).where(PointsEntry.member_id == member.id)
                                 .order_by(PointsEntry.id))
    return {"account": plain(account, ("balance", "lifetime_earned")) if account else None,
            "entries": [{**plain(e, ENTRY_FIELDS), "store_code": e.store.code if e.store else None}
                        for e in entries]}
