"""POS and staff orders: points earned exactly once per (store, order_no), refunds.

Exactly once is decided by the database: the order row's unique (store_id, order_no). A
retried report (same content) gets the first answer again (200); the same order_no with other
content is 422 idempotency_mismatch. A report is not looked up first (a new order, the usual
case, would pay for it): its INSERT meets the first one's key, fails, and the first row is read
with a locking read, which also settles a storm of identical reports. Only a report whose
member can no longer be found (an expired member code) is looked up.

LOCK ORDER, for new orders and refunds alike: points account → member row → order row. The
account lock serialises a member's orders, so "first order" is decided once, by a guarded
UPDATE of the member row; a refund locks the order's account before the order row.
"""
import hashlib
import json

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from core import clock, events
from core.db import RetryTransaction, adopt, db, insert_row, mark_written
from core.errors import Conflict, Gone, NotFound
from core.idempotency import IdempotencyMismatch
from points.campaigns import budget
from points.campaigns.policy import policy_for
from points.earning import earn_rules, promotions, till
from points import ledger
from members.models import STATUS_DELETED, STATUS_MERGED, Member
from points.earning.models import Deduction, Order, OrderRefund
from points.ledger.models import PointsAccount
from points.programme.settings import get_settings


def fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def answer(order: Order) -> dict:
    """The body of the order's response, the same on every replay."""
    return {"order_no": order.order_no, "member_no": order.member.member_no,
            "points_earned": order.points_earned, "balance": order.balance_after,
            "breakdown": order.breakdown}


def existing_order(store_id, order_no, model=Order, *, lock=None):
    """The row of this order_no. `lock`: "update" (to change it), "share" (to read what a
    concurrent transaction just committed: a plain read would see our older snapshot); a
    locked row is read afresh even when the session already holds it."""
    query = select(model).filter_by(store_id=store_id, order_no=order_no)
    if lock:
        query = (query.with_for_update(read=lock == "share")
                 .execution_options(populate_existing=True))
    return db.session.scalars(query).first()


def replayed_order(order, request_hash):
    if order.request_hash != request_hash:
        raise IdempotencyMismatch(f"Order {order.order_no} was already recorded with other content.")
    return order


def record_order(store, data: dict, *, source: str) -> tuple[Order, bool]:
    """Record a paid order and credit its points: (order, created). See the module doc."""
    request_hash = fingerprint({k: data.get(k) for k in
                                ("order_no", "amount_fen", "items", "paid_at", *till.MEMBER_KEYS)})
    now = clock.now()
    try:
        member, registered, held = _payer(data, store, now)
    except (NotFound, Gone):  # a retry after the member code expired still gets its answer
        if (order := existing_order(store.id, data["order_no"])) is not None:
            return replayed_order(order, request_hash), False
        raise
    mark_written(member, tier_code=held.tier_code, first_order_at=held.first_order_at)
    paid_at = data.get("paid_at") or now
    first = held.first_order_at is None and _claim_first_order(member, paid_at)
    breakdown, store_funded = _breakdown(store, held.tier_code, data, paid_at, first, now)
    points = earn_rules.total(breakdown)
    bonus = get_settings()["registration_bonus"] if registered else 0
    order = Order(store_id=store.id, order_no=data["order_no"], member_id=member.id,
                  member=member, amount_fen=data["amount_fen"], items=data.get("items") or [],
                  paid_at=paid_at, request_hash=request_hash, source=source,
                  points_earned=points, breakdown=breakdown, refunded_fen=0, points_reversed=0,
                  balance_after=held.balance + points + bonus, created_at=now)
    try:  # a failed INSERT undoes only itself (MariaDB, SQLite): no savepoint needed
        insert_row(order)
    except IntegrityError:  # the same order_no, recorded a moment ago by a concurrent request
        return replayed_order(existing_order(store.id, data["order_no"], lock="share"), request_hash), False
    _credit(order, held, store, bonus, store_funded)
    if store_funded and not budget.spend(store.id, store_funded, _store_budget(store), now):
        raise RetryTransaction(f"store {store.code}'s budget has no room left")  # run again:
        # budget.may_spend now says no, and the order earns without the store's campaigns
    events.emit("order.recorded", member=member, order=order, first=first)
    return order, True


def _payer(data, store, now):
    """(member, registered at this till, their account held — with the tier etc. as of the
    lock). A member named by code or number is read by the statement that locks the account; a
    phone's member, or one with no account yet, is looked up, then held. A merged member's
    (emptied) account stays locked until commit while the one it joined is held: a merged
    account is never locked by a merge again, so this adds no cycle to merge_accounts' order."""
    member_id = till.named_member_id(data)
    found = member_id and ledger.hold_account_with_member(member_id, now, till.ORDER_FIELDS)
    if found and found[1]["status"] not in (STATUS_MERGED, STATUS_DELETED):
        held, columns = found
        return adopt(Member, {"id": member_id, **columns}), False, held
    member, registered = till.find_member(data, store, register=True)
    member, held = till.hold_payer(member, now)
    return member, registered, held


# the till's statements, built once (building one costs about as much as running it)
_orders, _members = Order.__table__, Member.__table__
_first_order = (update(_members).where(_members.c.id == bindparam("member"),
                                       _members.c.first_order_at.is_(None))
                .values(first_order_at=bindparam("paid_at")))
_order_balance = (update(_orders).where(_orders.c.id == bindparam("order"))
                  .values(balance_after=bindparam("balance")))


def _claim_first_order(member, paid_at) -> bool:
    """Record the member's first order: a guarded UPDATE, under the account lock."""
    claimed = db.session.execute(_first_order, {"member": member.id, "paid_at": paid_at}).rowcount
    if claimed:
        mark_written(member, first_order_at=paid_at)
    return bool(claimed)


def _breakdown(store, tier_code, data, paid_at, first, now) -> tuple[list[dict], int]:
    """(the breakdown, the points of it the store's campaigns fund). Those are taken from the
    store's monthly budget by the order's last statement (record_order); a budget known to
    have no room: the order earns what it would without the store's campaigns."""
    settings = get_settings()
    lines = earn_rules.order_lines(data["amount_fen"], data.get("items") or [])
    multipliers, bonuses = promotions.applicable(store.code, paid_at, lines, tier_code, store.id)
    if first and settings["first_order_bonus"]:
        bonuses.append(earn_rules.Bonus("first_order", "first order bonus",
                                        settings["first_order_bonus"]))
    breakdown, hq_only, store_funded = earn_rules.store_funded_points(
        data["amount_fen"], lines, settings["earn"]["points_per_yuan"], multipliers, bonuses)
    if store_funded and not budget.may_spend(store.id, store_funded, _store_budget(store), now):
        return hq_only, 0
    return (breakdown if store_funded else hq_only), store_funded


def _store_budget(store) -> int:
    return policy_for(store.code)["monthly_budget_points"]


def credit_key(order) -> str:
    """The idempotency key of the ledger entry that credited the order's points."""
    return f"order:{order.id}"


def _credit(order, held, store, bonus, store_funded=0) -> None:
    """Expire what is due, then the order's points and a till registration's bonus. The order
    row already holds the balance they make, unless lots were due or the bonus was paid before:
    under the account lock nothing else moves it."""
    ledger.expire_due(held, order.created_at)
    if order.points_earned > 0:  # the key names the order row just inserted: no replay to look up
        ledger.credit(held.member_id, order.points_earned, kind="earn",
                              key=credit_key(order), store_id=store.id, ref=("order", order.id),
                              held=held, new_key=True, details={"order_no": order.order_no},
                              store_funded=(store.id, store_funded) if store_funded else None)
    if bonus:
        ledger.credit(held.member_id, bonus, kind="bonus", store_id=store.id,
                              key=f"registration:{held.member_id}", held=held,
                              reason="registration bonus")
    if held.balance != order.balance_after:
        db.session.execute(_order_balance, {"order": order.id, "balance": held.balance})
        mark_written(order, balance_after=held.balance)


def refund(store, order_no: str, refund_no: str, amount_fen: int) -> tuple[OrderRefund, bool]:
    """Take back the points of the refunded share of the order (cumulative, so refunds adding
    up to the whole order take back all of them; points already spent become debt), and return
    the same share of the order's cash deduction. Idempotent on refund_no."""
    if (order := existing_order(store.id, order_no)) is None:
        raise NotFound(f"No order {order_no} at store {store.code}.")
    payer_id = ledger.survivor_id(order.member_id)  # a merge moved the order's points there
    ledger.lock_account(payer_id)  # the lock order: the account, then the order
    order = existing_order(store.id, order_no, lock="update")
    earlier = db.session.scalars(select(OrderRefund).filter_by(order_id=order.id, refund_no=refund_no)).first()
    if earlier is not None:
        if earlier.amount_fen != amount_fen:
            raise IdempotencyMismatch(f"Refund {refund_no} was already recorded with another amount.")
        return earlier, False
    if order.refunded_fen + amount_fen > order.amount_fen:
        raise Conflict("Refunds cannot exceed the order's amount.", code="invalid_state",
                       details={"refundable_fen": order.amount_fen - order.refunded_fen})
    order.refunded_fen += amount_fen
    reversed_now = _take_back_points(order, refund_no)
    returned = _return_deduction(store, order, refund_no)
    row = OrderRefund(order_id=order.id, refund_no=refund_no, amount_fen=amount_fen,
                      points_reversed=reversed_now, deduction_points_returned=returned,
                      balance_after=db.session.get(PointsAccount, payer_id).balance,
                      created_at=clock.now())
    db.session.add(row)
    db.session.flush()
    events.emit("order.refunded", order=order, fully=order.refunded_fen == order.amount_fen)
    return row, True


def _share(points, order) -> int:
    return points * order.refunded_fen // order.amount_fen


def _take_back_points(order, refund_no) -> int:
    """The refunded share of the order's points not taken back yet — less what has expired
    (those points left already: a refund never takes them a second time)."""
    due = _share(order.points_earned, order) - order.points_reversed
    entry = ledger.entry_by_key(credit_key(order)) if due > 0 else None
    reversal = entry and ledger.reverse(entry.id, key=f"refund:{order.id}:{refund_no}",
                                        amount=due, up_to=True,
                                        reason=f"refund {refund_no} of order {order.order_no}")
    take = -reversal.delta if reversal else 0
    order.points_reversed += take
    return take


def _return_deduction(store, order, refund_no) -> int:
    deduction = existing_order(store.id, order.order_no, Deduction, lock="update")
    if deduction is None:
        return 0
    due = deduction.points * order.refunded_fen // order.amount_fen - deduction.points_returned
    if due <= 0:
        return 0
    ledger.reverse(deduction.entry_id, key=f"refund-deduction:{order.id}:{refund_no}",
                           amount=due, reason=f"refund {refund_no} of order {order.order_no}")
    deduction.points_returned += due
    return due
