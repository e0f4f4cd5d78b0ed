"""The ledger's invariants across accounts, which no single account's sums can show (points on
the wrong member, points counted twice). Set-based, for one chunk of accounts at a time:

4. a merged account holds nothing — balance 0, lifetime_earned 0, no monthly earnings — and has
   no entry after its merge_out (its points, and every later change to them, are on the member
   it joined: an order's net points sit on the account its member resolves to);
5. a credit is never taken back beyond what was left of it: its reversals plus what had expired
   (by expiry or forfeiture) of it before the last of them ≤ credited, counting the lots that
   descend from its own (moved by a merge, returned after one);
6. an account's lifetime_earned and its monthly tier earnings both equal what the journal
   says was earned — earning credits, less reversals of them and clawbacks — by the member and
   by every member merged into it;
7. a member's tier is at least the one their trailing 12 months' earnings reach (tiers rise at
   once; a higher tier waits for the monthly review to come down: the documented grace);
8. funding follows the points: a lot a merge moved or a return made has the funder of the lot
   it came from.
"""
from sqlalchemy import Integer, and_, case, cast, func, literal, select
from sqlalchemy.orm import aliased

from core import clock
from core.db import db
from members.models import STATUS_MERGED, Member
from points.ledger import kinds
from points.ledger.models import PointsAccount, PointsAllocation, PointsEntry, PointsLot
from points.programme import tiers
from points.programme.models import EarnedMonth


def check_across(ids: list[int], accounts: dict[int, PointsAccount]) -> list[dict]:
    merged = set(db.session.scalars(select(PointsEntry.member_id).distinct().where(
        PointsEntry.member_id.in_(ids), PointsEntry.kind == "merge_out")))
    merged |= set(db.session.scalars(select(Member.id).where(Member.id.in_(ids),
                                                             Member.status == STATUS_MERGED)))
    return (_merged_hold_nothing(merged, accounts) + _over_reversed(ids)
            + _earnings(ids, merged, accounts) + _tiers_reached(ids, merged)
            + _funder_changed(ids))


def _funder_changed(ids) -> list[dict]:
    origin = aliased(PointsLot)
    rows = db.session.execute(
        select(PointsLot.member_id, PointsLot.id, PointsLot.funder_store_id, origin.funder_store_id)
        .join(origin, origin.id == PointsLot.origin_lot_id)
        .where(PointsLot.member_id.in_(ids),
               PointsLot.funder_store_id.is_distinct_from(origin.funder_store_id))).all()
    return [_problem(m, "a lot keeps the funder of the lot it came from", funder, expected,
                     lot_id=lot_id) for m, lot_id, funder, expected in rows]


def _problem(member_id, invariant, found, expected, **more):
    return {"member_id": member_id, "invariant": invariant, "found": found,
            "expected": expected, **more}


def _merged_hold_nothing(merged, accounts) -> list[dict]:
    if not merged:
        return []
    problems = [_problem(m, "a merged account holds nothing", a.balance, 0,
                         lifetime_earned=a.lifetime_earned)
                for m in merged if (a := accounts.get(m)) and (a.balance or a.lifetime_earned)]
    months = select(EarnedMonth.member_id, func.sum(func.abs(EarnedMonth.points))).where(
        EarnedMonth.member_id.in_(list(merged))).group_by(EarnedMonth.member_id)
    problems += [_problem(m, "a merged account has no monthly earnings", int(points), 0)
                 for m, points in db.session.execute(months) if points]
    out = (select(PointsEntry.member_id, func.max(PointsEntry.id).label("out_id"))
           .where(PointsEntry.member_id.in_(list(merged)), PointsEntry.kind == "merge_out")
           .group_by(PointsEntry.member_id).subquery())
    later = (select(PointsEntry.member_id, func.count())
             .join(out, and_(out.c.member_id == PointsEntry.member_id, PointsEntry.id > out.c.out_id))
             .group_by(PointsEntry.member_id))
    problems += [_problem(m, "no entry after a merge_out", n, 0)
                 for m, n in db.session.execute(later)]
    return problems


def _over_reversed(ids) -> list[dict]:
    credit, rev = aliased(PointsEntry), aliased(PointsEntry)
    rows = db.session.execute(
        select(credit.member_id, credit.id, credit.delta, -func.sum(rev.delta), func.max(rev.id))
        .join(rev, and_(rev.ref_type == "entry", rev.ref_id == cast(credit.id, _ref_type()),
                        rev.kind == "reverse"))
        .where(credit.member_id.in_(ids), credit.delta > 0)
        .group_by(credit.member_id, credit.id, credit.delta)).all()
    if not rows:
        return []
    expired = _expired_by_credit({r[1]: r[4] for r in rows})
    return [_problem(m, "reversed + expired ≤ credited", int(reversed_) + expired.get(e, 0), delta,
                     entry_id=e, reversed=int(reversed_), expired=expired.get(e, 0))
            for m, e, delta, reversed_, _last in rows if int(reversed_) + expired.get(e, 0) > delta]


def _ref_type():
    return PointsEntry.__table__.c.ref_id.type


def _expired_by_credit(last_reversal: dict[int, int]) -> dict[int, int]:
    """credit entry id → points expired from its lot and the lots descending from it before its
    last reversal (`last_reversal`: credit id → that reversal's entry id)."""
    root = dict(db.session.execute(select(PointsLot.id, PointsLot.entry_id).where(
        PointsLot.entry_id.in_(list(last_reversal)), PointsLot.origin_lot_id.is_(None))).all())
    frontier = list(root)
    for _ in range(5):  # merges do not chain far
        children = db.session.execute(select(PointsLot.id, PointsLot.origin_lot_id)
                                      .where(PointsLot.origin_lot_id.in_(frontier))).all()
        root.update({child: root[parent] for child, parent in children})
        frontier = [child for child, _ in children]
        if not frontier:
            break
    expired = db.session.execute(
        select(PointsAllocation.lot_id, PointsEntry.id, PointsAllocation.amount)
        .join(PointsEntry, PointsEntry.id == PointsAllocation.entry_id)
        .where(PointsAllocation.lot_id.in_(list(root)), PointsEntry.kind.in_(kinds.GONE))).all()
    totals: dict[int, int] = {}
    for lot_id, expire_id, points in expired:
        credit_id = root[lot_id]
        if expire_id < last_reversal[credit_id]:
            totals[credit_id] = totals.get(credit_id, 0) + int(points)
    return totals


def _journal_earned(member_ids) -> dict[int, int]:
    """member → what their entries say they earned, less what was taken back."""
    entry, original = PointsEntry, aliased(PointsEntry)
    earned = case((entry.kind.in_(kinds.EARNING), entry.delta),
                  (entry.kind == "clawback", entry.delta),
                  (and_(entry.kind == "reverse", original.kind.in_(kinds.EARNING)), entry.delta),
                  else_=literal(0))
    rows = db.session.execute(
        select(entry.member_id, func.sum(earned))
        .outerjoin(original, and_(entry.kind == "reverse", entry.ref_type == "entry",
                                  original.id == cast(entry.ref_id, Integer)))
        .where(entry.member_id.in_(member_ids)).group_by(entry.member_id)).all()
    return {m: int(total or 0) for m, total in rows}


def _earnings(ids, merged, accounts) -> list[dict]:
    joined = dict(db.session.execute(select(cast(PointsEntry.ref_id, Integer), PointsEntry.member_id)
                                     .distinct().where(PointsEntry.member_id.in_(ids),
                                                       PointsEntry.kind == "merge_in",
                                                       PointsEntry.ref_type == "member")).all())
    journal = _journal_earned(list(ids) + list(joined))
    months = dict(db.session.execute(select(EarnedMonth.member_id, func.sum(EarnedMonth.points))
                                     .where(EarnedMonth.member_id.in_(ids))
                                     .group_by(EarnedMonth.member_id)).all())
    expected = {m: journal.get(m, 0) for m in ids if m not in merged}
    for source, target in joined.items():
        if target in expected:
            expected[target] += journal.get(source, 0)
    problems = []
    for m, earned in expected.items():
        if (account := accounts.get(m)) and account.lifetime_earned != earned:
            problems.append(_problem(m, "lifetime_earned == earned per the journal",
                                     account.lifetime_earned, earned))
        if int(months.get(m) or 0) != earned:
            problems.append(_problem(m, "Σ monthly earnings == earned per the journal",
                                     int(months.get(m) or 0), earned))
    return problems


def _tiers_reached(ids, merged) -> list[dict]:
    ranked = tiers.active_tiers()
    if not ranked:
        return []
    window = dict(db.session.execute(
        select(EarnedMonth.member_id, func.sum(EarnedMonth.points))
        .where(EarnedMonth.member_id.in_(ids),
               EarnedMonth.month >= tiers.first_month_of_window(clock.now()))
        .group_by(EarnedMonth.member_id)).all())
    threshold = {t.code: t.threshold_points for t in ranked}
    members = db.session.execute(select(Member.id, Member.tier_code).where(
        Member.id.in_([m for m in ids if m not in merged]))).all()
    problems = []
    for m, code in members:
        reached = tiers.tier_for_points(max(int(window.get(m) or 0), 0), ranked)
        if reached and threshold.get(code, -1) < reached.threshold_points:
            problems.append(_problem(m, "tier ≥ the tier the window's earnings reach", code,
                                     reached.code))
    return problems
