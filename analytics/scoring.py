"""RFM scoring, set-based: each step is one or two INSERT … SELECT statements.

1. `aggregate_chunk`: the orders up to the as-of date, by id range (the table read in its own
   order, as a full scan would), merged into each member's facts at each store; then
   `chain_facts`: the chain's facts from the stores' → analytics_member_rfm_facts.
2. `score_scope`: the chain, then every store at once: each scope's cut points from the
   count distribution of each dimension's values (a window over distinct values, not a sort
   of every member), then scores and segments → analytics_member_segments, and the month's
   history.

QUINTILES THAT HANDLE TIES: a member's score is 1 + ⌊5 × (members strictly worse) / members⌋,
where "strictly worse" counts the members with a worse value. Equal values so get equal
scores, the scores never go down as the value goes up, and an empty bin is just a score nobody
has. When 80% bought once, those 80% all score F 1 and the next value scores 1 + ⌊5 × 0.8⌋ = 5.
The worst value always scores 1 (a lone member, too: nobody is worse than them).
"""
from datetime import date, timedelta

from sqlalchemy import and_, case, delete, func, insert, literal, not_, select
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

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


FACT_COLUMNS = ("store_id", "member_id", "first_order_at", "last_order_at", "frequency",
                "monetary_fen")


def clear_facts() -> None:
    """A new run starts from no facts."""
    db.session.execute(delete(_facts))


def aggregate_chunk(as_of: date, window_days: int, first_id: int, last_id: int) -> None:
    """Add the orders first_id ≤ id ≤ last_id (paid by the as-of date) to each member's facts
    at their store: the orders table is read in its primary key's order, a range at a time, and
    merged into what earlier chunks found (an upsert: min/max of the dates, sums)."""
    o = Order.__table__
    in_window = o.c.paid_at >= window_start(as_of, window_days)
    kept = and_(in_window, o.c.refunded_fen < o.c.amount_fen)
    rows = (select(o.c.store_id, o.c.member_id, func.min(o.c.paid_at), func.max(o.c.paid_at),
                   func.coalesce(func.sum(case((kept, 1), else_=0)), 0),
                   func.coalesce(func.sum(case((in_window, o.c.amount_fen - o.c.refunded_fen),
                                               else_=0)), 0))
            .where(o.c.id.between(first_id, last_id),
                   o.c.paid_at <= clock.end_of_business_day(as_of))
            .group_by(o.c.store_id, o.c.member_id))
    db.session.execute(merge_facts(rows))


def merge_facts(rows):
    """INSERT … SELECT that adds to a member's facts where they exist (MariaDB, SQLite)."""
    dialect = db.session.get_bind().dialect.name
    if dialect in ("mysql", "mariadb"):
        stmt = mysql_insert(_facts).from_select(FACT_COLUMNS, rows)
        new = stmt.inserted
        return stmt.on_duplicate_key_update(
            first_order_at=func.least(_facts.c.first_order_at, new.first_order_at),
            last_order_at=func.greatest(_facts.c.last_order_at, new.last_order_at),
            frequency=_facts.c.frequency + new.frequency,
            monetary_fen=_facts.c.monetary_fen + new.monetary_fen)
    stmt = sqlite_insert(_facts).from_select(FACT_COLUMNS, rows)
    new = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=["store_id", "member_id"],
        set_={"first_order_at": func.min(_facts.c.first_order_at, new.first_order_at),
              "last_order_at": func.max(_facts.c.last_order_at, new.last_order_at),
              "frequency": _facts.c.frequency + new.frequency,
              "monetary_fen": _facts.c.monetary_fen + new.monetary_fen})


def chain_facts() -> None:
    """Each member's chain facts from their facts at every store (one statement)."""
    f = _facts
    db.session.execute(delete(f).where(f.c.store_id == CHAIN))
    db.session.execute(insert(f).from_select(FACT_COLUMNS, select(
        literal(CHAIN), f.c.member_id, func.min(f.c.first_order_at), func.max(f.c.last_order_at),
        func.sum(f.c.frequency), func.sum(f.c.monetary_fen))
        .where(f.c.store_id != CHAIN).group_by(f.c.member_id)))


def score_scope(store_id: int | None, as_of: date, rfm: dict) -> None:
    """Score the chain (store_id 0) or every store at once, replacing the last scores, and
    record the month's history. The chain also lists the members who never bought (未消费)."""
    in_scope = _in_scope(_segments, store_id)
    db.session.execute(delete(_segments).where(in_scope))
    f = _facts
    recency = business_days_since(f.c.last_order_at, as_of)
    values = {"r": recency, "f": f.c.frequency, "m": f.c.monetary_fen}
    scores, joins = {}, []
    for dimension, value in values.items():
        cuts = _cuts(store_id, value, rfm["thresholds"][dimension], dimension == "r")
        if not isinstance(cuts, list):
            joins.append(cuts)
        scores[dimension] = _score(cuts, value, lower_is_better=dimension == "r")
    scored = select(f.c.store_id, f.c.member_id, recency.label("recency_days"), f.c.frequency,
                    f.c.monetary_fen,
                    (f.c.first_order_at >= window_start(as_of, rfm["new_member_days"]))
                    .label("is_new"), *(score.label(d) for d, score in scores.items()))
    for cuts in joins:  # a row per scope: every member of the scope reads its cut points
        scored = scored.outerjoin(cuts, cuts.c.store_id == f.c.store_id)
    scored = scored.where(_in_scope(f, store_id)).subquery("scored")
    rows = select(scored.c.store_id, scored.c.member_id, scored.c.recency_days,
                  scored.c.frequency, scored.c.monetary_fen, scored.c.r, scored.c.f, scored.c.m,
                  _segment(scored), literal(as_of))
    names = ("store_id", "member_id", "recency_days", "frequency", "monetary_fen", "r", "f", "m",
             "segment", "as_of")
    db.session.execute(insert(_segments).from_select(names, rows))
    if store_id == CHAIN:
        _never_bought(as_of)
    _record_history(store_id, as_of)


def _in_scope(table, store_id):
    return table.c.store_id != CHAIN if store_id is None else table.c.store_id == store_id


def _cuts(store_id, value, fixed, lower_is_better):
    """Per scope, the least good value that reaches each score 2..5 — from the scope's count
    distribution of values (one row per distinct value), not a sort of every member: a value's
    score is 1 + ⌊5 × (members strictly worse) / members⌋ and never falls as the value gets
    better, so "score ≥ k" is "at least as good as the worst value scoring k". Fixed cut points
    (settings) are literals instead."""
    if fixed is not None:
        return list(fixed)
    f = _facts
    dist = (select(f.c.store_id, value.label("v"), func.count().label("c"))
            .where(_in_scope(f, store_id)).group_by(f.c.store_id, value).subquery("dist"))
    order = dist.c.v.desc() if lower_is_better else dist.c.v
    at_most = func.sum(dist.c.c).over(partition_by=dist.c.store_id, order_by=order)
    members = func.sum(dist.c.c).over(partition_by=dist.c.store_id)
    scored = select(dist.c.store_id, dist.c.v,
                    (1 + (QUINTILES * (at_most - dist.c.c)) // members).label("s")).subquery()
    worst = func.max if lower_is_better else func.min
    return (select(scored.c.store_id,
                   *(worst(case((scored.c.s >= k, scored.c.v))).label(f"c{k}")
                     for k in range(2, QUINTILES + 1)))
            .group_by(scored.c.store_id).subquery())


def _score(cuts, value, *, lower_is_better=False):
    """1 + the cut points the value reaches (a cut nobody reaches is null: not reached)."""
    if not isinstance(cuts, list):
        cuts = [cuts.c[f"c{k}"] for k in range(2, QUINTILES + 1)]
    return 1 + sum(case((value <= cut if lower_is_better else value >= cut, 1), else_=0)
                   for cut in cuts)


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
    """The month's segments: written by the run as of the month's last day, or by the first
    run of a month that has none yet (a run on any other day leaves the month as it is). A
    rewrite touches only the members whose segment changed (most have not): deleting and
    inserting every store's rows again was most of a month-end night."""
    month = as_of.strftime("%Y-%m")
    month_end = (as_of + timedelta(days=1)).day == 1
    h, s = _history, _segments
    in_month = and_(_in_scope(h, store_id), h.c.month == month)
    if not month_end and db.session.scalar(select(h.c.member_id).where(in_month).limit(1)) \
            is not None:
        return
    db.session.execute(delete(h).where(in_month, ~select(s.c.member_id).where(
        s.c.store_id == h.c.store_id, s.c.member_id == h.c.member_id,
        s.c.segment == h.c.segment).exists()))
    db.session.execute(insert(h).prefix_with("IGNORE", dialect="mysql")
                       .prefix_with("IGNORE", dialect="mariadb")
                       .prefix_with("OR IGNORE", dialect="sqlite").from_select(
        ("store_id", "month", "member_id", "segment"),  # those kept above are skipped
        select(s.c.store_id, literal(month), s.c.member_id, s.c.segment)
        .where(_in_scope(s, store_id))))
