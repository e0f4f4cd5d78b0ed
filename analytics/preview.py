"""A promotion's (or earn rule's) cost before it runs: the draft replayed over the orders of a
past period with the till's own calculation (points.earning.promotions.effects and
earn_rules.calculate). Nothing is written.

Per order: extra = the points the till would credit with the draft active − without it, both
with today's earn rules, promotions (each by its own time window), earn rate and the member's
current tier. The draft's own starts_at/ends_at are ignored (it is replayed over the period);
its stores, weekdays, categories and minimum amount apply. `base_points` is what the orders
really earned (summed in SQL); only the orders the draft could change (its stores, weekdays,
minimum amount: filtered in SQL) are read and replayed, one call of the till's pure functions
each.
"""
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

from sqlalchemy import and_, func, select

from core import clock
from core.db import db
from core.replica import read_on_reports
from analytics.models import CHAIN, MemberSegment
from analytics.sql import business_weekday, fixed_offset
from members.models import Member
from points.earning import earn_rules, promotions
from points.earning.models import Order
from points.programme.settings import get_settings
from stores.models import Store

PROMOTION, EARN_RULE = "promotion", "earn_rule"
UNSCORED = "unscored"
DEFAULT_DAYS = 28
_ALWAYS = (datetime.min.replace(tzinfo=timezone.utc), datetime.max.replace(tzinfo=timezone.utc))


def default_period() -> tuple[date, date]:
    """The last 28 business days, up to yesterday."""
    yesterday = clock.business_date() - timedelta(days=1)
    return yesterday - timedelta(days=DEFAULT_DAYS - 1), yesterday


def draft(kind: str, data: dict):
    """The draft as the till's rules see a saved row."""
    if kind == PROMOTION:
        return SimpleNamespace(**{"id": "draft", "name": "draft", "multiplier_percent": None,
                                  "bonus_points": None, "store_codes": [], "weekdays": [],
                                  "categories": [], "min_amount_fen": 0, **data,
                                  "starts_at": _ALWAYS[0], "ends_at": _ALWAYS[1]})
    return SimpleNamespace(**{"id": "draft", "store_codes": [], **data})


def extra_points(kind, draft_row, order, store_code, tier_code, context) -> int:
    """What the draft adds to one order (≥ 0 for a multiplier or bonus; the till's rule that
    multipliers do not stack can make it 0)."""
    rules, promos, points_per_yuan = context
    lines = earn_rules.order_lines(order["amount_fen"], order["items"] or [])
    multipliers, bonuses = promotions.effects(store_code, order["paid_at"], lines, tier_code,
                                              rules, promos, order["store_id"])
    if kind == PROMOTION:
        weekday = order["paid_at"].astimezone(clock.business_tz()).isoweekday()
        added = promotions.promotion_effect(draft_row, store_code, order["paid_at"], weekday, lines)
        if added is None:
            return 0
        with_m, with_b = ((multipliers + [added], bonuses)
                          if isinstance(added, earn_rules.Multiplier)
                          else (multipliers, bonuses + [added]))
    else:
        if draft_row.store_codes and store_code not in draft_row.store_codes:
            return 0
        with_m, with_b = multipliers + [promotions.rule_multiplier(draft_row)], bonuses
    without = earn_rules.total(earn_rules.calculate(order["amount_fen"], lines, points_per_yuan,
                                                    multipliers, bonuses))
    return earn_rules.total(earn_rules.calculate(order["amount_fen"], lines, points_per_yuan,
                                                 with_m, with_b)) - without


def context():
    """Today's rules, promotions and earn rate (read once per replay)."""
    return (promotions.active_rules(), promotions.active_promotions(),
            get_settings()["earn"]["points_per_yuan"])


def _period(date_from, date_to):
    return and_(Order.paid_at >= clock.start_of_business_day(date_from),
                Order.paid_at <= clock.end_of_business_day(date_to))


def _segment():
    return func.coalesce(MemberSegment.segment, UNSCORED)


def _with_segment(query):
    return (query.join(Member, Member.id == Order.member_id)
            .outerjoin(MemberSegment, and_(MemberSegment.store_id == CHAIN,
                                           MemberSegment.member_id == Order.member_id)))


def _could_change(kind, row, codes, date_from, date_to):
    """SQL conditions leaving out orders the draft cannot change, so they are never read:
    another store, another weekday, under the minimum amount (what the till's
    promotion_effect refuses first; an order's lines add up to its amount)."""
    ids = [store_id for store_id, code in codes.items() if code in (row.store_codes or [])]
    where = [Order.store_id.in_(ids)] if row.store_codes else []
    if kind == PROMOTION:
        offset = fixed_offset(date_from, date_to)
        if row.weekdays and offset is not None:
            where.append(business_weekday(Order.paid_at, offset).in_(row.weekdays))
        if row.min_amount_fen:
            where.append(Order.amount_fen >= row.min_amount_fen)
    return where


def replay(kind: str, data: dict, date_from: date, date_to: date):
    """(order id, member id, store code, segment, extra) per order of the period the draft
    could change (the others gain nothing and are not read)."""
    row, ctx = draft(kind, data), context()
    codes = dict(db.session.execute(select(Store.id, Store.code)).all())
    query = (_with_segment(select(Order.id, Order.member_id, Order.store_id, Order.amount_fen,
                                  Order.items, Order.paid_at, Member.tier_code, _segment()))
             .where(_period(date_from, date_to), *_could_change(kind, row, codes, date_from,
                                                                  date_to))
             .execution_options(yield_per=5000))
    for order_id, member_id, store_id, amount_fen, items, paid_at, tier_code, segment \
            in db.session.execute(query):
        code = codes.get(store_id)
        order = {"store_id": store_id, "amount_fen": amount_fen, "items": items,
                 "paid_at": paid_at}
        yield order_id, member_id, code, segment, extra_points(kind, row, order, code,
                                                                tier_code, ctx)


@read_on_reports
def preview(kind: str, data: dict, date_from: date | None = None,
            date_to: date | None = None) -> dict:
    """The draft's cost over the period (default the last 28 days): see the module doc."""
    if date_from is None or date_to is None:
        date_from, date_to = default_period()
    totals = _bucket()
    by_store, by_segment = defaultdict(_bucket), defaultdict(_bucket)
    codes = dict(db.session.execute(select(Store.id, Store.code)).all())
    replayed = 0
    for store_id, segment, orders, earned in db.session.execute(  # what the orders earned
            _with_segment(select(Order.store_id, _segment(), func.count(),
                                 func.coalesce(func.sum(Order.points_earned), 0)))
            .where(_period(date_from, date_to)).group_by(Order.store_id, _segment())):
        replayed += orders
        for bucket in (totals, by_store[codes.get(store_id)], by_segment[segment]):
            bucket["base_points"] += int(earned)
    for _id, member_id, store_code, segment, extra in replay(kind, data, date_from, date_to):
        if extra:
            for bucket in (totals, by_store[store_code], by_segment[segment]):
                bucket["orders"] += 1
                bucket["members"].add(member_id)
                bucket["extra_points"] += extra
    value = get_settings()["point_value_fen"]
    return {"date_from": date_from, "date_to": date_to, "orders_replayed": replayed,
            **_money(totals, value),
            "by_store": [{"store_code": k, **_money(v, value)}
                         for k, v in sorted(by_store.items())],
            "by_segment": [{"segment": k, **_money(v, value)}
                           for k, v in sorted(by_segment.items())]}


def _bucket():
    return {"orders": 0, "members": set(), "extra_points": 0, "base_points": 0}


def _money(bucket, value):
    return {"orders": bucket["orders"], "members": len(bucket["members"]),
            "extra_points": bucket["extra_points"],
            "extra_value_fen": bucket["extra_points"] * value,
            "base_points": bucket["base_points"]}
