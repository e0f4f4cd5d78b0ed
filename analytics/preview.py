"""A promotion's (or earn rule's) cost before it runs: the draft replayed over the orders of a
past period with the till's own calculation (points.earning.promotions.effects and
earn_rules.calculate). Nothing is written.

Per order: extra = the points the till would credit with the draft active − without it, both
with today's earn rules, promotions (each by its own time window), earn rate and the member's
current tier. The draft's own starts_at/ends_at are ignored (it is replayed over the period);
its stores, weekdays, categories and minimum amount apply. `base_points` is what the orders
really earned.
"""
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

from sqlalchemy import and_, select

from core import clock
from core.db import db
from analytics.models import CHAIN, MemberSegment
from members.models import Member
from points.earning import earn_rules, promotions
from points.earning.models import Order
from points.programme.settings import get_settings
from stores.models import Store

PROMOTION, EARN_RULE = "promotion", "earn_rule"
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
                                              rules, promos)
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


def replay(kind: str, data: dict, date_from: date, date_to: date):
    """(order id, member id, store code, segment, points earned, extra) per order of the period."""
    row, ctx = draft(kind, data), context()
    codes = dict(db.session.execute(select(Store.id, Store.code)).all())
    query = (select(Order.id, Order.member_id, Order.store_id, Order.amount_fen, Order.items,
                    Order.paid_at, Order.points_earned, Member.tier_code, MemberSegment.segment)
             .join(Member, Member.id == Order.member_id)
             .outerjoin(MemberSegment, and_(MemberSegment.store_id == CHAIN,
                                            MemberSegment.member_id == Order.member_id))
             .where(Order.paid_at >= clock.start_of_business_day(date_from),
                    Order.paid_at <= clock.end_of_business_day(date_to))
             .execution_options(yield_per=5000))
    for order in db.session.execute(query).mappings():
        code = codes.get(order["store_id"])
        extra = extra_points(kind, row, order, code, order["tier_code"], ctx)
        yield (order["id"], order["member_id"], code, order["segment"] or "unscored",
               order["points_earned"], extra)


def preview(kind: str, data: dict, date_from: date | None = None,
            date_to: date | None = None) -> dict:
    """The draft's cost over the period (default the last 28 days): see the module doc."""
    if date_from is None or date_to is None:
        date_from, date_to = default_period()
    totals = {"orders": 0, "members": set(), "extra_points": 0, "base_points": 0}
    by_store, by_segment = defaultdict(_bucket), defaultdict(_bucket)
    replayed = 0
    orders = replay(kind, data, date_from, date_to)
    for _id, member_id, store_code, segment, earned, extra in orders:
        replayed += 1
        totals["base_points"] += earned
        for bucket in (totals, by_store[store_code], by_segment[segment]):
            if bucket is not totals:
                bucket["base_points"] += earned
            if extra:
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
