"""Credits: every credit is a lot expiring by the programme's policy; debt is repaid first."""
from datetime import datetime

from sqlalchemy import select, update

from core import clock
from core.db import db, insert_values
from members.models import Member
from points.ledger import kinds, policy
from points.ledger.accounts import UNSET, append_entry, hold_account, replayed
from points.ledger.expiry import expire_due
from points.ledger.models import PointsEntry, PointsLot
from points.programme import tiers
from points.programme.settings import get_settings


def credit(member_id: int, amount: int, *, kind: str, key: str, store_id=None, ref=None,
           reason=None, operator_id=None, details=None, expires_at=UNSET, held=None,
           new_key=False, store_funded: tuple[int, int] | None = None) -> PointsEntry:
    """Add `amount` points as a new lot expiring by the programme's policy (or `expires_at`).

    Funding: HQ pays for the points, unless `store_funded` = (store id, points) says a store's
    campaign pays for that many of them: those make a second lot of the same entry, funded by
    that store (what repays debt comes out of HQ's lot first).

    Outstanding debt is repaid first. Earning kinds count towards lifetime_earned and tiers.
    `held`: the member's account when the caller already holds its lock (hold_account).
    `new_key`: the key names a row the caller has just inserted (an order), so no entry can
    hold it yet and the replay lookup is skipped (the unique key still guards).
    """
    check_amount(amount)
    check_held(held, member_id)
    now = clock.now()
    held = held or hold_account(member_id, now)
    if not new_key and (entry := replayed(key, member_id)) is not None:
        return entry  # a repeated key changes nothing, not even what was due
    expire_due(held, now)
    expiry_policy = get_settings()["expiry"]
    extended = False
    if expires_at is UNSET:
        expires_at, extended = _policy_expiry(now, expiry_policy, held.birthday)
    repaid = min(amount, max(-held.balance, 0))
    earning = kind in kinds.EARNING
    entry = append_entry(held, kind, amount, key, debt_change=-repaid, earned=amount if earning else 0,
                    store_id=store_id, ref=ref, reason=reason, operator_id=operator_id,
                    details=details, now=now)
    lots = [dict(member_id=member_id, amount=points, remaining=points - absorbed,
                 expires_at=expires_at, store_id=store_id, funder_store_id=funder,
                 entry_id=entry.id, created_at=now, birthday_extended=extended)
            for funder, points, absorbed in _funded_lots(amount, repaid, store_funded)]
    insert_values(PointsLot.__table__, lots[0] if len(lots) == 1 else lots)  # one statement
    if earning:
        tiers.record_earned(member_id, now, amount)
        held.earned_in_window += amount
        held.tier_code = tiers.upgrade(member_id, held.tier_code, held.earned_in_window)
    if expiry_policy.get("mode") == "rolling_days":
        touch_rolling(member_id, now, expiry_policy, held.birthday)
    return entry


def _funded_lots(amount, repaid, store_funded):
    """(funder store id or None for HQ, points, of which repaying debt) of each lot a credit makes."""
    store_id, store_points = store_funded or (None, 0)
    if store_points and not 0 < store_points <= amount:
        raise ValueError(f"a store cannot fund {store_points} of {amount} points")
    parts = [(None, amount - store_points), (store_id, store_points)]
    lots = []
    for funder, points in parts:
        if points > 0:
            absorbed = min(points, repaid)
            repaid -= absorbed
            lots.append((funder, points, absorbed))
    return lots


def check_amount(amount):
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValueError(f"points must be a positive integer, got {amount!r}")


def check_held(held, member_id):
    if held is not None and held.member_id != member_id:
        raise ValueError(f"account {held.member_id} given for member {member_id}")


def _birthday(member_id):
    return db.session.scalar(select(Member.birthday).where(Member.id == member_id))


def _policy_expiry(now, expiry_policy, birthday):
    """(when a lot earned now expires, whether that includes the birthday extension)."""
    if not expiry_policy.get("birthday_extension_days"):
        birthday = None
    expires_at = policy.expiry_for(now, expiry_policy, birthday)
    return expires_at, expires_at != policy.expiry_for(now, expiry_policy, None)


def touch_rolling(member_id: int, now: datetime, expiry_policy: dict, birthday=UNSET) -> None:
    """rolling_days: move every live lot of the member to N days after this activity."""
    if birthday is UNSET:
        birthday = _birthday(member_id) if expiry_policy.get("birthday_extension_days") else None
    new_expiry, extended = _policy_expiry(now, expiry_policy, birthday)
    db.session.execute(
        update(PointsLot)
        .where(PointsLot.member_id == member_id, PointsLot.remaining > 0,
               PointsLot.expires_at.is_not(None), PointsLot.expires_at > now,
               PointsLot.expires_at < new_expiry)
        .values(expires_at=new_expiry, birthday_extended=extended)
        .execution_options(synchronize_session=False))
