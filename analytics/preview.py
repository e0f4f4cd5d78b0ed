"""A promotion's (or earn rule's) cost before it runs: the draft replayed over the orders of a
past period with the till's own calculation (points.earning.promotions.effects_at and
earn_rules.calculate). Nothing is written.

Per order: extra = the points the till would credit with the draft active − without it, both
with today's earn rules, promotions (each by its own time window), earn rate and the member's
current tier. The draft's own starts_at/ends_at are ignored (it is replayed over the period);
its stores, weekdays, categories and minimum amount apply. `base_points` is what the orders
really earned (summed in SQL per store and per member, from ix_orders_paid); only the orders
the draft could change (its stores, weekdays, minimum amount: filtered in SQL, on the entries
of ix_orders_paid when the period is a small part of the history) are read and replayed, one
call of the till's pure functions per distinct order (Till).
"""
import json
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

from sqlalchemy import Text, and_, func, select, type_coerce

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
#: a period spanning under this share of the orders' history is read by ix_orders_paid
NARROW = 0.25
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


class Till:
    """The till's calculation (promotions.effects_at, earn_rules.calculate) for the orders of
    one replay, with what does not depend on the order worked out once: today's rules,
    promotions and earn rate, each store's and tier's standing multipliers, the business time
    zone, and the promotions whose time window meets the period (the till refuses the others
    first).

    Orders alike in all the till reads of them get the same extra points, computed once: the
    store, the member's tier, the amount, the items, and of the moment paid only its business
    weekday and which promotions' time windows hold it (promotion_effect reads nothing else
    of it; the draft's own window is always)."""

    #: the distinct orders remembered at a time (a replay of 1M orders stays in memory)
    MEMO_SIZE = 100_000

    def __init__(self, kind, draft_row, date_from: date, date_to: date):
        rules, promos, self.points_per_yuan = context()
        start, end = clock.start_of_business_day(date_from), clock.end_of_business_day(date_to)
        self.kind, self.draft, self.rules = kind, draft_row, rules
        self.promotions = [p for p in promos if p.starts_at <= end and p.ends_at > start]
        self.tz = clock.business_tz()
        self.rule = promotions.rule_multiplier(draft_row) if kind == EARN_RULE else None
        self._standing, self._memo = {}, {}

    def extra_points(self, store_id, store_code, amount_fen, items: str | None, paid_at,
                     tier_code) -> int:
        """What the draft adds to one order (`items`: its JSON text) — ≥ 0 for a multiplier or
        bonus; the till's rule that multipliers do not stack can make it 0."""
        weekday = paid_at.astimezone(self.tz).isoweekday()
        key = (store_id, tier_code, amount_fen, items, weekday,
               tuple(p.starts_at <= paid_at < p.ends_at for p in self.promotions))
        extra = self._memo.get(key)
        if extra is None:
            if len(self._memo) >= self.MEMO_SIZE:
                self._memo.clear()
            extra = self._memo[key] = self._extra(store_id, store_code, amount_fen,
                                                  _items(items), paid_at,
                                                  weekday, tier_code)
        return extra

    def _extra(self, store_id, store_code, amount_fen, items, paid_at, weekday, tier_code):
        lines = earn_rules.order_lines(amount_fen, items)
        if self.kind == PROMOTION:
            added = promotions.promotion_effect(self.draft, store_code, paid_at, weekday, lines)
            if added is None:
                return 0
        elif self.draft.store_codes and store_code not in self.draft.store_codes:
            return 0
        else:
            added = self.rule
        multipliers, bonuses = promotions.effects_at(
            self._standing_at(store_code, tier_code), store_code, paid_at, weekday, lines,
            self.promotions, store_id)
        with_m, with_b = ((multipliers + [added], bonuses)
                          if isinstance(added, earn_rules.Multiplier)
                          else (multipliers, bonuses + [added]))
        without = earn_rules.total(earn_rules.calculate(amount_fen, lines, self.points_per_yuan,
                                                        multipliers, bonuses))
        return earn_rules.total(earn_rules.calculate(amount_fen, lines, self.points_per_yuan,
                                                     with_m, with_b)) - without

    def _standing_at(self, store_code, tier_code):
        key = (store_code, tier_code)
        if key not in self._standing:
            self._standing[key] = promotions.standing_multipliers(store_code, tier_code,
                                                                  self.rules)
        return self._standing[key]


def _items(text: str | None) -> list:
    return (json.loads(text) if text else None) or []


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
    row = draft(kind, data)
    till = Till(kind, row, date_from, date_to)
    codes = dict(db.session.execute(select(Store.id, Store.code)).all())
    query = (_with_segment(select(Order.id, Order.member_id, Order.store_id, Order.amount_fen,
                                  type_coerce(Order.items, Text), Order.paid_at, Member.tier_code,
                                  _segment()))
             .where(_period(date_from, date_to), *_could_change(kind, row, codes, date_from,
                                                                  date_to))
             .execution_options(yield_per=5000))
    if _narrow(date_from, date_to):
        query = _by_paid_index(query)
    # Core rows straight from the connection: the ORM's row handling was a quarter of the read
    for order_id, member_id, store_id, amount_fen, items, paid_at, tier_code, segment \
            in db.session.connection().execute(query):
        code = codes.get(store_id)
        yield order_id, member_id, code, segment, till.extra_points(store_id, code, amount_fen,
                                                                    items, paid_at, tier_code)


@read_on_reports
def preview(kind: str, data: dict, date_from: date | None = None,
            date_to: date | None = None) -> dict:
    """The draft's cost over the period (default the last 28 days): see the module doc."""
    if date_from is None or date_to is None:
        date_from, date_to = default_period()
    totals = _bucket()
    by_store, by_segment = defaultdict(_bucket), defaultdict(_bucket)
    codes = dict(db.session.execute(select(Store.id, Store.code)).all())
    by_store_id, by_segment_base = _base_points(date_from, date_to)
    replayed = sum(orders for orders, _earned in by_store_id.values())
    for store_id, (_orders, earned) in by_store_id.items():  # what the orders earned
        totals["base_points"] += earned
        by_store[codes.get(store_id)]["base_points"] += earned
    for segment, (_orders, earned) in by_segment_base.items():
        by_segment[segment]["base_points"] += earned
    for (store_code, segment), cell in _extra_by_cell(kind, data, date_from, date_to).items():
        for bucket in (totals, by_store[store_code], by_segment[segment]):
            bucket["orders"] += cell["orders"]
            bucket["members"] |= cell["members"]
            bucket["extra_points"] += cell["extra_points"]
    value = get_settings()["point_value_fen"]
    return {"date_from": date_from, "date_to": date_to, "orders_replayed": replayed,
            **_money(totals, value),
            "by_store": [{"store_code": k, **_money(v, value)}
                         for k, v in sorted(by_store.items())],
            "by_segment": [{"segment": k, **_money(v, value)}
                           for k, v in sorted(by_segment.items())]}


def _base_points(date_from, date_to) -> tuple[dict, dict]:
    """{store id: (orders, points earned)} and {segment: (orders, points earned)} of the
    period's orders: two GROUP BYs, the segments' over each member's sums (a segment looked up
    per member, not per order; no join with members: every order has one)."""
    period = _period(date_from, date_to)
    by_store = _grouped(select(Order.store_id, func.count(), func.sum(Order.points_earned))
                        .where(period).group_by(Order.store_id))
    member = _grouped(select(Order.member_id, func.count().label("orders"),
                             func.sum(Order.points_earned).label("earned"))
                      .where(period).group_by(Order.member_id)).subquery("member")
    segment = _segment()
    by_segment = (select(segment, func.sum(member.c.orders), func.sum(member.c.earned))
                  .select_from(member.outerjoin(MemberSegment, and_(
                      MemberSegment.store_id == CHAIN,
                      MemberSegment.member_id == member.c.member_id)))
                  .group_by(segment))
    return tuple({key: (int(orders), int(earned or 0)) for key, orders, earned in
                  db.session.execute(query)} for query in (by_store, by_segment))


def _narrow(date_from, date_to) -> bool:
    """Whether the period spans under NARROW of the orders' history (from the first order
    to the last: two ends of ix_orders_paid), so reading its orders by ix_orders_paid beats
    scanning the table."""
    first, last = db.session.execute(select(func.min(Order.paid_at),
                                            func.max(Order.paid_at))).one()
    if first is None or last <= first:
        return False
    start = max(clock.start_of_business_day(date_from), first)
    end = min(clock.end_of_business_day(date_to), last)
    return (end - start) < (last - first) * NARROW


def _by_paid_index(query):
    """MariaDB/MySQL: read the period's orders by ix_orders_paid (its range, the weekday and
    stores tested on the index entry, the row looked up only for an order that passes). Left
    to itself MariaDB 10.11 scans the whole table even for a 28-day period of 500 days' orders:
    1M of 10M orders, Wednesdays, 5.3–7.2 s scanning against 3.3–3.7 s by the index; over the
    whole history the scan wins (24 s against 30 s), hence only for a narrow period."""
    hint = "FORCE INDEX (ix_orders_paid)"
    return query.with_hint(Order, hint, "mysql").with_hint(Order, hint, "mariadb")


def _grouped(query):
    """MariaDB/MySQL: group the orders read by sorting them (SQL_BIG_RESULT). Left to itself
    it walks ix_orders_store_created or ix_orders_member_paid in the group's order and looks
    every order's row up: 4 s instead of 0.8 s for 1M orders."""
    return (query.prefix_with("SQL_BIG_RESULT", dialect="mysql")
            .prefix_with("SQL_BIG_RESULT", dialect="mariadb"))


def _extra_by_cell(kind, data, date_from, date_to) -> dict:
    """{(store code, segment): orders, members and extra points} of the orders the draft
    changes: each order counted in its cell; the cells are added to the totals, stores and
    segments after."""
    cells = defaultdict(_bucket)
    for _id, member_id, store_code, segment, extra in replay(kind, data, date_from, date_to):
        if extra:
            cell = cells[store_code, segment]
            cell["orders"] += 1
            cell["members"].add(member_id)
            cell["extra_points"] += extra
    return cells


def _bucket():
    return {"orders": 0, "members": set(), "extra_points": 0, "base_points": 0}


def _money(bucket, value):
    return {"orders": bucket["orders"], "members": len(bucket["members"]),
            "extra_points": bucket["extra_points"],
            "extra_value_fen": bucket["extra_points"] * value,
            "base_points": bucket["base_points"]}
