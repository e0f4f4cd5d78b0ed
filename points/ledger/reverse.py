"""Reversals: undoing all or part of an entry (a cancelled redemption, a refund)."""
from sqlalchemy import func, select

from core import clock
from core.db import db
from core.errors import Conflict, NotFound
from points.ledger import kinds
from points.ledger.accounts import UNSET, append_entry, lock_account, replayed
from points.ledger.debit import clawback
from points.ledger.expiry import expire_member_due
from points.ledger.models import PointsAllocation, PointsEntry, PointsLot


def reverse(entry_id: int, *, key: str, amount: int | None = None, reason=None,
            store_id=UNSET) -> PointsEntry:
    """Undo (all or `amount` of) an entry.

    A debit's points go back into the lots they came from, with their original expiry; points
    whose lot has expired meanwhile are returned and then expired at once (the history shows
    both). A credit is taken back from its own lot first, then like a clawback.
    """
    original = db.session.get(PointsEntry, entry_id)
    if original is None:
        raise NotFound(f"No points entry {entry_id}.")
    account = lock_account(original.member_id)
    if (entry := replayed(key, original.member_id)) is not None:
        return entry
    left = abs(original.delta) - _already_reversed(original)
    amount = left if amount is None else amount
    if amount <= 0 or amount > left:
        raise Conflict(f"Only {left} points of entry {entry_id} can still be reversed.",
                       code="invalid_state", details={"reversible": left})
    store = original.store_id if store_id is UNSET else store_id
    if original.delta > 0:
        return clawback(original.member_id, amount, key=key, store_id=store, kind="reverse",
                        ref=("entry", original.id), reason=reason,
                        prefer_lot_id=_lot_of(original))
    if original.kind not in kinds.REVERSIBLE_DEBITS:
        raise Conflict(f"A {original.kind} entry cannot be reversed.", code="invalid_state")
    return _return_to_lots(account, original, amount, key, store, reason)


def _already_reversed(original) -> int:
    total = db.session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
        PointsEntry.ref_type == "entry", PointsEntry.ref_id == str(original.id),
        PointsEntry.kind == "reverse"))
    return abs(int(total))


def _lot_of(credit_entry) -> int | None:
    return db.session.scalar(select(PointsLot.id).where(PointsLot.entry_id == credit_entry.id))


def _return_to_lots(account, original, amount, key, store_id, reason) -> PointsEntry:
    now = clock.now()
    returnable = _returnable_by_lot(original)
    repaid = min(amount, max(-account.balance, 0))
    entry = append_entry(account, "reverse", amount, key, debt_change=-repaid, store_id=store_id,
                    ref=("entry", original.id), reason=reason, now=now)
    left = amount - repaid
    lot_ids = sorted(returnable)
    lots = {lot.id: lot for lot in db.session.scalars(
        select(PointsLot).where(PointsLot.id.in_(lot_ids)).order_by(PointsLot.id)
        .with_for_update().execution_options(populate_existing=True))}
    for lot_id in sorted(returnable, key=lambda i: -returnable[i][1]):  # last consumed first
        if left == 0:
            break
        give = min(returnable[lot_id][0], left)
        lots[lot_id].remaining += give
        db.session.add(PointsAllocation(entry_id=entry.id, lot_id=lot_id, amount=give))
        left -= give
    db.session.flush()
    expire_member_due(account, now, reason="退回的积分已过期")
    return entry


def _returnable_by_lot(original) -> dict[int, tuple[int, int]]:
    """lot id → (points of this debit not yet returned to it, order of consumption)."""
    taken = db.session.execute(select(PointsAllocation.lot_id, PointsAllocation.amount,
                                      PointsAllocation.id)
                               .where(PointsAllocation.entry_id == original.id)).all()
    returned = dict(db.session.execute(
        select(PointsAllocation.lot_id, func.sum(PointsAllocation.amount))
        .join(PointsEntry, PointsEntry.id == PointsAllocation.entry_id)
        .where(PointsEntry.ref_type == "entry", PointsEntry.ref_id == str(original.id),
               PointsEntry.kind == "reverse")
        .group_by(PointsAllocation.lot_id)).all())
    return {lot_id: (amount - int(returned.get(lot_id, 0)), order)
            for lot_id, amount, order in taken if amount > int(returned.get(lot_id, 0))}
