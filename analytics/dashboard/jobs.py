"""The dashboard rollup job (scheduled by app.py; `flask dashboard rollup` runs it): one
transaction per business day, so a killed run loses at most the day it was building."""
from datetime import date, timedelta

from core import clock
from core.db import run_in_transaction
from analytics.dashboard import rollup


def rollup_job(as_of: str | None = None) -> dict:
    """Build every day not built yet up to yesterday, and the last LATE_DAYS built days again
    (entries that arrived late)."""
    today = date.fromisoformat(as_of) + timedelta(days=1) if as_of else clock.business_date()
    days = run_in_transaction(lambda: rollup.days_due(today))
    return build(days)


def rebuild(date_from: date, date_to: date) -> dict:
    """Build each day of a range again (a correction, a backfill)."""
    return build([date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)])


def build(days: list[date]) -> dict:
    rows = 0
    for day in days:
        rows += run_in_transaction(lambda d=day: rollup.build_day(d))
    return {"days": len(days), "first": days[0].isoformat() if days else None,
            "last": days[-1].isoformat() if days else None, "store_rows": rows}
