"""The rollup: each business day's figures per store (analytics.dashboard.sources) stored in
dashboard_store_days / dashboard_product_days, and the day marked built in dashboard_days.
Building a day replaces its rows, so building it again (a late entry, a rerun) is safe."""
from datetime import date, timedelta

from sqlalchemy import delete, func, insert, select

from core import clock
from core.db import db
from core.replica import reports_read
from analytics.dashboard import sources
from analytics.dashboard.models import DashboardDay, DashboardProductDay, DashboardStoreDay

#: days before the last built one that the job builds again (entries that arrive late)
LATE_DAYS = 3


def build_day(day: date) -> int:
    """Replace one day's rollup rows with the source tables' figures; the number of store rows."""
    return write_day(day, *read_day(day))


def write_day(day: date, figures: tuple[dict, int], products: list) -> int:
    """Replace the day's rows with `figures` ({store_key: row}, the chain's active members) and
    `products`; the number of store rows."""
    stores, chain_active = figures
    for model in (DashboardStoreDay, DashboardProductDay, DashboardDay):
        db.session.execute(delete(model).where(model.day == day))
    if stores:
        db.session.execute(insert(DashboardStoreDay.__table__),  # a table's insert: no ORM
                           [{"day": day, "store_key": key, **row} for key, row in stores.items()])
    if products:
        db.session.execute(insert(DashboardProductDay.__table__),
                           [{"day": day, **p} for p in products])
    db.session.execute(insert(DashboardDay).values(
        day=day, computed_at=clock.now(), **sources.chain_figures(stores, chain_active)))
    return len(stores)


def read_day(day: date):
    """The day's figures, read on the reports replica when it is caught up (the heavy reads
    leave the primary); the primary's when the replica is stale. An entry the replica had not
    applied yet is picked up when the day is built again (LATE_DAYS)."""
    with reports_read() as freshness:
        if not freshness.stale:
            return sources.day_figures(day), sources.product_day_figures(day)
    return sources.day_figures(day), sources.product_day_figures(day)


def days_due(today: date | None = None, late_days: int = LATE_DAYS) -> list[date]:
    """The days the job builds: from LATE_DAYS before the last built day (or the ledger's first
    day) up to yesterday; a killed run resumes after its last built day."""
    today = today or clock.business_date()
    first = sources.first_day()
    if first is None:
        return []
    last = db.session.scalar(select(func.max(DashboardDay.day)))
    start = max(first, last - timedelta(days=late_days - 1)) if last else first
    return [start + timedelta(days=i) for i in range((today - start).days)]


def built_days(date_from: date, date_to: date) -> set[date]:
    return set(db.session.scalars(select(DashboardDay.day).where(
        DashboardDay.day >= date_from, DashboardDay.day <= date_to)))
