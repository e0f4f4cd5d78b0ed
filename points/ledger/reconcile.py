"""The ledger invariants (DESIGN.md), checked member by member in chunks:

1. balance == Σ entries.delta, and Σ live lots.remaining − debt == balance, where
   debt = Σ entries.debt_change ≥ 0 (and while there is debt, no lot holds points);
2. 0 ≤ lot.remaining ≤ lot.amount; a debit's allocations sum to |delta| − the debt it created;
3. a balance is below zero only by recorded debt (follows from 1);
4-7. across accounts (merges, reversals, earnings, tiers): points.ledger.reconcile_across.
"""
from sqlalchemy import func, select

from core.db import db
from points.ledger.models import PointsAccount, PointsAllocation, PointsEntry, PointsLot
from points.ledger.reconcile_across import check_across


def _sums(column, group_column, where, member_ids):
    return dict(db.session.execute(
        select(group_column, func.sum(column)).where(where, group_column.in_(member_ids))
        .group_by(group_column)).all())


def check_chunk(after_member_id: int = 0, limit: int = 1000):
    """(members checked, mismatches, cursor or None). A mismatch is a dict naming the member,
    the invariant and the amounts."""
    accounts = list(db.session.scalars(select(PointsAccount)
                                       .where(PointsAccount.member_id > after_member_id)
                                       .order_by(PointsAccount.member_id).limit(limit)))
    if not accounts:
        return 0, [], None
    ids = [a.member_id for a in accounts]
    deltas = _sums(PointsEntry.delta, PointsEntry.member_id, True, ids)
    debts = _sums(PointsEntry.debt_change, PointsEntry.member_id, True, ids)
    remaining = _sums(PointsLot.remaining, PointsLot.member_id, True, ids)
    problems = []
    for account in accounts:
        m = account.member_id
        journal, debt, lots = int(deltas.get(m, 0)), int(debts.get(m, 0)), int(remaining.get(m, 0))
        if account.balance != journal:
            problems.append(_problem(m, "balance == Σ entries.delta", account.balance, journal))
        if lots - debt != account.balance:
            problems.append(_problem(m, "Σ lots.remaining − debt == balance", account.balance,
                                     lots - debt, debt=debt))
        if debt < 0 or (debt > 0 and lots > 0):
            problems.append(_problem(m, "debt ≥ 0 and no points in lots while in debt", debt, lots))
    problems += _bad_lots(ids) + _bad_allocations(ids)
    problems += check_across(ids, {a.member_id: a for a in accounts})
    return len(accounts), problems, ids[-1]


def _problem(member_id, invariant, found, expected, **more):
    return {"member_id": member_id, "invariant": invariant, "found": found,
            "expected": expected, **more}


def _bad_lots(ids):
    rows = db.session.execute(select(PointsLot.member_id, PointsLot.id, PointsLot.remaining,
                                     PointsLot.amount)
                              .where(PointsLot.member_id.in_(ids),
                                     (PointsLot.remaining < 0) |
                                     (PointsLot.remaining > PointsLot.amount))).all()
    return [_problem(r.member_id, "0 ≤ lot.remaining ≤ lot.amount", r.remaining, r.amount,
                     lot_id=r.id) for r in rows]


def _bad_allocations(ids):
    allocated = (select(PointsAllocation.entry_id, func.sum(PointsAllocation.amount).label("total"))
                 .group_by(PointsAllocation.entry_id).subquery())
    rows = db.session.execute(
        select(PointsEntry.member_id, PointsEntry.id, PointsEntry.delta, PointsEntry.debt_change,
               func.coalesce(allocated.c.total, 0))
        .outerjoin(allocated, allocated.c.entry_id == PointsEntry.id)
        .where(PointsEntry.member_id.in_(ids), PointsEntry.delta < 0,
               func.coalesce(allocated.c.total, 0) != -PointsEntry.delta - PointsEntry.debt_change)
    ).all()
    return [_problem(r[0], "a debit's allocations == |delta| − debt created", int(r[4]),
                     -r[2] - r[3], entry_id=r[1]) for r in rows]
