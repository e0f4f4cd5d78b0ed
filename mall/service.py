"""Redemption: points (and cash) for a product, never overselling; cancellation.

LOCK ORDER. Every transaction here takes its row locks in this one order, so concurrent
redemptions, cancellations, pickups and the unpicked-gift sweep never deadlock:

    redemption row → points account → (the ledger's lots; the member row) → member counter
    row → product stock row

- A redemption locks the member's points account first (points.ledger.lock_account; the
  debit that follows locks it again, already held), then inserts its new redemption row
  (nobody else can be waiting for it), debits (lots), bumps the member's counter, and takes
  the stock LAST: the product row is the one every buyer in a flash sale wants, so it is held
  only for the last statements before the commit. (Hence no foreign keys point at
  mall_products from the rows a redemption writes: InnoDB's check would take a shared lock on
  the product row early; and the account comes before the redemption insert because the
  insert's foreign-key check share-locks the member row, which the ledger updates under the
  account lock when a credit raises the tier.)
- A cancellation claims its existing redemption row with a guarded status UPDATE, then
  reverses the debit (account, lots), then returns the counter and the stock.
- Pickup verification and coupon write-off lock only their own row.

Before its transaction, a redemption takes its units from the Redis stock gate
(mall.stock_gate); they go back if the transaction rolls back (core.db.on_rollback).
"""
import secrets
from datetime import timedelta

from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError

from core import clock, events
from core.db import db, on_rollback
from core.errors import Conflict, NotFound, ValidationFailed
from mall import stock_gate
from mall.models import FULFILLED, PENDING, Coupon, MemberProductCount, Product, Redemption
from points import ledger
from points.programme import tiers
from points.ledger.models import PointsAccount
from stores.models import Store

MAX_QUANTITY = 10
CODE_ATTEMPTS = 5


class OutOfStock(Conflict):
    code, message = "out_of_stock", "This product is sold out."


class LimitExceeded(Conflict):
    code, message = "limit_exceeded", "You have redeemed as many of this product as allowed."


def redeem(member, product_id: int, quantity: int, store_code: str | None = None) -> Redemption:
    """Redeem `quantity` units for the member: checks the window, tier, store, limit, stock
    and balance (409 invalid_state / limit_exceeded / out_of_stock / insufficient_points),
    then debits the points, takes the stock and fulfils (gift → pickup code, coupon →
    coupons, virtual → done) in the caller's transaction. Emits redemption.created."""
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationFailed(details={"quantity": [f"From 1 to {MAX_QUANTITY}."]})
    product, now = _product_on_sale(product_id), clock.now()
    store = _redeeming_store(product, store_code)
    _check_tier(member, product)
    points, cash_fen = product.points_price * quantity, product.cash_price_fen * quantity
    _precheck(member.id, product, quantity, points)
    if stock_gate.take(product.id, quantity, lambda: _stock_left(product.id)) is False:
        raise OutOfStock(details={"stock_left": 0})
    ledger.lock_account(member.id)  # the lock order: account first
    redemption = _open(member, product, quantity, points, cash_fen, store, now)
    entry = ledger.debit(member.id, points, kind="spend", key=f"redemption:{redemption.id}",
                                 store_id=store.id if store else None,
                                 ref=("redemption", redemption.id))
    redemption.entry_id = entry.id
    _hold_units(product, member.id, quantity, redemption.id)
    _fulfil_at_once(redemption, product, now)
    events.emit("redemption.created", member=member, redemption=redemption,
                first=_is_first(member.id, redemption.id))
    _take_stock(product, quantity)
    return redemption


# --- checks ---------------------------------------------------------------------------------

def _product_on_sale(product_id: int) -> Product:
    product = db.session.get(Product, product_id, populate_existing=True)
    if product is None or not product.active:
        raise NotFound(f"No product {product_id}.")
    now = clock.now()
    if product.starts_at and now < product.starts_at:
        raise Conflict("This product cannot be redeemed yet.", code="invalid_state",
                       details={"starts_at": product.starts_at.isoformat()})
    if product.ends_at and now >= product.ends_at:
        raise Conflict("This product can no longer be redeemed.", code="invalid_state",
                       details={"ends_at": product.ends_at.isoformat()})
    return product


def _redeeming_store(product, store_code):
    if not store_code:
        return None
    store = db.session.scalars(select(Store).filter_by(code=store_code)).first()
    if store is None:
        raise ValidationFailed(details={"store_code": [f"No store {store_code}."]})
    if not store.active or not product.allows_store(store):
        raise Conflict(f"This product cannot be redeemed at store {store_code}.",
                       code="invalid_state", details={"store_codes": product.store_codes})
    return store


def _check_tier(member, product) -> None:
    if not product.tier_required:
        return
    required, mine = tiers.tier_by_code(product.tier_required), tiers.tier_by_code(member.tier_code)
    if required is None or (mine is not None and mine.threshold_points >= required.threshold_points):
        return
    raise Conflict(f"This product needs tier {required.name} or above.", code="invalid_state",
                   details={"tier_required": required.code, "tier": member.tier_code})


def _precheck(member_id, product, quantity, points) -> None:
    """Refuse early, without locks, what would surely fail under them (so a doomed request
    does not hold stock-gate units that others could buy). The locked checks still decide."""
    if product.per_member_limit:
        held = db.session.scalar(select(MemberProductCount.units).filter_by(
            product_id=product.id, member_id=member_id)) or 0
        if held + quantity > product.per_member_limit:
            raise _limit_exceeded(product, held)
    balance = db.session.scalar(select(PointsAccount.balance)
                                .where(PointsAccount.member_id == member_id)) or 0
    if balance < points:
        raise ledger.InsufficientPoints(
            f"This needs {points} points; the balance is {balance}.",
            details={"balance": balance, "needed": points})


def _limit_exceeded(product, held) -> LimitExceeded:
    return LimitExceeded(details={"per_member_limit": product.per_member_limit, "held": held})


def _stock_left(product_id: int) -> int:
    return db.session.scalar(select(Product.stock_left).where(Product.id == product_id))


# --- the writes, in lock order ----------------------------------------------------------------

def _open(member, product, quantity, points, cash_fen, store, now) -> Redemption:
    redemption = Redemption(
        member_id=member.id, product_id=product.id, title=product.title, kind=product.kind,
        quantity=quantity, points=points, cash_fen=cash_fen, store=store, created_at=now,
        coupons=[],
        status=PENDING if product.kind == "gift" else FULFILLED,
        fulfilled_at=None if product.kind == "gift" else now)
    if product.kind != "gift":
        db.session.add(redemption)
        db.session.flush()
        return redemption
    redemption.pickup_expires_at = clock.end_of_business_day(
        clock.business_date(now) + timedelta(days=product.pickup_days))
    return _insert_with_code(redemption, _set_pickup_code)


def _set_pickup_code(redemption) -> None:
    #: 10 random digits: 10^10 codes, read aloud in three groups; unique while open
    redemption.pickup_code = redemption.open_pickup_code = f"{secrets.randbelow(10**10):010d}"


def _insert_with_code(row, set_code):
    """Insert `row` with a fresh random code, drawing again on the (rare) collision."""
    for _ in range(CODE_ATTEMPTS):
        set_code(row)
        try:
            with db.session.begin_nested():
                db.session.add(row)
            return row
        except IntegrityError:
            continue
    raise RuntimeError(f"no free code after {CODE_ATTEMPTS} draws")


def _hold_units(product, member_id, quantity, redemption_id) -> None:
    """The per-member limit, race-free: a guarded UPDATE of the member's counter row. On first
    use the row is created from the units redeemed before (the limit may be newer than they);
    its primary key stops a second creation, and the loser bumps the winner's row instead."""
    if not product.per_member_limit:
        return
    if _bump_counter(product, member_id, quantity):
        return
    held = _units_held(product.id, member_id, redemption_id)  # = the row's units, if it exists
    if held + quantity > product.per_member_limit:
        raise _limit_exceeded(product, held)
    try:
        with db.session.begin_nested():
            db.session.add(MemberProductCount(product_id=product.id, member_id=member_id,
                                              units=held + quantity))
        return
    except IntegrityError:  # created meanwhile by a concurrent redemption
        if _bump_counter(product, member_id, quantity):
            return
    raise _limit_exceeded(product, product.per_member_limit)


def _bump_counter(product, member_id, quantity) -> bool:
    row = MemberProductCount
    return db.session.execute(
        update(row).where(row.product_id == product.id, row.member_id == member_id,
                          row.units + quantity <= product.per_member_limit)
        .values(units=row.units + quantity).execution_options(synchronize_session=False)
    ).rowcount == 1


def _units_held(product_id, member_id, redemption_id) -> int:
    return int(db.session.scalar(
        select(func.coalesce(func.sum(Redemption.quantity), 0))
        .where(Redemption.product_id == product_id, Redemption.member_id == member_id,
               Redemption.id != redemption_id,
               Redemption.status.in_((PENDING, FULFILLED)))))


def _fulfil_at_once(redemption, product, now) -> None:
    if product.kind != "coupon":
        return
    expires_at = clock.end_of_business_day(clock.business_date(now)
                                           + timedelta(days=product.coupon_valid_days))
    for _ in range(redemption.quantity):
        coupon = Coupon(member_id=redemption.member_id, redemption_id=redemption.id,
                        product_id=product.id, title=product.title,
                        deduct_fen=product.coupon_deduct_fen,
                        min_spend_fen=product.coupon_min_spend_fen or 0, status="unused",
                        expires_at=expires_at, created_at=now)
        redemption.coupons.append(_insert_with_code(coupon, _set_coupon_code))


def _set_coupon_code(coupon) -> None:
    coupon.code = f"{secrets.randbelow(10**12):012d}"


def _is_first(member_id, redemption_id) -> bool:
    """Read under the member's account lock, so two first redemptions cannot both be first."""
    return not db.session.scalar(select(exists().where(Redemption.member_id == member_id,
                                                       Redemption.id != redemption_id)))


def _take_stock(product, quantity) -> None:
    """The truth: a guarded decrement. Refused → 409 out_of_stock; the gate was too high, so
    it is dropped when the transaction rolls back and rebuilt from the database on next use."""
    taken = db.session.execute(
        update(Product).where(Product.id == product.id, Product.stock_left >= quantity)
        .values(stock_left=Product.stock_left - quantity)
        .execution_options(synchronize_session=False)).rowcount
    db.session.expire(product, ["stock_left"])
    if taken == 0:
        product_id = product.id
        on_rollback(lambda: stock_gate.forget(product_id))
        raise OutOfStock(details={"stock_left": _stock_left(product_id)})
