"""Debits (the member spends) and clawbacks (points taken back even if already spent)."""
from core import clock
from points.ledger.accounts import (InsufficientPoints, append_entry, hold_account, lock_account,
                                    replayed)
from points.ledger.credit import check_amount, check_held, touch_rolling
from points.ledger.expiry import expire_due, expire_member_due
from points.ledger.lots import apply_plan, plan_consumption
from points.ledger.models import PointsEntry
from points.programme import tiers
from points.programme.settings import get_settings


def _begin(member_id, amount, key):
    """A clawback starts alike: lock the account, replay a repeated key, expire what is due.
    Returns (account, the earlier entry for this key or None, now)."""
    check_amount(amount)
    account = lock_account(member_id)
    if (entry := replayed(key, member_id)) is not None:
        return account, entry, None
    now = clock.now()
    expire_member_due(account, now)
    return account, None, now


def debit(member_id: int, amount: int, *, kind: str, key: str, store_id=None, ref=None,
          reason=None, operator_id=None, details=None, held=None,
          new_key=False) -> PointsEntry:
    """Take `amount` points, soonest-expiring lots first; 409 insufficient_points when short.

    The spending path (the mall's redemptions, the lottery's draws): `held`, the member's
    account when the caller already holds its lock (hold_account, which also read the
    caller's limits); `new_key`, the key names a row the caller has just inserted, so no
    entry can hold it yet and the replay lookup is skipped (the unique key still guards).
    """
    check_amount(amount)
    check_held(held, member_id)
    now = clock.now()
    held = held or hold_account(member_id, now)
    if not new_key and (entry := replayed(key, member_id)) is not None:
        return entry
    expire_due(held, now)
    if held.balance < amount:
        raise InsufficientPoints(f"This needs {amount} points; the balance is {held.balance}.",
                                 details={"balance": held.balance, "needed": amount})
    entry = append_entry(held, kind, -amount, key, store_id=store_id, ref=ref, reason=reason,
                         operator_id=operator_id, details=details, now=now)
    apply_plan(plan_consumption(member_id, amount, now), entry)
    expiry_policy = get_settings()["expiry"]
    if expiry_policy.get("mode") == "rolling_days":
        touch_rolling(member_id, now, expiry_policy, held.birthday)
    return entry


def clawback(member_id: int, amount: int, *, key: str, store_id=None, ref=None, reason=None,
             prefer_lot_id=None, kind="clawback", details=None, unearn_at=None,
             prefer=()) -> PointsEntry:
    """Take back points even if already spent: what the lots cannot cover becomes debt.

    `prefer_lot_id` is consumed first (e.g. the lot the refunded order created), or `prefer`'s
    [(lot id, up to points)] (a credit's lots, each funder's share). The points also
    leave lifetime_earned and the tiers' earnings — of the month of `unearn_at` (the reversed
    credit's time), or of now for a plain clawback; other kinds leave earnings alone.
    """
    account, replayed, now = _begin(member_id, amount, key)
    if replayed is not None:
        return replayed
    if kind == "clawback":
        unearn_at = now
    if prefer_lot_id is not None:
        prefer = [(prefer_lot_id, amount), *prefer]
    plan = plan_consumption(member_id, amount, now, prefer=prefer)
    shortfall = amount - sum(take for _lot, take in plan)
    entry = append_entry(account, kind, -amount, key, debt_change=shortfall, store_id=store_id,
                         ref=ref, reason=reason, details=details, now=now,
                         earned=-amount if unearn_at else 0)
    apply_plan(plan, entry)
    if unearn_at:
        tiers.record_earned(member_id, unearn_at, -amount)
    return entry
