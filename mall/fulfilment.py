"""Handing over: staff verify a gift's pickup code or write off a coupon, once; what a member
holds (redemptions, coupons)."""
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import lazyload, selectinload

from core import clock
from core.auth import require_store_access
from core.db import db
from core.errors import Conflict, Gone, NotFound
from core.pagination import paginate
from members.lookup import member_by_no
from mall.models import FULFILLED, PENDING, UNUSED, USED, Coupon, Product, Redemption
from stores import service as stores_service


def verify_pickup(pickup_code: str, store_code: str, staff) -> Redemption:
    """Hand a gift over at a store: the redemption becomes `fulfilled`, once (a concurrent or
    repeated verification gets 409 invalid_state). The response shows `cash_fen` to collect.
    410 code_expired past the pickup deadline; 409 invalid_state at a store it is not for."""
    store = _acting_store(store_code, staff)
    redemption = _pending_by_code(pickup_code)
    now = clock.now()
    if redemption.pickup_expires_at and redemption.pickup_expires_at <= now:
        raise Gone("This pickup code has expired; the points are returned to the member.",
                   details={"pickup_expires_at": redemption.pickup_expires_at.isoformat()})
    _check_pickup_store(redemption, store)
    claimed = db.session.execute(
        update(Redemption).where(Redemption.id == redemption.id, Redemption.status == PENDING)
        .values(status=FULFILLED, fulfilled_at=now, fulfilled_store_id=store.id,
                fulfilled_by_id=staff.id, open_pickup_code=None)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(redemption)
    if claimed == 0:
        raise _closed(redemption)
    return redemption


def _acting_store(store_code, staff):
    store = stores_service.get_store(store_code, active_only=True)
    require_store_access(staff, store)
    return store


def _pending_by_code(pickup_code):
    redemption = db.session.scalars(select(Redemption).filter_by(open_pickup_code=pickup_code)
                                    .execution_options(populate_existing=True)).one_or_none()
    if redemption is not None:
        return redemption
    closed = db.session.scalars(select(Redemption).filter_by(pickup_code=pickup_code)
                                .order_by(Redemption.id.desc()).limit(1)).first()
    if closed is None:
        raise NotFound("No redemption has this pickup code.")
    raise _closed(closed)


def _closed(redemption) -> Conflict:
    when = redemption.fulfilled_at or redemption.cancelled_at
    return Conflict(f"This gift is already {redemption.status}.", code="invalid_state",
                    details={"status": redemption.status,
                             "at": when.isoformat() if when else None})


def _check_pickup_store(redemption, store) -> None:
    product = db.session.get(Product, redemption.product_id)
    if redemption.store_id is not None and redemption.store_id != store.id:
        raise Conflict(f"This gift is to be picked up at store {redemption.store.code}.",
                       code="invalid_state", details={"store_code": redemption.store.code})
    if not product.allows_store(store):
        raise Conflict(f"This gift cannot be picked up at store {store.code}.",
                       code="invalid_state", details={"store_codes": product.store_codes})


def use_coupon(coupon_code: str, store_code: str, staff, order_amount_fen=None) -> Coupon:
    """Write a coupon off at a store's till, once. 410 code_expired past its validity; 409
    invalid_state if used, not valid at this store, or the order is below its minimum spend."""
    store = _acting_store(store_code, staff)
    coupon = db.session.scalars(select(Coupon).filter_by(code=coupon_code)
                                .execution_options(populate_existing=True)).one_or_none()
    if coupon is None:
        raise NotFound("No coupon has this code.")
    now = clock.now()
    _check_usable(coupon, store, order_amount_fen, now)
    used = db.session.execute(
        update(Coupon).where(Coupon.id == coupon.id, Coupon.status == UNUSED,
                             Coupon.expires_at > now)
        .values(status=USED, used_at=now, used_store_id=store.id, used_by_id=staff.id,
                order_amount_fen=order_amount_fen)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(coupon)
    if used == 0:
        raise Conflict("This coupon has just been used.", code="invalid_state",
                       details={"status": coupon.status_at(now)})
    return coupon


def _check_usable(coupon, store, order_amount_fen, now) -> None:
    if coupon.status == USED:
        raise Conflict("This coupon is already used.", code="invalid_state",
                       details={"status": USED, "used_at": coupon.used_at.isoformat()})
    if coupon.expires_at <= now:
        raise Gone("This coupon has expired.", details={"expires_at": coupon.expires_at.isoformat()})
    product = db.session.get(Product, coupon.product_id)
    if not product.allows_store(store):
        raise Conflict(f"This coupon cannot be used at store {store.code}.",
                       code="invalid_state", details={"store_codes": product.store_codes})
    if order_amount_fen is not None and order_amount_fen < coupon.min_spend_fen:
        raise Conflict(f"This coupon needs an order of at least {coupon.min_spend_fen} fen.",
                       code="invalid_state",
                       details={"min_spend_fen": coupon.min_spend_fen,
                                "order_amount_fen": order_amount_fen})


# --- what a member holds --------------------------------------------------------------------

def get_redemption(redemption_id: int, *, member_id=None) -> Redemption:
    redemption = db.session.get(Redemption, redemption_id, populate_existing=True)
    if redemption is None or (member_id is not None and redemption.member_id != member_id):
        raise NotFound(f"No redemption {redemption_id}.")
    return redemption


def my_redemptions(member_id: int, limit, cursor, status=None, with_coupons=True):
    """The member's redemptions, newest first; without `with_coupons`, their coupons are
    not read with them (one query fewer for a list that does not show them)."""
    stmt = select(Redemption).where(Redemption.member_id == member_id)
    if not with_coupons:
        stmt = stmt.options(lazyload(Redemption.coupons))
    if status:
        stmt = stmt.where(Redemption.status == status)
    return paginate(db.session, stmt.execution_options(populate_existing=True), Redemption.id,
                    limit=limit, cursor=cursor)


def my_coupons(member_id: int, limit, cursor, status=None):
    """The member's coupons, newest first; `status` unused | used | expired (an unused coupon
    past its expiry)."""
    now = clock.now()
    stmt = select(Coupon).where(Coupon.member_id == member_id)
    if status == "expired":
        stmt = stmt.where(Coupon.status == UNUSED, Coupon.expires_at <= now)
    elif status == UNUSED:
        stmt = stmt.where(Coupon.status == UNUSED, Coupon.expires_at > now)
    elif status:
        stmt = stmt.where(Coupon.status == status)
    page = paginate(db.session, stmt.execution_options(populate_existing=True), Coupon.id,
                    limit=limit, cursor=cursor)
    _add_usable_stores(page["items"])
    return page


def _add_usable_stores(coupons) -> None:
    """Set `usable_stores` on each coupon: its product's stores (empty = every store)."""
    ids = {c.product_id for c in coupons}
    products = {p.id: p for p in db.session.scalars(
        select(Product).where(Product.id.in_(ids)).options(selectinload(Product.stores)))} \
        if ids else {}
    for coupon in coupons:
        coupon.usable_stores = products[coupon.product_id].stores if coupon.product_id in products \
            else []


def redemptions_for_console(limit, cursor, *, member_no=None, product_id=None, status=None,
                            store_code=None, date_from=None, date_to=None):
    """Every redemption, newest first, for support staff (a merged member's number finds the
    member it joined); `store_code`: to be picked up or redeemed there; `date_from`,
    `date_to`: business dates it was made on (both included)."""
    member_id = member_by_no(member_no).id if member_no else None
    store_id = stores_service.get_store(store_code).id if store_code else None
    stmt = select(Redemption)
    for column, value in ((Redemption.member_id, member_id), (Redemption.product_id, product_id),
                          (Redemption.status, status), (Redemption.store_id, store_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    stmt = _between(stmt, Redemption.created_at, date_from, date_to)
    return paginate(db.session, stmt.execution_options(populate_existing=True), Redemption.id,
                    limit=limit, cursor=cursor)


def coupons_written_off(limit, cursor, *, store_code=None, member_no=None, product_id=None,
                        date_from=None, date_to=None):
    """Coupons used at a till, newest first: where (`store_code`), whose, of which product,
    on which business dates (both included)."""
    stmt = select(Coupon).where(Coupon.status == USED)
    if store_code:
        stmt = stmt.where(Coupon.used_store_id == stores_service.get_store(store_code).id)
    if member_no:
        stmt = stmt.where(Coupon.member_id == member_by_no(member_no).id)
    if product_id is not None:
        stmt = stmt.where(Coupon.product_id == product_id)
    stmt = _between(stmt, Coupon.used_at, date_from, date_to)
    return paginate(db.session, stmt, Coupon.id, limit=limit, cursor=cursor)


def _between(stmt, column, date_from, date_to):
    if date_from is not None:
        stmt = stmt.where(column >= clock.start_of_business_day(date_from))
    if date_to is not None:
        stmt = stmt.where(column < clock.start_of_business_day(date_to + timedelta(days=1)))
    return stmt
