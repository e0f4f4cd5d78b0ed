"""Each member's tier changes: recorded by the statement that changes members.tier_code, in
its transaction, only when it did change (points.programme.tiers); read by the member's record
in the console, the admin API and the member's data copy (wired by app.py).

A deleted account keeps its history, as it keeps its ledger and monthly earnings: the rows
point to the anonymous member row and hold no personal data."""
from sqlalchemy import select

from core import clock
from core.db import db, insert_values
from core.pagination import paginate
from members.privacy.export import plain_rows
from points.programme.models import TierChange

#: raised at once by a credit crossing a threshold
EARNED = "earned"
#: set by the periodic review from the window's earnings (may lower)
REVIEW = "review"
#: a merge: the merged-away member loses its tier; the member it joined may rise
MERGE = "merge"
#: raised after a tier became easier to reach (a threshold lowered, a tier added)
RULES = "rules"
REASONS = (EARNED, REVIEW, MERGE, RULES)

EXPORT_FIELDS = ("from_code", "to_code", "reason", "created_at")


def record(member_id: int, from_code: str | None, to_code: str | None, reason: str) -> None:
    """One change, as the caller's guarded UPDATE made it (call only when it changed a row)."""
    if reason not in REASONS:
        raise ValueError(f"unknown tier change reason {reason!r}")
    insert_values(TierChange.__table__, {"member_id": member_id, "from_code": from_code,
                                         "to_code": to_code, "reason": reason,
                                         "created_at": clock.now()})


def changes(member_id: int, *, limit: int = 20, cursor: str | None = None) -> dict:
    """The member's tier changes, newest first, a page at a time; each with `from_tier` and
    `to_tier` (the tiers, None for no tier)."""
    page = paginate(db.session, select(TierChange).where(TierChange.member_id == member_id),
                    TierChange.id, limit=limit, cursor=cursor)
    from points.programme.tiers import tier_by_code  # tiers records through this module

    for change in page["items"]:
        change.from_tier = tier_by_code(change.from_code)
        change.to_tier = tier_by_code(change.to_code)
    return page


def for_export(member) -> list[dict]:
    """The member's data copy: every change of their tier, oldest first."""
    return plain_rows(db.session.scalars(select(TierChange)
                                         .where(TierChange.member_id == member.id)
                                         .order_by(TierChange.id)), EXPORT_FIELDS)
