"""The ledger: the only way points change. Each call is one atomic step inside the caller's
transaction (flush only), keyed by an idempotency key that is unique in the database.

Concurrency: every call locks the member's account row first (SELECT … FOR UPDATE), then the
lots it touches in id order, so two writers never deadlock and never lose an update. A call
repeated with the same key returns the first call's entry and changes nothing.

Debt: a clawback that finds too few points leaves the balance negative (balance = −debt); the
next credits repay it first. While there is debt, no lot has points remaining.
"""
import functools
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from core import clock, metrics
from core.db import db, insert_row, insert_values, loaded, mark_written
from core.errors import Conflict, NotFound
from points.ledger import policy
from points.programme import tiers
from points.ledger.models import (EARNING_KINDS, PointsAccount, PointsAllocation, PointsEntry,
                                  PointsLot)
from points.programme.models import EarnedMonth
from points.programme.settings import get_settings

_UNSET = object()


class InsufficientPoints(Conflict):
    code, message = "insufficient_points", "Not enough points."


# --- accounts -------------------------------------------------------------------------------

def open_account(member_id: int) -> PointsAccount:
    """The member's account, created if missing (safe under concurrency)."""
    account = db.session.get(PointsAccount, member_id)
    if account is not None:
        return account
    try:
        with db.session.begin_nested():
            db.session.add(PointsAccount(member_id=member_id, balance=0, lifetime_earned=0,
                                         version=0))
    except IntegrityError:
        pass  # opened by a concurrent request
    return db.session.get(PointsAccount, member_id)


def lock_account(member_id: int) -> PointsAccount:
    """The account row, locked for the rest of the transaction (and refreshed)."""
    stmt = (select(PointsAccount).where(PointsAccount.member_id == member_id)
            .with_for_update().execution_options(populate_existing=True))
    account = db.session.scalars(stmt).one_or_none()
    if account is None:
        open_account(member_id)
        account = db.session.scalars(stmt).one()
    return account


@dataclass
class Held:
    """A member's account under this transaction's lock, with what a credit decides on (the
    member's tier, birthday and first order, the points earned in the tiers' window, whether
    lots are due to expire), all read by the statement that takes the lock: hold_account."""
    member_id: int
    balance: int
    lifetime_earned: int
    version: int
    tier_code: str | None
    first_order_at: datetime | None
    birthday: date | None
    earned_in_window: int
    has_due: bool


def hold_account(member_id: int, now: datetime) -> Held:
    """Lock the member's account (opened if missing) and read it with one statement.

    The extra columns are correlated subqueries: they read without locking the member's row
    (a locking join would), and MariaDB evaluates them after the account lock is granted, so
    under READ COMMITTED they see what the transaction we waited for committed (shown by
    tests/earning/test_order_waits_for_tier.py; an engine that read them first would give an
    order the tier its member had before; tiers.upgrade never lowers a tier even then).
    """
    row = _hold_row(_hold_statement(), {"member_id": member_id}, now)
    if row is None:
        open_account(member_id)
        row = _hold_row(_hold_statement(), {"member_id": member_id}, now)
    return _held(member_id, row)


def hold_account_with_member(member_id: int, now: datetime,
                             member_fields: tuple[str, ...]) -> tuple[Held, dict] | None:
    """hold_account, and these columns of the member's row read by the same statement (a
    till order's look-up and lock in one round trip). None when the member has no account yet:
    the caller looks the member up as usual."""
    row = _hold_row(_hold_statement(member_fields), {"member_id": member_id}, now)
    if row is None:
        return None
    return _held(member_id, row), {field: row._mapping[f"member_{field}"] for field in member_fields}


def _hold_row(statement, params: dict, now: datetime):
    db.session.flush()  # pending ORM changes first: this reads and writes with Core statements
    params.update(now=now, first_month=tiers.first_month_of_window(now))
    return db.session.execute(statement, params).first()


def _held(member_id, row) -> Held:
    return Held(member_id, *row[:6], max(int(row.earned), 0), bool(row.has_due))


def expire_due(held: Held, now: datetime) -> None:
    """Expire the held account's lots whose time has come, as every balance change does first."""
    if held.has_due:
        expire_member_due(held, now)
        held.has_due = False


@functools.cache
def _hold_statement(member_fields: tuple[str, ...] = ()):
    """Lock the account, and read what a credit decides on; `member_fields`: those columns of
    the member's row as well."""
    from members.models import Member

    account, member = PointsAccount.__table__, Member.__table__
    lot, earned = PointsLot.__table__, EarnedMonth.__table__

    def of_member(column):
        return select(column).where(member.c.id == account.c.member_id).scalar_subquery()

    return (select(account.c.balance, account.c.lifetime_earned, account.c.version,
                   of_member(member.c.tier_code), of_member(member.c.first_order_at),
                   of_member(member.c.birthday),
                   select(func.coalesce(func.sum(earned.c.points), 0))
                   .where(earned.c.member_id == account.c.member_id,
                          earned.c.month >= bindparam("first_month"))
                   .scalar_subquery().label("earned"),
                   exists().where(lot.c.member_id == account.c.member_id, lot.c.remaining > 0,
                                  lot.c.expires_at <= bindparam("now")).label("has_due"),
                   *(of_member(member.c[f]).label(f"member_{f}") for f in member_fields))
            .where(account.c.member_id == bindparam("member_id")).with_for_update())


def entry_by_key(key: str) -> PointsEntry | None:
    """The entry an event's idempotency key made, if any."""
    return db.session.scalars(select(PointsEntry).filter_by(idempotency_key=key)).one_or_none()


def _replay(key: str, member_id: int) -> PointsEntry | None:
    entry = entry_by_key(key)
    if entry is not None and entry.member_id != member_id:
        raise Conflict(f"Idempotency key {key} belongs to another member.", code="invalid_state")
    return entry


def _append(account, kind, delta, key, *, debt_change=0, earned=0, store_id=None, ref=None,
            reason=None, operator_id=None, details=None, now=None) -> PointsEntry:
    """Journal one change and write the account's new balance (`earned`: the change of
    lifetime_earned). `account` is the locked PointsAccount or a Held; both stay in step."""
    balance, version = account.balance + delta, account.version + 1
    lifetime = max(account.lifetime_earned + earned, 0)
    ref_type, ref_id = ref or (None, None)
    entry = insert_row(PointsEntry(
        member_id=account.member_id, kind=kind, delta=delta, balance_after=balance,
        debt_change=debt_change, store_id=store_id, ref_type=ref_type,
        ref_id=None if ref_id is None else str(ref_id), idempotency_key=key,
        operator_id=operator_id, reason=reason, details=details, created_at=now or clock.now()))
    _write_account(account, balance=balance, version=version, lifetime_earned=lifetime)
    count_points(kind, delta)
    return entry


_account_update = (update(PointsAccount.__table__)
                   .where(PointsAccount.__table__.c.member_id == bindparam("account"))
                   .values(balance=bindparam("new_balance"), version=bindparam("new_version"),
                           lifetime_earned=bindparam("new_lifetime_earned")))


def _write_account(account, **values) -> None:
    db.session.execute(_account_update, {"account": account.member_id,
                                         **{f"new_{k}": v for k, v in values.items()}})
    orm = account if isinstance(account, PointsAccount) else loaded(PointsAccount, account.member_id)
    if orm is not None:
        mark_written(orm, **values)
    if orm is not account:
        for name, value in values.items():
            setattr(account, name, value)


#: entry kinds counted as points spent in the metrics
SPENDING_KINDS = ("spend", "deduct")


def count_points(kind, delta) -> None:
    """jifen_points_issued/spent/expired_total, added once the transaction commits."""
    if kind == "expire":
        metrics.count_after_commit("jifen_points_expired_total", -delta)
    elif kind in SPENDING_KINDS:
        metrics.count_after_commit("jifen_points_spent_total", -delta, kind=kind)
    elif delta > 0 and (kind in EARNING_KINDS or kind == "adjust"):
        metrics.count_after_commit("jifen_points_issued_total", delta, kind=kind)


# --- credit ---------------------------------------------------------------------------------

def credit(member_id: int, amount: int, *, kind: str, key: str, store_id=None, ref=None,
           reason=None, operator_id=None, details=None, expires_at=_UNSET, held=None,
           new_key=False) -> PointsEntry:
    """Add `amount` points as a new lot expiring by the programme's policy (or `expires_at`).

    Outstanding debt is repaid first. Earning kinds count towards lifetime_earned and tiers.
    `held`: the member's account when the caller already holds its lock (hold_account).
    `new_key`: the key names a row the caller has just inserted (an order), so no entry can
    hold it yet and the replay lookup is skipped (the unique key still guards).
    """
    _check_amount(amount)
    if held is not None and held.member_id != member_id:
        raise ValueError(f"account {held.member_id} given for member {member_id}")
    now = clock.now()
    held = held or hold_account(member_id, now)
    if not new_key and (entry := _replay(key, member_id)) is not None:
        return entry  # a repeated key changes nothing, not even what was due
    expire_due(held, now)
    expiry_policy = get_settings()["expiry"]
    extended = False
    if expires_at is _UNSET:
        expires_at, extended = _policy_expiry(now, expiry_policy, held.birthday)
    repaid = min(amount, max(-held.balance, 0))
    earning = kind in EARNING_KINDS
    entry = _append(held, kind, amount, key, debt_change=-repaid, earned=amount if earning else 0,
                    store_id=store_id, ref=ref, reason=reason, operator_id=operator_id,
                    details=details, now=now)
    insert_values(PointsLot.__table__, dict(
        member_id=member_id, amount=amount, remaining=amount - repaid, expires_at=expires_at,
        store_id=store_id, entry_id=entry.id, created_at=now, birthday_extended=extended))
    if earning:
        tiers.record_earned(member_id, now, amount)
        held.earned_in_window += amount
        held.tier_code = tiers.upgrade(member_id, held.tier_code, held.earned_in_window)
    if expiry_policy.get("mode") == "rolling_days":
        touch_rolling(member_id, now, expiry_policy, held.birthday)
    return entry


def _check_amount(amount):
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValueError(f"points must be a positive integer, got {amount!r}")


def _begin(member_id, amount, key):
    """Every debit starts alike: lock the account, replay a repeated key, expire what is due.
    Returns (account, the earlier entry for this key or None, now)."""
    _check_amount(amount)
    account = lock_account(member_id)
    if (entry := _replay(key, member_id)) is not None:
        return account, entry, None
    now = clock.now()
    expire_member_due(account, now)
    return account, None, now


def _birthday(member_id):
    from members.models import Member

    return db.session.scalar(select(Member.birthday).where(Member.id == member_id))


def _policy_expiry(now, expiry_policy, birthday):
    """(when a lot earned now expires, whether that includes the birthday extension)."""
    if not expiry_policy.get("birthday_extension_days"):
        birthday = None
    expires_at = policy.expiry_for(now, expiry_policy, birthday)
    return expires_at, expires_at != policy.expiry_for(now, expiry_policy, None)


def touch_rolling(member_id: int, now: datetime, expiry_policy: dict, birthday=_UNSET) -> None:
    """rolling_days: move every live lot of the member to N days after this activity."""
    if birthday is _UNSET:
        birthday = _birthday(member_id) if expiry_policy.get("birthday_extension_days") else None
    new_expiry, extended = _policy_expiry(now, expiry_policy, birthday)
    db.session.execute(
        update(PointsLot)
        .where(PointsLot.member_id == member_id, PointsLot.remaining > 0,
               PointsLot.expires_at.is_not(None), PointsLot.expires_at > now,
               PointsLot.expires_at < new_expiry)
        .values(expires_at=new_expiry, birthday_extended=extended)
        .execution_options(synchronize_session=False))


# --- debit and clawback ---------------------------------------------------------------------

def debit(member_id: int, amount: int, *, kind: str, key: str, store_id=None, ref=None,
          reason=None, operator_id=None, details=None) -> PointsEntry:
    """Take `amount` points, soonest-expiring lots first; 409 insufficient_points when short."""
    account, replayed, now = _begin(member_id, amount, key)
    if replayed is not None:
        return replayed
    if account.balance < amount:
        raise InsufficientPoints(f"This needs {amount} points; the balance is {account.balance}.",
                                 details={"balance": account.balance, "needed": amount})
    plan = _plan_consumption(member_id, amount, now)
    entry = _append(account, kind, -amount, key, store_id=store_id, ref=ref, reason=reason,
                    operator_id=operator_id, details=details, now=now)
    _apply(plan, entry)
    expiry_policy = get_settings()["expiry"]
    if expiry_policy.get("mode") == "rolling_days":
        touch_rolling(member_id, now, expiry_policy)
    return entry


def clawback(member_id: int, amount: int, *, key: str, store_id=None, ref=None, reason=None,
             prefer_lot_id=None, kind="clawback", details=None) -> PointsEntry:
    """Take back points even if already spent: what the lots cannot cover becomes debt.

    `prefer_lot_id` is consumed first (e.g. the lot the refunded order created).
    """
    account, replayed, now = _begin(member_id, amount, key)
    if replayed is not None:
        return replayed
    plan = _plan_consumption(member_id, amount, now, prefer_lot_id=prefer_lot_id)
    shortfall = amount - sum(take for _lot, take in plan)
    entry = _append(account, kind, -amount, key, debt_change=shortfall, store_id=store_id,
                    ref=ref, reason=reason, details=details, now=now,
                    earned=-amount if kind == "clawback" else 0)
    _apply(plan, entry)
    if kind == "clawback":
        tiers.record_earned(member_id, now, -amount)
    return entry


def _live_lots(member_id, now, *, lock=True):
    stmt = (select(PointsLot)
            .where(PointsLot.member_id == member_id, PointsLot.remaining > 0,
                   or_(PointsLot.expires_at.is_(None), PointsLot.expires_at > now))
            .order_by(PointsLot.expires_at.is_(None), PointsLot.expires_at, PointsLot.id))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return list(db.session.scalars(stmt))


def _plan_consumption(member_id, amount, now, *, prefer_lot_id=None):
    lots = _live_lots(member_id, now)
    lots.sort(key=lambda lot: lot.id != prefer_lot_id)  # stable: keeps FIFO-by-expiry otherwise
    plan, left = [], amount
    for lot in lots:
        if left == 0:
            break
        take = min(lot.remaining, left)
        plan.append((lot, take))
        left -= take
    return plan


def _apply(plan, entry) -> None:
    for lot, take in plan:
        lot.remaining -= take
        db.session.add(PointsAllocation(entry_id=entry.id, lot_id=lot.id, amount=take))
    db.session.flush()


# --- reverse --------------------------------------------------------------------------------

#: debits that can be undone (a cancelled redemption, a refunded deduction, a wrong adjustment)
REVERSIBLE_DEBITS = ("spend", "deduct", "adjust")


def reverse(entry_id: int, *, key: str, amount: int | None = None, reason=None,
            store_id=_UNSET) -> PointsEntry:
    """Undo (all or `amount` of) an entry.

    A debit's points go back into the lots they came from, with their original expiry; points
    whose lot has expired meanwhile are returned and then expired at once (the history shows
    both). A credit is taken back from its own lot first, then like a clawback.
    """
    original = db.session.get(PointsEntry, entry_id)
    if original is None:
        raise NotFound(f"No points entry {entry_id}.")
    account = lock_account(original.member_id)
    if (entry := _replay(key, original.member_id)) is not None:
        return entry
    left = abs(original.delta) - _already_reversed(original)
    amount = left if amount is None else amount
    if amount <= 0 or amount > left:
        raise Conflict(f"Only {left} points of entry {entry_id} can still be reversed.",
                       code="invalid_state", details={"reversible": left})
    store = original.store_id if store_id is _UNSET else store_id
    if original.delta > 0:
        return clawback(original.member_id, amount, key=key, store_id=store, kind="reverse",
                        ref=("entry", original.id), reason=reason,
                        prefer_lot_id=_lot_of(original))
    if original.kind not in REVERSIBLE_DEBITS:
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
    entry = _append(account, "reverse", amount, key, debt_change=-repaid, store_id=store_id,
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


# --- expiry ---------------------------------------------------------------------------------

def expire_member_due(account, now, *, reason=None) -> int:
    """Expire the member's lots whose time has come (called under the account lock)."""
    lots = list(db.session.scalars(
        select(PointsLot).where(PointsLot.member_id == account.member_id,
                                PointsLot.remaining > 0, PointsLot.expires_at <= now)
        .order_by(PointsLot.id).with_for_update().execution_options(populate_existing=True)))
    if not lots:
        return 0
    entry = _append(account, "expire", -sum(lot.remaining for lot in lots),
                    _expire_key(account.member_id, account.version), reason=reason,
                    now=now)
    _apply([(lot, lot.remaining) for lot in lots], entry)
    return len(lots)


def _expire_key(member_id: int, version: int) -> str:  # (points.ledger.sweep builds it in SQL)
    """Unique per expiry: the account's version changes with every entry (the sweep's
    exactly-once comes from zeroing the lots under the account lock, not from this key)."""
    return f"expire:{member_id}:v{version}"


# --- adjustments, merges --------------------------------------------------------------------

def adjust(member_id: int, delta: int, *, reason: str, operator, store_id=None,
           key: str) -> PointsEntry:
    """A manual correction by staff (reason required; audited). A negative delta never
    creates debt: it needs the points to be there (409 insufficient_points)."""
    from core import audit

    if not reason or not reason.strip():
        raise Conflict("An adjustment needs a reason.", code="invalid_state")
    before = lock_account(member_id).balance
    kwargs = dict(kind="adjust", key=key, store_id=store_id, reason=reason.strip(),
                  operator_id=operator.id, ref=("staff", operator.id))
    entry = (credit(member_id, delta, **kwargs) if delta > 0
             else debit(member_id, -delta, **kwargs))
    audit.record("points.adjust", "member", member_id, reason=reason.strip(),
                 before={"balance": before}, after={"balance": entry.balance_after,
                                                    "delta": delta, "entry_id": entry.id})
    return entry


def merge_accounts(source_member_id: int, target_member_id: int, *, key: str) -> None:
    """Move everything the source holds to the target: each live lot becomes a lot of the
    target with the same remaining points, expiry and issuing store; debt moves too.
    A `merge_out` entry on the source, a `merge_in` entry on the target. Idempotent on key."""
    first, second = sorted([source_member_id, target_member_id])
    lock_account(first), lock_account(second)  # fixed order: no deadlock with a reverse merge
    source, target = lock_account(source_member_id), lock_account(target_member_id)
    if entry_by_key(f"{key}:out") is not None:
        return
    now = clock.now()
    expire_member_due(source, now)
    lots = _live_lots(source_member_id, now)
    moving = [(lot, lot.remaining) for lot in lots]
    moved, debt = sum(points for _lot, points in moving), max(-source.balance, 0)
    out = _append(source, "merge_out", -source.balance, f"{key}:out", debt_change=-debt,
                  ref=("member", target_member_id), now=now)
    _apply(moving, out)
    repaid = min(moved, max(-target.balance, 0))
    into = _append(target, "merge_in", moved, f"{key}:in", debt_change=-repaid,
                   ref=("member", source_member_id), now=now)
    for lot, points in moving:
        absorbed = min(points, repaid)
        repaid -= absorbed
        db.session.add(PointsLot(member_id=target_member_id, amount=points,
                                 remaining=points - absorbed, expires_at=lot.expires_at,
                                 birthday_extended=lot.birthday_extended,
                                 store_id=lot.store_id, entry_id=into.id, created_at=now))
    target.lifetime_earned += source.lifetime_earned
    db.session.flush()
    if debt:
        clawback(target_member_id, debt, key=f"{key}:debt", kind="merge_in",
                 ref=("member", source_member_id))
