"""Writing what a member receives — the redemption row (a gift's pickup code) and its coupons —
with Core statements and no re-reads, for a redemption bought with points and for a prize
(`award`: a lottery's gift or coupon, handed over and written off exactly like the mall's).

Rows are inserted as complete ORM objects (core.db.insert_row), so a response dumps them
without another query.
"""
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from core import clock
from core.db import db, insert_row, mark_written
from mall.models import FULFILLED, PENDING, PRIZE, UNUSED, Coupon, Redemption

CODE_ATTEMPTS = 5

_redemptions = Redemption.__table__
_set_entry = (update(_redemptions).where(_redemptions.c.id == bindparam("redemption"))
              .values(entry_id=bindparam("entry")))


def open_redemption(member_id, product, quantity, points, cash_fen, store, now, *,
                    origin) -> Redemption:
    """Insert the redemption of `quantity` units: a gift pending pickup with its code, anything
    else fulfilled at once (a coupon's coupons follow: issue_coupons)."""
    gift = product.kind == "gift"
    redemption = Redemption(
        member_id=member_id, product_id=product.id, title=product.title, kind=product.kind,
        quantity=quantity, points=points, cash_fen=cash_fen, origin=origin,
        status=PENDING if gift else FULFILLED, store_id=store.id if store else None,
        pickup_code=None, open_pickup_code=None, entry_id=None, created_at=now,
        pickup_expires_at=clock.end_of_business_day(
            clock.business_date(now) + timedelta(days=product.pickup_days)) if gift else None,
        fulfilled_at=None if gift else now, fulfilled_store_id=None, fulfilled_by_id=None,
        cancelled_at=None, cancelled_by=None, cancel_reason=None)
    _insert_with_code(redemption, _set_pickup_code if gift else None)
    set_committed_value(redemption, "store", store)
    set_committed_value(redemption, "coupons", [])
    return redemption


def record_entry(redemption, entry_id: int) -> None:
    """The ledger entry that paid for the redemption (reversed if it is cancelled)."""
    db.session.execute(_set_entry, {"redemption": redemption.id, "entry": entry_id})
    mark_written(redemption, entry_id=entry_id)


def issue_coupons(redemption, product, now) -> None:
    """A coupon product's coupons, one per unit, each with its own code."""
    expires_at = clock.end_of_business_day(clock.business_date(now)
                                           + timedelta(days=product.coupon_valid_days))
    coupons = [_insert_with_code(Coupon(
        member_id=redemption.member_id, redemption_id=redemption.id, product_id=product.id,
        title=product.title, deduct_fen=product.coupon_deduct_fen,
        min_spend_fen=product.coupon_min_spend_fen or 0, status=UNUSED, expires_at=expires_at,
        created_at=now, used_at=None, used_store_id=None, used_by_id=None,
        order_amount_fen=None), _set_coupon_code) for _ in range(redemption.quantity)]
    set_committed_value(redemption, "coupons", coupons)


def award(member_id: int, product, *, store=None, now=None) -> Redemption:
    """A prize: one unit of a gift or coupon product for no points, recorded as a redemption of
    origin `prize` — a gift waits for pickup with its code, verified at the till like any gift;
    a coupon is issued at once. Takes none of the product's stock or the member's limit (the
    prize's own stock is the awarder's); cancelling it returns neither."""
    now = now or clock.now()
    redemption = open_redemption(member_id, product, 1, 0, 0, store, now, origin=PRIZE)
    if product.kind == "coupon":
        issue_coupons(redemption, product, now)
    return redemption


def _set_pickup_code(redemption) -> None:
    #: 10 random digits: 10^10 codes, read aloud in three groups; unique while open
    redemption.pickup_code = redemption.open_pickup_code = f"{secrets.randbelow(10**10):010d}"


def _set_coupon_code(coupon) -> None:
    coupon.code = f"{secrets.randbelow(10**12):012d}"


def _insert_with_code(row, set_code):
    """Insert `row` with a fresh random code, drawing again on the (rare) collision. A failed
    INSERT undoes only itself (MariaDB, SQLite): no savepoint needed."""
    for _ in range(CODE_ATTEMPTS if set_code else 1):
        if set_code:
            set_code(row)
        try:
            return insert_row(row)
        except IntegrityError:
            if set_code is None:
                raise
    raise RuntimeError(f"no free code after {CODE_ATTEMPTS} draws")
