"""Reversals: undoing all or part of an entry (a cancelled redemption, a refund).

A reversal acts on the account that holds the entry's points now: the entry's member's, or —
once a merge moved them — the account of the member it joined (survivor_id). Points that have
left by expiry are not taken back a second time.
"""
from sqlalchemy import case, func, select

from core import clock
from core.db import db
from core.errors import Conflict, NotFound
from points.ledger import kinds
from points.ledger.accounts import UNSET, append_entry, entry_by_key, lock_account, survivor_id
from points.ledger.debit import clawback
from points.ledger.expiry import expire_member_due
from points.ledger.forfeit import forfeit_returned
from points.ledger.models import PointsAllocation, PointsEntry, PointsLot


def reverse(entry_id: int, *, key: str, amount: int | None = None, reason=None,
            store_id=UNSET, up_to: bool = False) -> PointsEntry | None:
    """Undo (all or `amount` of) an entry; at most `reversible(entry)` points — more is 409,
    or with `up_to` as much as is left (None when nothing is: a refund or a reward taken
    back after the points expired).

    A debit's points go back into the lots they came from, with their original expiry (on a
    member merged away, into new lots of the member it joined, with the same expiry); points
    whose lot has expired meanwhile are returned and then expired at once (the history shows
    both). A credit is taken back from its own lots first, then like a clawback, and leaves the
    earnings (lifetime, tiers) of the month it was earned in.
    """
    original = db.session.get(PointsEntry, entry_id)
    if original is None:
        raise NotFound(f"No points entry {entry_id}.")
    member_id = survivor_id(original.member_id)
    account = lock_account(member_id)
    if (entry := _replayed(key, original, member_id)) is not None:
        return entry
    expire_member_due(account, clock.now())  # what is due has left: never taken back as well
    left = reversible(original)
    amount = left if amount is None else min(amount, left) if up_to else amount
    if up_to and amount <= 0:
        return None
    if amount <= 0 or amount > left:
        raise Conflict(f"Only {left} points of entry {entry_id} can still be reversed.",
                       code="invalid_state", details={"reversible": left})
    store = original.store_id if store_id is UNSET else store_id
    if original.delta > 0:
        earned_at = original.created_at if original.kind in kinds.EARNING else None
        return clawback(member_id, amount, key=key, store_id=store, kind="reverse",
                        ref=("entry", original.id), reason=reason, unearn_at=earned_at,
                        prefer=_funders_shares(original, member_id, amount))
    if original.kind not in kinds.REVERSIBLE_DEBITS:
        raise Conflict(f"A {original.kind} entry cannot be reversed.", code="invalid_state")
    return _return_to_lots(account, original, amount, key, store, reason)


def reversible(original: PointsEntry) -> int:
    """How many points of the entry a reversal may still move: all of them, less what earlier
    reversals moved — and, for a credit, less what expired of its points (gone already)."""
    left = abs(original.delta) - _already_reversed(original)
    if original.delta > 0:
        left -= expired_of(original)
    return max(left, 0)


def _replayed(key, original, member_id) -> PointsEntry | None:
    """The entry a repeated key made, on either account (a retry may come after a merge)."""
    entry = entry_by_key(key)
    if entry is not None and entry.member_id not in (member_id, original.member_id):
        raise Conflict(f"Idempotency key {key} belongs to another member.", code="invalid_state")
    return entry


def _already_reversed(original) -> int:
    total = db.session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
        PointsEntry.ref_type == "entry", PointsEntry.ref_id == str(original.id),
        PointsEntry.kind == "reverse"))
    return abs(int(total))


def family_lots(credit_entry) -> list[int]:
    """The credit's own lot and every lot descending from it (moved by a merge, returned to the
    member a merge kept)."""
    family = list(db.session.scalars(select(PointsLot.id)
                                     .where(PointsLot.entry_id == credit_entry.id,
                                            PointsLot.origin_lot_id.is_(None))))
    frontier = family
    for _ in range(5):  # merges do not chain far
        frontier = list(db.session.scalars(select(PointsLot.id)
                                           .where(PointsLot.origin_lot_id.in_(frontier))))
        if not frontier:
            break
        family += frontier
    return family


def expired_of(credit_entry) -> int:
    """Points of the credit that left for good, by expiry or forfeiture (from any lot of its
    family)."""
    family = family_lots(credit_entry)
    if not family:
        return 0
    return int(db.session.scalar(
        select(func.coalesce(func.sum(PointsAllocation.amount), 0))
        .join(PointsEntry, PointsEntry.id == PointsAllocation.entry_id)
        .where(PointsAllocation.lot_id.in_(family), PointsEntry.kind.in_(kinds.GONE))))


def _funders_shares(credit_entry, member_id, amount) -> list[tuple[int, int]]:
    """[(lot id, points)] to take back first: the credit's live lots (its own and those
    descending from them), each funder's in proportion to what it funded of the credit —
    cumulatively, so reversals adding up to the whole credit take back exactly each funder's
    points. HQ's share is what the stores' leave (none of it rounds away)."""
    family = family_lots(credit_entry)
    if not family:
        return []
    lots = db.session.execute(select(PointsLot.id, PointsLot.funder_store_id, PointsLot.amount,
                                     PointsLot.entry_id, PointsLot.origin_lot_id,
                                     PointsLot.member_id, PointsLot.remaining)
                              .where(PointsLot.id.in_(family)).order_by(PointsLot.id)).all()
    funded: dict[int | None, int] = {}
    for lot in lots:
        if lot.entry_id == credit_entry.id and lot.origin_lot_id is None:
            funded[lot.funder_store_id] = funded.get(lot.funder_store_id, 0) + lot.amount
    total = sum(funded.values()) or 1
    before = _already_reversed(credit_entry)
    shares = {funder: (before + amount) * points // total - before * points // total
              for funder, points in funded.items() if funder is not None}
    shares[None] = max(amount - sum(shares.values()), 0)
    prefer = []
    for funder, share in shares.items():
        for lot in lots:
            if share > 0 and lot.funder_store_id == funder and lot.member_id == member_id \
                    and lot.remaining > 0:
                take = min(share, lot.remaining)
                prefer.append((lot.id, take))
                share -= take
    return prefer


def _return_to_lots(account, original, amount, key, store_id, reason) -> PointsEntry:
    now = clock.now()
    returnable = _returnable_by_lot(original)
    repaid = min(amount, max(-account.balance, 0))
    entry = append_entry(account, "reverse", amount, key, debt_change=-repaid, store_id=store_id,
                         ref=("entry", original.id), reason=reason, now=now)
    left = amount - repaid
    lots = {lot.id: lot for lot in db.session.scalars(
        select(PointsLot).where(PointsLot.id.in_(sorted(returnable))).order_by(PointsLot.id)
        .with_for_update().execution_options(populate_existing=True))}
    for lot_id in sorted(returnable, key=lambda i: -returnable[i][1]):  # last consumed first
        if left == 0:
            break
        give = min(returnable[lot_id][0], left)
        _give_back(lots[lot_id], give, entry, account.member_id, now)
        left -= give
    db.session.flush()
    expire_member_due(account, now, reason="退回的积分已过期")
    forfeit_returned(account, entry)
    return entry


def _give_back(lot, points, entry, member_id, now) -> None:
    """Return points to the lot they were taken from; to a member merged away since, as a new
    lot of the member it joined with the lot's expiry and store (a lot never holds more than
    it was created with)."""
    if lot.member_id != member_id:
        lot = PointsLot(member_id=member_id, amount=points, remaining=0, expires_at=lot.expires_at,
                        store_id=lot.store_id, funder_store_id=lot.funder_store_id,
                        entry_id=entry.id, origin_lot_id=lot.id,
                        birthday_extended=lot.birthday_extended, created_at=now)
        db.session.add(lot)
        db.session.flush()
    lot.remaining += points
    db.session.add(PointsAllocation(entry_id=entry.id, lot_id=lot.id, amount=points))


def _returnable_by_lot(original) -> dict[int, tuple[int, int]]:
    """lot id → (points of this debit not yet returned to it, order of consumption). A return
    to a member merged away went to a new lot: it counts against the lot it came from."""
    taken = db.session.execute(select(PointsAllocation.lot_id, PointsAllocation.amount,
                                      PointsAllocation.id)
                               .where(PointsAllocation.entry_id == original.id)).all()
    returned_to = case((PointsLot.member_id == original.member_id, PointsAllocation.lot_id),
                       else_=PointsLot.origin_lot_id)
    returned = dict(db.session.execute(
        select(returned_to, func.sum(PointsAllocation.amount))
        .join(PointsEntry, PointsEntry.id == PointsAllocation.entry_id)
        .join(PointsLot, PointsLot.id == PointsAllocation.lot_id)
        .where(PointsEntry.ref_type == "entry", PointsEntry.ref_id == str(original.id),
               PointsEntry.kind == "reverse")
        .group_by(returned_to)).all())
    return {lot_id: (amount - int(returned.get(lot_id, 0)), order)
            for lot_id, amount, order in taken if amount > int(returned.get(lot_id, 0))}
