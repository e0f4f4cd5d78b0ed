"""RFM scoring, set-based: each step is one or two INSERT … SELECT statements.

1. `aggregate_chunk`: every member's orders up to the as-of date (members by id range), in the
   chain and at each store → analytics_member_rfm_facts.
2. `score_scope`: one scope (the chain, or a store) at a time: ranks by window functions,
   scores, segments → analytics_member_segments, and the month's history.

QUINTILES THAT HANDLE TIES: a member's score is 1 + ⌊5 × (members strictly worse) / members⌋,
where "strictly worse" is RANK() − 1 (equal values share a rank). Equal values so get equal
scores, the scores never go down as the value goes up, and an empty bin is just a score nobody
has. When 80% bought once, those 80% all score F 1 and the next value scores 1 + ⌊5 × 0.8⌋ = 5.
The worst value always scores 1 (a lone member, too: nobody is worse than them).
"""
from datetime import date

from sqlalchemy import and_, case, delete, func, insert, literal, not_, select

from core import clock
from core.db import db
from analytics import segments
from analytics.models import CHAIN, MemberRfmFacts, MemberSegment, SegmentHistory
from analytics.sql import business_days_since, window_start
from members.models import STATUS_ACTIVE, Member
from points.earning.models import Order

QUINTILES = 5
_facts, _segments, _history = (MemberRfmFacts.__table__, MemberSegment.__table__,
                               SegmentHistory.__table__)


def aggregate_chunk(as_of: date, window_days: int, first_id: int, last_id: int) -> None:
    """Facts of the members with first_id ≤ id ≤ last_id, replacing what was there."""
    db.session.execute(delete(_facts).where(_facts.c.member_id.between(first_id, last_id)))
    o = Order.__table__
    in_window = o.c.paid_at >= window_start(as_of, window_days)
    kept = and_(in_window, o.c.refunded_fen < o.c.amount_fen)
    columns = (func.min(o.c.paid_at), func.max(o.c.paid_at),
               func.coalesce(func.sum(case((kept, 1), else_=0)), 0),
               func.coalesce(func.sum(case((in_window, o.c.amount_fen - o.c.refunded_fen),
                                           else_=0)), 0))
    names = ("store_id", "member_id", "first_order_at", "last_order_at", "frequency",
             "monetary_fen")
    where = and_(o.c.member_id.between(first_id, last_id),
                 o.c.paid_at <= clock.end_of_business_day(as_of))
    chain = select(literal(CHAIN), o.c.member_id, *columns).where(where).group_by(o.c.member_id)
    stores = (select(o.c.store_id, o.c.member_id, *columns).where(where)
              .group_by(o.c.member_id, o.c.store_id))
    db.session.execute(insert(_facts).from_select(names, chain))
    db.session.execute(insert(_facts).from_select(names, stores))


def score_scope(store_id: int, as_of: date, rfm: dict) -> int:
    """Score one scope's members (replacing its last scores) and record the month's history.
    The chain also lists the members who never bought (未消费). Returns the members scored."""
    db.session.execute(delete(_segments).where(_segments.c.store_id == store_id))
    ranked = _ranked(store_id, as_of, rfm["new_member_days"]).subquery("ranked")
    thresholds = rfm["thresholds"]
    scored = select(
        ranked.c.member_id, ranked.c.recency_days, ranked.c.frequency, ranked.c.monetary_fen,
        ranked.c.is_new,
        _score(ranked, "r", thresholds["r"], ranked.c.recency_days, lower_is_better=True).label("r"),
        _score(ranked, "f", thresholds["f"], ranked.c.frequency).label("f"),
        _score(ranked, "m", thresholds["m"], ranked.c.monetary_fen).label("m"),
    ).subquery("scored")
    rows = select(literal(store_id), scored.c.member_id, scored.c.recency_days,
                  scored.c.frequency, scored.c.monetary_fen, scored.c.r, scored.c.f, scored.c.m,
                  _segment(scored), literal(as_of))
    names = ("store_id", "member_id", "recency_days", "frequency", "monetary_fen", "r", "f", "m",
             "segment", "as_of")
    db.session.execute(insert(_segments).from_select(names, rows))
    if store_id == CHAIN:
        _never_bought(as_of)
    _record_history(store_id, as_of)
    return db.session.scalar(select(func.count()).select_from(_segments)
                             .where(_segments.c.store_id == store_id))


def _ranked(store_id, as_of, new_days):
    f = _facts
    recency = business_days_since(f.c.last_order_at, as_of)
    return select(
        f.c.member_id, recency.label("recency_days"), f.c.frequency, f.c.monetary_fen,
        (f.c.first_order_at >= window_start(as_of, new_days)).label("is_new"),
        func.rank().over(order_by=recency.desc()).label("r_rank"),
        func.rank().over(order_by=f.c.frequency).label("f_rank"),
        func.rank().over(order_by=f.c.monetary_fen).label("m_rank"),
        func.count().over().label("n"),
    ).where(f.c.store_id == store_id)


def _score(ranked, dimension, cuts, value, *, lower_is_better=False):
    if cuts is None:  # quintiles of the scope's members, ties sharing a score (module doc)
        rank = getattr(ranked.c, f"{dimension}_rank")
        return 1 + (QUINTILES * (rank - 1)) // ranked.c.n
    if lower_is_better:
        return 1 + sum(case((value <= cut, 1), else_=0) for cut in cuts)
    return 1 + sum(case((value >= cut, 1), else_=0) for cut in cuts)


def _segment(scored):
    highs = {d: getattr(scored.c, d) >= segments.HIGH_SCORE for d in "rfm"}
    whens = [(scored.c.is_new == literal(True), segments.NEW)]
    for segment in segments.SEGMENTS:
        if segment.highs is not None:
            whens.append((and_(*(highs[d] if high else not_(highs[d])
                                 for d, high in zip("rfm", segment.highs))), segment.code))
    return case(*whens)


def _never_bought(as_of):
    m = Member.__table__
    rows = (select(literal(CHAIN), m.c.id, literal(None), literal(0), literal(0), literal(None),
                   literal(None), literal(None), literal(segments.NO_PURCHASE), literal(as_of))
            .where(m.c.status == STATUS_ACTIVE, m.c.created_at <= clock.end_of_business_day(as_of),
                   ~select(_facts.c.member_id).where(_facts.c.store_id == CHAIN,
                                                     _facts.c.member_id == m.c.id).exists()))
    db.session.execute(insert(_segments).from_select(
        ("store_id", "member_id", "recency_days", "frequency", "monetary_fen", "r", "f", "m",
         "segment", "as_of"), rows))


def _record_history(store_id, as_of):
    month = as_of.strftime("%Y-%m")
    db.session.execute(delete(_history).where(_history.c.store_id == store_id,
                                              _history.c.month == month))
    db.session.execute(insert(_history).from_select(
        ("store_id", "month", "member_id", "segment"),
        select(_segments.c.store_id, literal(month), _segments.c.member_id, _segments.c.segment)
        .where(_segments.c.store_id == store_id)))
