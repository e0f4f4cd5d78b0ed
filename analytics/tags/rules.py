"""A tag's rule: conditions combined with AND (`all`) / OR (`any`), nested, turned into one SQL
predicate on members. Each condition is {"field", "op", "value"} (and `days` where it says):

| field | ops | value |
| --- | --- | --- |
| segment, churn, tier | in | [codes] (segment: the chain's) |
| registration_store, home_store | in | [store codes]; home = most orders in the RFM window |
| favourite_category | in | [categories]: the category of order items the member spent most on
  in the RFM window (orders not wholly refunded; equal top categories all count) |
| balance, spend_fen, orders, checkin_streak, referrals | gte, lte | integer (spend, orders: in
  the RFM window) |
| expiring_points | gte, lte | integer, with `days`: points of lots expiring within them |
| last_order, registered | before, after | YYYY-MM-DD |
| coupon_unused_days | gte | integer N: holds an unused coupon, still valid after the as-of day,
  issued N or more business days before it |
"""
from datetime import date, timedelta

from sqlalchemy import Integer, String, and_, exists, false, func, or_, select, text, true
from sqlalchemy.orm import aliased

from core import clock
from core.db import UTCDateTime, db
from core.errors import ValidationFailed
from analytics import churn as churn_statuses, segments
from analytics.models import CHAIN, MemberChurn, MemberRfmFacts, MemberSegment
from analytics.settings import get_settings
from analytics.sql import window_start
from mall.models import UNUSED, Coupon
from members.models import Member
from points.ledger.models import PointsAccount, PointsLot
from stores.models import Store
from tasks.models import CheckIn

CODES = {"segment": segments.CODES, "churn": churn_statuses.STATUSES}
LIST_FIELDS = ("segment", "churn", "tier", "registration_store", "home_store",
               "favourite_category")
NUMBER_FIELDS = ("balance", "spend_fen", "orders", "checkin_streak", "referrals", "expiring_points",
                 "coupon_unused_days")
DATE_FIELDS = ("last_order", "registered")
OPS = {**{f: ("in",) for f in LIST_FIELDS}, **{f: ("gte", "lte") for f in NUMBER_FIELDS},
       **{f: ("before", "after") for f in DATE_FIELDS}, "coupon_unused_days": ("gte",)}
MAX_DEPTH = 3


def validate_rule(rule, path="rule", depth=0) -> None:
    """422 naming the first bad part of a rule."""
    if not isinstance(rule, dict) or len(rule) != 1 or next(iter(rule)) not in ("all", "any"):
        _bad(path, "A group is {\"all\": [...]} or {\"any\": [...]}.")
    (combine, parts), = rule.items()
    if not isinstance(parts, list) or not parts or depth >= MAX_DEPTH:
        _bad(path, f"A non-empty list, groups nested at most {MAX_DEPTH} deep.")
    for i, part in enumerate(parts):
        where = f"{path}.{combine}[{i}]"
        if isinstance(part, dict) and ("all" in part or "any" in part):
            validate_rule(part, where, depth + 1)
        else:
            _validate_condition(part, where)


def _validate_condition(c, path) -> None:
    if not isinstance(c, dict) or c.get("field") not in OPS or c.get("op") not in OPS[c["field"]]:
        _bad(path, f"field one of {sorted(OPS)}, with its op.")
    value, field = c.get("value"), c["field"]
    if field in LIST_FIELDS:
        ok = isinstance(value, list) and value and all(isinstance(v, str) for v in value) and \
            (field not in CODES or set(value) <= set(CODES[field]))
    elif field in NUMBER_FIELDS:
        ok = type(value) is int and value >= 0 and (
            field != "expiring_points" or (type(c.get("days")) is int and 0 < c["days"] <= 3660))
    else:
        try:
            date.fromisoformat(value)
            ok = isinstance(value, str)
        except (TypeError, ValueError):
            ok = False
    if not ok:
        _bad(path, f"Not a value for {field}.")


def _bad(path, message):
    raise ValidationFailed(details={path: [message]})


def predicate(rule: dict, as_of: date):
    """The rule as a WHERE clause on members."""
    (combine, parts), = rule.items()
    clauses = [predicate(p, as_of) if ("all" in p or "any" in p) else condition(p, as_of)
               for p in parts]
    return and_(true(), *clauses) if combine == "all" else or_(false(), *clauses)


def condition(c: dict, as_of: date):
    field, op, value = c["field"], c["op"], c["value"]
    if field == "segment":
        return _exists(MemberSegment, MemberSegment.store_id == CHAIN,
                       MemberSegment.segment.in_(value))
    if field == "churn":
        return _exists(MemberChurn, MemberChurn.status.in_(value))
    if field == "tier":
        return Member.tier_code.in_(value)
    if field == "registration_store":
        return Member.registered_store_id.in_(select(Store.id).where(Store.code.in_(value)))
    if field == "home_store":
        return _home_store(value)
    if field == "favourite_category":
        return _favourite_category(value, as_of)
    if field == "coupon_unused_days":
        return _coupon_unused(value, as_of)
    if field in DATE_FIELDS:
        return _dated(field, op, date.fromisoformat(value))
    return _compare(_number(field, c, as_of), op, value)


def _exists(model, *where):
    return exists().where(model.member_id == Member.id, *where)


def _compare(expression, op, value):
    return expression >= value if op == "gte" else expression <= value


def _number(field, c, as_of):
    if field == "balance":
        return select(PointsAccount.balance).where(
            PointsAccount.member_id == Member.id).scalar_subquery()
    if field in ("spend_fen", "orders"):
        column = MemberSegment.monetary_fen if field == "spend_fen" else MemberSegment.frequency
        return func.coalesce(select(column).where(MemberSegment.member_id == Member.id,
                                                  MemberSegment.store_id == CHAIN)
                             .scalar_subquery(), 0)
    if field == "checkin_streak":  # the streak of a check-in yesterday or today
        return func.coalesce(select(func.max(CheckIn.streak)).where(
            CheckIn.member_id == Member.id, CheckIn.day >= as_of - timedelta(days=1),
            CheckIn.day <= as_of).scalar_subquery(), 0)
    if field == "referrals":
        invited = aliased(Member)
        return select(func.count()).where(invited.invited_by_id == Member.id).scalar_subquery()
    end = clock.end_of_business_day(as_of)  # expiring_points
    return func.coalesce(select(func.sum(PointsLot.remaining)).where(
        PointsLot.member_id == Member.id, PointsLot.remaining > 0, PointsLot.expires_at > end,
        PointsLot.expires_at <= clock.end_of_business_day(as_of + timedelta(days=c["days"])))
        .scalar_subquery(), 0)


def _dated(field, op, day):
    last_order = select(MemberRfmFacts.last_order_at).where(
        MemberRfmFacts.member_id == Member.id, MemberRfmFacts.store_id == CHAIN).scalar_subquery()
    column = Member.created_at if field == "registered" else last_order
    if op == "before":
        return column < clock.start_of_business_day(day)
    return column > clock.end_of_business_day(day)


def _home_store(codes):
    at_store, best = aliased(MemberSegment), aliased(MemberSegment)
    most = (select(func.max(best.frequency)).where(best.member_id == at_store.member_id,
                                                   best.store_id != CHAIN)
            .correlate(at_store).scalar_subquery())
    return exists().where(at_store.member_id == Member.id, at_store.store_id != CHAIN,
                          at_store.store_id.in_(select(Store.id).where(Store.code.in_(codes))),
                          at_store.frequency > 0, at_store.frequency == most)


def _coupon_unused(days: int, as_of: date):
    """An unused coupon still valid after the as-of day, issued on or before as_of - days."""
    return _exists(Coupon, Coupon.status == UNUSED,
                   Coupon.expires_at > clock.end_of_business_day(as_of),
                   Coupon.created_at <= clock.end_of_business_day(as_of - timedelta(days=days)))


#: (member, category, spend) of the order lines in a window, one row per order line; the
#: items are JSON [{category, amount_fen, ...}] (points.earning.models.Order.items)
_LINES = {
    "mysql": "SELECT o.member_id, o.paid_at, o.amount_fen AS order_fen, o.refunded_fen, "
             "j.category, j.amount_fen FROM orders o, JSON_TABLE(o.items, "
             "'$[*]' COLUMNS (category VARCHAR(32) PATH '$.category', "
             "amount_fen BIGINT PATH '$.amount_fen')) AS j",
    "sqlite": "SELECT o.member_id, o.paid_at, o.amount_fen AS order_fen, o.refunded_fen, "
              "json_extract(j.value, '$.category') AS category, "
              "json_extract(j.value, '$.amount_fen') AS amount_fen FROM orders o, "
              "json_each(o.items) AS j",
}
_LINES["mariadb"] = _LINES["mysql"]


def _favourite_category(categories, as_of: date):
    """Members whose top-spend category (in the RFM window) is one of `categories`: one
    set-based query, not a subquery per member."""
    dialect = db.session.get_bind().dialect.name
    days = get_settings()["rfm"]["window_days"]
    lines = text(_LINES[dialect]).columns(
        member_id=Integer(), paid_at=UTCDateTime(), order_fen=Integer(), refunded_fen=Integer(),
        category=String(), amount_fen=Integer()).subquery()
    spend = (select(lines.c.member_id, lines.c.category,
                    func.sum(lines.c.amount_fen).label("spend"))
             .where(lines.c.category.is_not(None), lines.c.refunded_fen < lines.c.order_fen,
                    lines.c.paid_at >= window_start(as_of, days),
                    lines.c.paid_at <= clock.end_of_business_day(as_of))
             .group_by(lines.c.member_id, lines.c.category).subquery())
    ranked = select(spend, func.max(spend.c.spend).over(partition_by=spend.c.member_id)
                    .label("top")).subquery()  # one pass over the lines, not one per side
    return Member.id.in_(select(ranked.c.member_id).where(ranked.c.spend == ranked.c.top,
                                                          ranked.c.category.in_(categories)))
