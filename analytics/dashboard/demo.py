"""The dashboard's demo: two more stores, months of history (analytics.dashboard.demo_history)
and the rollup built up to yesterday, so `make run`'s dashboard has something to show. Safe to
run again: the history is written once, the rollup rebuilt."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from core import clock
from stores import service as stores_service
from stores.models import Store
from core.db import db
from analytics.dashboard import demo_history, rollup, sources

MORE_STORES = [("GZ001", "广州天河城店", "Jifen Tea", "广州市天河区天河路 208 号"),
               ("SZ001", "深圳海岸城店", "Jifen Tea", "深圳市南山区文心五路 33 号")]


def seed_demo() -> list[str]:
    for code, name, brand, address in MORE_STORES:
        if db.session.scalar(select(Store.id).filter_by(code=code)) is None:
            stores_service.create_store(code, name, brand, address=address)
    stores = list(db.session.scalars(select(Store.id).where(
        Store.code.in_(["SH001", "BJ001"] + [s[0] for s in MORE_STORES])).order_by(Store.id)))
    written = demo_history.seed_history(
        stores, current_app.config.get("DEMO_HISTORY_MEMBERS", demo_history.MEMBERS))
    db.session.flush()
    days = _build_rollup()
    history = (f"{written:,} members with {demo_history.DAYS} days of orders, check-ins, "
               "referrals, redemptions and expiring bonuses across SH001, BJ001, GZ001, SZ001"
               if written else "the demo history was there already")
    return [f"Dashboard: {history}; the rollup built for {days} days (/console/dashboard as "
            "marketer or admin; `flask --app app dashboard rollup`)."]


def _build_rollup() -> int:
    first, yesterday = sources.first_day(), clock.business_date() - timedelta(days=1)
    if first is None:
        return 0
    day, built = first, 0
    while day <= yesterday:
        rollup.build_day(day)
        day, built = day + timedelta(days=1), built + 1
    return built
