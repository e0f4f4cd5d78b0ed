"""What the dashboard shows for a date range (and optionally one store): the rollup's days,
today's figures computed live, redemptions by product, the liability and what expires soon.
Reads the rollup (a few rows per day and store) and today's source rows, never the ledger's
history."""
import json
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from core import clock
from core.replica import reports_read
from core.redis import get_redis, rkey
from analytics import liability as liabilities
from analytics.dashboard import sources
from analytics.dashboard.models import DashboardDay, DashboardProductDay, DashboardStoreDay

#: figures that add up over stores and days
SUMS = ("points_issued", "points_spent", "points_expired", "members_registered", "orders",
        "orders_fen", "checkins", "referrals", "redemptions")
#: figures that only exist chain-wide (no store): not shown for one store
CHAIN_ONLY = ("checkins", "referrals")
LIABILITY_SECONDS = 600
#: how long today's live figures are shared by every viewer (one read of today's rows each)
LIVE_SECONDS = 30
EXPIRING_MONTHS = 3


def dashboard(date_from: date, date_to: date, store_id: int | None = None) -> dict:
    """{days[{date, …figures}], totals{…}, products[{title, quantity, points}],
    missing_days (not rolled up yet), live_today, freshness} — read from the reports replica
    when one is set, and labelled with how fresh it is (core.replica)."""
    with reports_read() as freshness:  # the reports replica when one is set
        report = _dashboard(date_from, date_to, store_id)
    return {**report, "freshness": freshness.as_dict()}


def _dashboard(date_from: date, date_to: date, store_id: int | None) -> dict:
    today = clock.business_date()
    rolled = _rolled_days(date_from, min(date_to, today - timedelta(days=1)), store_id)
    live_today = date_from <= today <= date_to
    if live_today:
        rolled[today] = _live_day(today, store_id)
    days = [{"date": day, **rolled.get(day, _empty())} for day in _range(date_from, date_to)
            if day <= today]
    history_from = _first_built_day()  # days before the rollup's first are before the ledger's
    missing = [d["date"] for d in days if d.pop("missing", False)
               and (history_from is None or d["date"] > history_from)]
    return {"date_from": date_from, "date_to": date_to, "days": days, "totals": _totals(days),
            "products": _products(date_from, date_to, store_id, live_today),
            "missing_days": missing, "live_today": live_today, "store_id": store_id}


def _first_built_day():
    return sources.session().scalar(select(func.min(DashboardDay.day)))


def _range(date_from, date_to):
    return [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]


def _empty() -> dict:
    return {**{f: 0 for f in SUMS}, "members_active": 0, "pos_orders": None, "missing": True}


def _rolled_days(date_from, date_to, store_id) -> dict:
    """{day: figures} of the built days: the chain's rows (one a day), or one store's."""
    session, columns = sources.session(), (*SUMS, "members_active", "pos_orders")
    model = DashboardDay if store_id is None else DashboardStoreDay
    query = (select(model.day, *(getattr(model, c) for c in columns))
             .where(model.day >= date_from, model.day <= date_to))
    if store_id is not None:
        query = query.where(DashboardStoreDay.store_key == store_id)
    rows = {day: dict(zip(columns, values)) for day, *values in session.execute(query)}
    if store_id is not None:  # a built day the store had nothing on
        for day in session.scalars(select(DashboardDay.day).where(
                DashboardDay.day >= date_from, DashboardDay.day <= date_to)):
            rows.setdefault(day, {**{f: 0 for f in SUMS}, "members_active": 0,
                                  "pos_orders": None})
    return rows


def _today(day: date) -> dict:
    """Today's figures from today's rows, shared by every viewer for LIVE_SECONDS: {stores:
    {store_key: figures}, chain_active, products}."""
    key = rkey("dashboard", "today", day.isoformat())
    if raw := get_redis().get(key):
        kept = json.loads(raw)
        kept["stores"] = {int(k): v for k, v in kept["stores"].items()}
        return kept
    stores, chain_active = sources.day_figures(day)
    kept = {"stores": stores, "chain_active": chain_active,
            "products": sources.product_day_figures(day)}
    get_redis().set(key, json.dumps(kept), ex=LIVE_SECONDS)
    return kept


def _live_day(day: date, store_id) -> dict:
    today = _today(day)
    stores, chain_active = today["stores"], today["chain_active"]
    if store_id is None:
        return sources.chain_figures(stores, chain_active)
    return stores.get(store_id) or {**{f: 0 for f in SUMS}, "members_active": 0,
                                    "pos_orders": None}


def _totals(days: list[dict]) -> dict:
    totals = {f: sum(d[f] for d in days) for f in SUMS}
    counted = [d for d in days if d["pos_orders"] is not None]
    pos_orders = sum(d["pos_orders"] for d in counted)
    member_orders = sum(d["orders"] for d in counted)
    totals["pos_orders"] = pos_orders if counted else None
    #: share of the orders the POS counted that had a member, over the days a POS reported
    totals["member_order_share"] = (Decimal(member_orders) / pos_orders).quantize(
        Decimal("0.0001")) if pos_orders else None
    totals["members_active_avg"] = (round(sum(d["members_active"] for d in days) / len(days))
                                    if days else 0)
    totals["members_active_peak"] = max((d["members_active"] for d in days), default=0)
    return totals


def _products(date_from, date_to, store_id, live_today) -> list[dict]:
    query = (select(DashboardProductDay.product_id, func.max(DashboardProductDay.title),
                    func.sum(DashboardProductDay.quantity), func.sum(DashboardProductDay.points))
             .where(DashboardProductDay.day >= date_from, DashboardProductDay.day <= date_to)
             .group_by(DashboardProductDay.product_id))
    if store_id is not None:
        query = query.where(DashboardProductDay.store_key == store_id)
    merged = {pid: {"title": t, "quantity": int(q), "points": int(p)}
              for pid, t, q, p in sources.session().execute(query)}
    if live_today:
        for row in _today(clock.business_date())["products"]:
            if store_id is None or row["store_key"] == store_id:
                item = merged.setdefault(row["product_id"], {"title": row["title"], "quantity": 0,
                                                             "points": 0})
                item["quantity"] += row["quantity"]
                item["points"] += row["points"]
    return sorted(merged.values(), key=lambda p: (-p["quantity"], p["title"]))


def liability(store_id: int | None = None, store_code: str | None = None) -> dict:
    """The points outstanding and their value (chain, or issued by one store: analytics'
    liability report) and what expires in the next EXPIRING_MONTHS months, as of today; kept
    for LIABILITY_SECONDS (both read every live lot or a quarter of them)."""
    report = _cached_liability()
    if store_id is not None:
        row = next((r for r in report["by_store"] if r["store_code"] == store_code),
                   {"points": 0, "value_fen": 0})
        outstanding, value = row["points"], row["value_fen"]
    else:
        outstanding, value = report["points_outstanding"], report["value_fen"]
    months: dict[str, int] = {}
    for row in report["expiring"]:
        if store_id is None or row["store_id"] == store_id:
            months[row["month"]] = months.get(row["month"], 0) + row["points"]
    return {"as_of": report["as_of"], "points_outstanding": outstanding, "value_fen": value,
            "expiring": [{"month": m, "points": p} for m, p in sorted(months.items())]}


def _cached_liability() -> dict:
    as_of = clock.business_date()
    key = rkey("dashboard", "liability", as_of.isoformat())
    if raw := get_redis().get(key):
        return json.loads(raw)
    return remember_liability(as_of)


def remember_liability(as_of: date) -> dict:
    """Work out today's liability and expiring points, and keep them for LIABILITY_SECONDS."""
    report = liabilities.liability(as_of)
    kept = {"as_of": as_of.isoformat(), "points_outstanding": report["points_outstanding"],
            "value_fen": report["value_fen"], "by_store": report["by_store"],
            "expiring": sources.expiring_by_month(EXPIRING_MONTHS)}
    get_redis().set(rkey("dashboard", "liability", as_of.isoformat()), json.dumps(kept),
                    ex=LIABILITY_SECONDS)
    return kept
