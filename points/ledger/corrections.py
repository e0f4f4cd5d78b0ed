"""Staff adjustments and account merges."""
from core import audit, clock
from core.db import db
from core.errors import Conflict
from points.ledger.accounts import append_entry, entry_by_key, lock_account
from points.ledger.credit import credit
from points.ledger.debit import clawback, debit
from points.ledger.expiry import expire_member_due
from points.ledger.lots import apply_plan, live_lots
from points.ledger.models import PointsEntry, PointsLot
from points.programme import tiers


def adjust(member_id: int, delta: int, *, reason: str, operator, store_id=None,
           key: str) -> PointsEntry:
    """A manual correction by staff (reason required; audited once, in the name of
    `operator`, at `store_id`). A negative delta never creates debt: it needs the points to be
    there (409 insufficient_points). Repeated with the same key: the first entry, no new
    audit row."""
    if not reason or not reason.strip():
        raise Conflict("An adjustment needs a reason.", code="invalid_state")
    before = lock_account(member_id).balance
    if (first := entry_by_key(key)) is not None and first.member_id == member_id:
        return first
    kwargs = dict(kind="adjust", key=key, store_id=store_id, reason=reason.strip(),
                  operator_id=operator.id, ref=("staff", operator.id))
    entry = (credit(member_id, delta, **kwargs) if delta > 0
             else debit(member_id, -delta, **kwargs))
    audit.record("points.adjust", "member", member_id, reason=reason.strip(),
                 before={"balance": before}, after={"balance": entry.balance_after,
                                                    "delta": delta, "entry_id": entry.id},
                 actor=("staff", operator.id, operator.username), store_id=store_id)
    return entry


def merge_accounts(source_member_id: int, target_member_id: int, *, key: str) -> None:
    """Move everything the source holds to the target: each live lot becomes a lot of the
    target with the same remaining points, expiry and issuing store (remembering the lot it came
    from); debt, lifetime earnings and the tiers' monthly earnings move too, and the target's
    tier rises if they reach a higher one. A `merge_out` entry on the source, a `merge_in`
    entry on the target. Idempotent on key."""
    first, second = sorted([source_member_id, target_member_id])
    lock_account(first), lock_account(second)  # fixed order: no deadlock with a reverse merge
    source, target = lock_account(source_member_id), lock_account(target_member_id)
    if entry_by_key(f"{key}:out") is not None:
        return
    now = clock.now()
    expire_member_due(source, now)
    moving = [(lot, lot.remaining) for lot in live_lots(source_member_id, now)]
    moved, debt = sum(points for _lot, points in moving), max(-source.balance, 0)
    earned = source.lifetime_earned
    out = append_entry(source, "merge_out", -source.balance, f"{key}:out", debt_change=-debt,
                       earned=-earned, ref=("member", target_member_id), now=now)
    apply_plan(moving, out)
    repaid = min(moved, max(-target.balance, 0))
    into = append_entry(target, "merge_in", moved, f"{key}:in", debt_change=-repaid,
                        earned=earned, ref=("member", source_member_id), now=now)
    for lot, points in moving:
        absorbed = min(points, repaid)
        repaid -= absorbed
        db.session.add(PointsLot(member_id=target_member_id, amount=points,
                                 remaining=points - absorbed, expires_at=lot.expires_at,
                                 birthday_extended=lot.birthday_extended, origin_lot_id=lot.id,
                                 store_id=lot.store_id, entry_id=into.id, created_at=now))
    db.session.flush()
    if debt:
        clawback(target_member_id, debt, key=f"{key}:debt", kind="merge_in",
                 ref=("member", source_member_id))
    tiers.move_earnings(source_member_id, target_member_id, now)
