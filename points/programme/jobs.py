"""The programme's background jobs (scheduled by app.py)."""
from datetime import date

from core import clock
from core.db import run_in_transaction
from points.programme import tiers


def tier_review(as_of: str | None = None, chunk: int = 1000) -> dict:
    """Set every member's tier from the tiers' window of earnings (may lower tiers), a chunk
    of members per transaction; `as_of`: YYYY-MM-DD, the end of that business day."""
    return {"tiers_changed": _review_all(as_of, chunk, raise_only=False)}


def raise_tiers(as_of: str | None = None, chunk: int = 1000) -> dict:
    """Raise every member whose earnings now reach a higher tier (after a threshold was lowered
    or a tier added); lowers no one."""
    return {"tiers_raised": _review_all(as_of, chunk, raise_only=True)}


def _review_all(as_of, chunk, *, raise_only) -> int:
    now = clock.end_of_business_day(date.fromisoformat(as_of)) if as_of else clock.now()
    changed, cursor = 0, 0
    while cursor is not None:
        n, cursor = run_in_transaction(lambda c=cursor: tiers.review_chunk(
            now, c, chunk, raise_only=raise_only))
        changed += n
    return changed
