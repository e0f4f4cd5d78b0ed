"""Cancelling a gift not yet picked up (by the member, by staff, or by the unpicked-gift sweep):
points back to the lots they came from, stock and the member's counter returned, once (a
prize's gift returns neither: whoever awarded it hears `redemption.cancelled`).
Locks in mall.service's order: the redemption row, then the account, counter, product."""
from datetime import datetime

from sqlalchemy import select, update

from core import audit, clock, events
from core.db import after_commit, db
from core.errors import Conflict
from mall import stock_gate
from mall.fulfilment import get_redemption
from mall.models import (CANCELLED, EXPIRED, MALL, PENDING, MemberProductCount, Product,
                         Redemption)
from points import ledger


def cancel(redemption_id: int, *, by: str, member_id=None, reason=None,
           status: str = CANCELLED, now: datetime | None = None) -> Redemption:
    """Cancel a gift not yet picked up: the points go back to the lots they came from, the
    stock and the member's counter are returned. Once: a second (or concurrent) cancel gets
    409 invalid_state. `member_id` limits it to that member's redemptions (404 otherwise)."""
    redemption = get_redemption(redemption_id, member_id=member_id)
    now = now or clock.now()
    claimed = db.session.execute(
        update(Redemption).where(Redemption.id == redemption.id, Redemption.status == PENDING)
        .values(status=status, cancelled_at=now, cancelled_by=by, cancel_reason=reason,
                open_pickup_code=None)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(redemption)
    if claimed == 0:
        raise Conflict(f"This redemption is {redemption.status}; only a gift not yet picked up "
                       "can be cancelled.", code="invalid_state",
                       details={"status": redemption.status})
    if redemption.origin == MALL:
        ledger.reverse(redemption.entry_id, key=f"redemption:{redemption.id}:cancel",
                       reason=reason)
        _return_units(redemption)
    events.emit("redemption.cancelled", redemption=redemption)
    return redemption


def _return_units(redemption) -> None:
    row, q = MemberProductCount, redemption.quantity
    db.session.execute(
        update(row).where(row.product_id == redemption.product_id,
                          row.member_id == redemption.member_id, row.units >= q)
        .values(units=row.units - q).execution_options(synchronize_session=False))
    db.session.execute(
        update(Product).where(Product.id == redemption.product_id)
        .values(stock_left=Product.stock_left + q).execution_options(synchronize_session=False))
    product_id = redemption.product_id
    after_commit(lambda: stock_gate.give(product_id, q))


def cancel_by_staff(redemption_id: int, reason: str) -> Redemption:
    """Staff cancel a gift not yet picked up (a customer at the counter, a lost parcel), with
    a reason; audited."""
    redemption = cancel(redemption_id, by="staff", reason=reason)
    audit.record("redemption.cancel", "redemption", redemption.id, reason=reason,
                 before={"status": PENDING},
                 after={"status": redemption.status, "points_returned": redemption.points})
    return redemption


def expire_unpicked(redemption_id: int, now: datetime) -> Redemption:
    """The unpicked-gift policy for one gift past its pickup deadline: cancelled as
    `expired`, points, stock and limit returned."""
    return cancel(redemption_id, by="system", reason="未在领取期限内到店领取，积分已退回",
                  status=EXPIRED, now=now)


def due_unpicked(now: datetime, limit: int = 500) -> list[int]:
    """Ids of pending gifts whose pickup deadline has passed (oldest deadline first)."""
    return list(db.session.scalars(
        select(Redemption.id).where(Redemption.status == PENDING,
                                    Redemption.pickup_expires_at <= now)
        .order_by(Redemption.pickup_expires_at, Redemption.id).limit(limit)))
