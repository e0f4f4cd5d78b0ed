"""The dashboard's reads of the source tables: one business day at a time, each an index range
(analytics.dashboard.models declares the indexes). The rollup job stores what these return;
the page computes today with them live. Every heavy read of the dashboard and the reports is
in this module, so it can be pointed at a reports replica (`session()`)."""
from datetime import date, timedelta

from sqlalchemy import (and_, case, distinct, func, literal, literal_column, null, select,
                        text, union_all)

from core import clock
from core.db import db
from mall.models import Redemption
from members.models import Member
from points.earning.models import Order
from points.ledger import kinds
from points.ledger.models import PointsEntry, PointsLot
from tasks.models import CheckIn, Referral
from analytics.dashboard.models import NO_STORE, PosDayTotal
from analytics.sql import business_month

#: credits that issue points (earned or given); reversals and merges move points, not issue them
ISSUING = (*kinds.EARNING, *kinds.UNEARNED_CREDITS)
#: entries a member made happen (earning, spending): who was active that day
ACTIVE = (*kinds.EARNING, *kinds.SPENDING)
#: the per-store figures, in the rollup's column order
FIGURES = ("points_issued", "points_spent", "points_expired", "members_registered",
           "members_active", "orders", "orders_fen", "pos_orders", "checkins", "referrals",
           "redemptions")


def session():
    """The session the dashboard reads with (the primary's today; a reports replica later)."""
    return db.session


def day_bounds(day: date):
    return clock.start_of_business_day(day), clock.start_of_business_day(day + timedelta(days=1))


def day_figures(day: date) -> tuple[dict[int, dict], int]:
    """({store_key: {figure: value}}, the chain's active members) for one business day
    (store_key 0: no store)."""
    rows: dict[int, dict] = {}

    def add(key, **values):
        row = rows.setdefault(NO_STORE if key is None else int(key),
                              {f: (None if f == "pos_orders" else 0) for f in FIGURES})
        row.update({k: int(v or 0) for k, v in values.items()})

    chain_active = 0
    for store, issued, spent, expired, active in _ledger(day):
        if store is None:  # the rollup's total row: the chain's distinct members
            chain_active = int(active)
        else:
            add(store or None, points_issued=issued, points_spent=spent,
                points_expired=expired, members_active=active)
    if not _rolls_up():
        chain_active = members_active(day)
    other_figures(day, add)
    return rows, chain_active


def other_figures(day: date, add) -> None:
    """The day's figures from the tables beside the ledger, each an index range read:
    registrations, orders, the POS's totals, check-ins and referrals, redemptions, in one round
    trip (a UNION of the six reads); `add(store_id, **figures)` takes them."""
    start, end = day_bounds(day)

    def on_day(column):
        return and_(column >= start, column < end)

    def figure(name, store, count, where, fen=null()):
        return select(literal(name), store, count, fen).where(where).group_by(store)

    reads = union_all(
        figure("members_registered", Member.registered_store_id, func.count(),
               on_day(Member.created_at)),
        figure("orders", Order.store_id, func.count(), on_day(Order.created_at),
               func.sum(Order.amount_fen)),
        select(literal("pos_orders"), PosDayTotal.store_id, PosDayTotal.orders, null())
        .where(PosDayTotal.day == day),
        select(literal("checkins"), null(), func.count(), null()).where(CheckIn.day == day),
        select(literal("referrals"), null(), func.count(), null())
        .where(on_day(Referral.created_at)),
        figure("redemptions", Redemption.store_id, func.count(), on_day(Redemption.created_at)))
    for name, store, count, fen in session().execute(reads):
        add(store, **({name: count, "orders_fen": fen} if name == "orders" else {name: count}))


def chain_figures(stores: dict[int, dict], chain_active: int) -> dict:
    """The chain's figures for a day from its stores' (active members: `chain_active`)."""
    figures = {f: sum(row[f] for row in stores.values())
               for f in FIGURES if f not in ("pos_orders", "members_active")}
    reported = [row["pos_orders"] for row in stores.values() if row["pos_orders"] is not None]
    return {**figures, "pos_orders": sum(reported) if reported else None,
            "members_active": chain_active}


def _rolls_up() -> bool:
    """MariaDB/MySQL: one pass gives the stores' figures and the chain's distinct members."""
    return session().get_bind().dialect.name in ("mysql", "mariadb")


def _ledger(day: date):
    """(store id or 0, issued, spent, expired, distinct active members) per store; on MariaDB
    also the total row (store None) WITH ROLLUP."""
    start, end = day_bounds(day)
    issued = case((PointsEntry.kind.in_(ISSUING) & (PointsEntry.delta > 0), PointsEntry.delta),
                  else_=0)
    spent = case((PointsEntry.kind.in_(kinds.SPENDING), -PointsEntry.delta), else_=0)
    expired = case((PointsEntry.kind == "expire", -PointsEntry.delta), else_=0)
    active = case((PointsEntry.kind.in_(ACTIVE), PointsEntry.member_id))
    key = literal_column(f"coalesce(points_entries.store_id, {NO_STORE})")  # the same text
    query = (select(key, func.sum(issued), func.sum(spent), func.sum(expired),  # in both places
                    func.count(distinct(active)))
             .where(PointsEntry.created_at >= start, PointsEntry.created_at < end))
    if _rolls_up():
        query = query.group_by(text(f"{key} WITH ROLLUP"))
    else:
        query = query.group_by(key)
    return session().execute(query).all()


def members_active(day: date, store_id: int | None = None) -> int:
    """Distinct members active on a day, chain-wide (or at one store)."""
    start, end = day_bounds(day)
    query = (select(func.count(distinct(PointsEntry.member_id)))
             .where(PointsEntry.created_at >= start, PointsEntry.created_at < end,
                    PointsEntry.kind.in_(ACTIVE)))
    if store_id is not None:
        query = query.where(PointsEntry.store_id == store_id)
    return int(session().scalar(query) or 0)


def product_day_figures(day: date) -> list[dict]:
    """Redemptions by product and store on one business day."""
    start, end = day_bounds(day)
    return [{"store_key": NO_STORE if store is None else store, "product_id": product,
             "title": title, "quantity": int(quantity), "points": int(points)}
            for store, product, title, quantity, points in session().execute(
                select(Redemption.store_id, Redemption.product_id, func.max(Redemption.title),
                       func.sum(Redemption.quantity), func.sum(Redemption.points))
                .where(Redemption.created_at >= start, Redemption.created_at < end)
                .group_by(Redemption.store_id, Redemption.product_id))]


def first_day() -> date | None:
    """The business day of the ledger's first entry (where a first rollup starts)."""
    first = session().scalar(select(func.min(PointsEntry.created_at)))
    return clock.business_date(first) if first else None


def expiring_by_month(months: int) -> list[dict]:
    """[{store_id, month, points}]: points of live lots that expire from now to the end of the
    business month `months` − 1 after this one (this month and the next two, for 3), by
    issuing store and month: a range of the lots' expiry index, not the whole table."""
    today = clock.business_date()
    last = today.replace(day=1)
    for _ in range(months - 1):
        last = _next_month(last)
    month = business_month(PointsLot.expires_at, today)
    query = (select(PointsLot.store_id, month, func.sum(PointsLot.remaining))
             .where(PointsLot.expires_at > clock.now(),
                    PointsLot.expires_at < clock.start_of_business_day(_next_month(last)),
                    PointsLot.remaining > 0)
             .group_by(PointsLot.store_id, month))
    return [{"store_id": store, "month": m, "points": int(p)}
            for store, m, p in session().execute(query)]


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)
