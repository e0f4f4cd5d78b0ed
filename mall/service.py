"""Redemption: points (and cash) for a product, never overselling; cancellation.

LOCK ORDER. Every transaction here takes its row locks in this one order, so concurrent
redemptions, cancellations, pickups and the unpicked-gift sweep never deadlock:

    redemption row → points account → (the ledger's lots; the member row) → member counter
    row → product stock row

- A redemption holds the member's points account first (points.ledger.hold_account: one
  statement takes the lock and reads the balance, the tier, the member's counter for this
  product and whether they redeemed before), then inserts its new redemption row (nobody
  else can be waiting for it), debits (lots), bumps the member's counter, and takes the stock
  LAST: the product row is the one every buyer in a flash sale wants, so its guarded UPDATE is
  the transaction's last statement, run just before the COMMIT (after the response is built
  and its Idempotency-Key stored). (Hence no foreign keys point at mall_products from
  the rows a redemption writes: InnoDB's check would take a shared lock on the product row
  early; and the account comes before the redemption insert because the insert's
  foreign-key check share-locks the member row, which the ledger updates under the account
  lock when a credit raises the tier.)
- A cancellation claims its existing redemption row with a guarded status UPDATE, then
  reverses the debit (account, lots), then returns the counter and the stock.
- Pickup verification and coupon write-off lock only their own row.

Under the account lock, a redemption takes its units from the Redis stock gate
(mall.stock_gate) before it writes anything; they go back if the transaction rolls back
(core.db.on_rollback). A request the locked checks refuse (balance, limit, tier) never
holds gate units.
"""
from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from core import clock, events
from core.db import db, insert_values, last_before_commit, loaded, on_rollback
from core.errors import Conflict, NotFound, ValidationFailed
from mall import catalog, issuing, stock_gate
from mall.models import FULFILLED, MALL, PENDING, MemberProductCount, Product, Redemption
from members.lookup import check_current
from points import ledger
from points.ledger.models import PointsAccount
from points.programme import tiers
from stores.models import Store

MAX_QUANTITY = 10

#: what a redemption decides on besides the balance, read under the account lock by the
#: statement that takes it (built once; correlated with the account row, so read after the
#: lock is granted): the member's counter for the product, whether they have redeemed
#: anything before (the event's `first`), and the member's status (the view did not read it)
HOLD_READS = (
    select(MemberProductCount.units)
    .where(MemberProductCount.product_id == bindparam("product_id"),
           MemberProductCount.member_id == PointsAccount.member_id)
    .scalar_subquery().label("units_held"),
    exists().where(Redemption.member_id == PointsAccount.member_id, Redemption.origin == MALL)
    .label("redeemed_before"),
    ledger.member_read("status"),
)


class OutOfStock(Conflict):
    code, message = "out_of_stock", "This product is sold out."


class LimitExceeded(Conflict):
    code, message = "limit_exceeded", "You have redeemed as many of this product as allowed."


def redeem(member, product_id: int, quantity: int, store_code: str | None = None) -> Redemption:
    """Redeem `quantity` units for the member: checks the window, tier, store, limit, stock
    and balance (409 invalid_state / limit_exceeded / out_of_stock / insufficient_points),
    then debits the points and fulfils (gift → pickup code, coupon → coupons, virtual →
    done) in the caller's transaction, whose last statement before its COMMIT takes the stock
    (core.db.last_before_commit: the flash sale's hot row is held the shortest time). Emits
    redemption.created."""
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationFailed(details={"quantity": [f"From 1 to {MAX_QUANTITY}."]})
    product, now = _product_on_sale(product_id), clock.now()
    store = _redeeming_store(product, store_code)
    points, cash_fen = product.points_price * quantity, product.cash_price_fen * quantity
    held = ledger.hold_account(member.id, now, reads=HOLD_READS,
                               params={"product_id": product.id})  # the lock order: account first
    check_current(held.reads["member_status"])
    _check_tier(held.tier_code, product)
    _check_limit_and_balance(held, product, quantity, points)
    if stock_gate.take(product.id, quantity, lambda: _stock_left(product.id)) is False:
        raise OutOfStock(details={"stock_left": 0})
    redemption = issuing.open_redemption(member.id, product, quantity, points, cash_fen, store,
                                         now, origin=MALL)
    entry = ledger.debit(member.id, points, kind="spend", key=f"redemption:{redemption.id}",
                         store_id=store.id if store else None, ref=("redemption", redemption.id),
                         held=held, new_key=True)
    issuing.record_entry(redemption, entry.id)
    _hold_units(product, member.id, quantity, redemption.id, held.reads["units_held"])
    if product.kind == "coupon":
        issuing.issue_coupons(redemption, product, now)
    events.emit("redemption.created", member=member, redemption=redemption,
                first=not held.reads["redeemed_before"])
    product_id = product.id
    last_before_commit(lambda: _take_stock(product_id, quantity))
    return redemption


# --- checks ---------------------------------------------------------------------------------

def _product_on_sale(product_id: int) -> catalog.ProductRules:
    product = catalog.product_rules(product_id)
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


def _check_tier(tier_code, product) -> None:
    if not product.tier_required:
        return
    required, mine = tiers.tier_by_code(product.tier_required), tiers.tier_by_code(tier_code)
    if required is None or (mine is not None and mine.threshold_points >= required.threshold_points):
        return
    raise Conflict(f"This product needs tier {required.name} or above.", code="invalid_state",
                   details={"tier_required": required.code, "tier": tier_code})


def _check_limit_and_balance(held, product, quantity, points) -> None:
    """Refuse, under the account lock and before taking gate units, what would fail: the
    member's counter and balance only change under this lock. (The debit still checks the
    balance after expiring what is due.)"""
    units = held.reads["units_held"] or 0
    if product.per_member_limit and units + quantity > product.per_member_limit:
        raise _limit_exceeded(product, units)
    if held.balance < points:
        raise ledger.InsufficientPoints(
            f"This needs {points} points; the balance is {held.balance}.",
            details={"balance": held.balance, "needed": points})


def _limit_exceeded(product, held) -> LimitExceeded:
    return LimitExceeded(details={"per_member_limit": product.per_member_limit, "held": held})


def _stock_left(product_id: int) -> int:
    return db.session.scalar(select(Product.stock_left).where(Product.id == product_id))


# --- the writes, in lock order ----------------------------------------------------------------

_counts, _products = MemberProductCount.__table__, Product.__table__
_bump = (update(_counts).where(_counts.c.product_id == bindparam("product"),
                               _counts.c.member_id == bindparam("member"),
                               _counts.c.units + bindparam("q") <= bindparam("limit"))
         .values(units=_counts.c.units + bindparam("q")))
_take = (update(_products).where(_products.c.id == bindparam("product"),
                                 _products.c.stock_left >= bindparam("q"))
         .values(stock_left=_products.c.stock_left - bindparam("q")))


def _hold_units(product, member_id, quantity, redemption_id, units_read) -> None:
    """The per-member limit, race-free: a guarded UPDATE of the member's counter row. On first
    use the row is created from the units redeemed before (the limit may be newer than they);
    its primary key stops a second creation, and the loser bumps the winner's row instead."""
    if not product.per_member_limit:
        return
    if units_read is not None and _bump_counter(product, member_id, quantity):
        return
    held = _units_held(product.id, member_id, redemption_id)  # = the row's units, if it exists
    if held + quantity > product.per_member_limit:
        raise _limit_exceeded(product, held)
    try:  # a failed INSERT undoes only itself: no savepoint needed
        insert_values(_counts, {"product_id": product.id, "member_id": member_id,
                                "units": held + quantity})
        return
    except IntegrityError:  # created meanwhile by a concurrent redemption
        if _bump_counter(product, member_id, quantity):
            return
    raise _limit_exceeded(product, product.per_member_limit)


def _bump_counter(product, member_id, quantity) -> bool:
    return db.session.execute(_bump, {"product": product.id, "member": member_id, "q": quantity,
                                      "limit": product.per_member_limit}).rowcount == 1


def _units_held(product_id, member_id, redemption_id) -> int:
    return int(db.session.scalar(
        select(func.coalesce(func.sum(Redemption.quantity), 0))
        .where(Redemption.product_id == product_id, Redemption.member_id == member_id,
               Redemption.id != redemption_id, Redemption.origin == MALL,
               Redemption.status.in_((PENDING, FULFILLED)))))


def _take_stock(product_id, quantity) -> None:
    """The truth: a guarded decrement, the transaction's last statement. Refused → 409
    out_of_stock; the gate was too high, so it is dropped when the transaction rolls back and
    rebuilt from the database on next use."""
    taken = db.session.execute(_take, {"product": product_id, "q": quantity}).rowcount
    if (product := loaded(Product, product_id)) is not None:
        db.session.expire(product, ["stock_left"])
    if taken == 0:
        on_rollback(lambda: stock_gate.forget(product_id))
        raise OutOfStock(details={"stock_left": _stock_left(product_id)})
