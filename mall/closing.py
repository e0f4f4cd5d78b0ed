"""What a deleted account held in the mall ends with it: gifts not yet picked up are cancelled
(points and stock returned before the ledger forfeits the balance), unused coupons voided."""
from sqlalchemy import select, update

from core import events
from core.db import db
from mall import cancellation
from mall.models import PENDING, UNUSED, VOID, Coupon, Redemption

REASON = "账户注销"


def cancel_pending_gifts(member_id: int) -> int:
    """Cancel every gift of the member waiting for pickup (by the system); returns how many."""
    ids = list(db.session.scalars(select(Redemption.id).where(
        Redemption.member_id == member_id, Redemption.status == PENDING).order_by(Redemption.id)))
    for redemption_id in ids:
        cancellation.cancel(redemption_id, by="system", reason=REASON)
    return len(ids)


def void_coupons(member_id: int) -> int:
    """Void the member's unused coupons (expired ones too: none can be used again)."""
    return db.session.execute(
        update(Coupon).where(Coupon.member_id == member_id, Coupon.status == UNUSED)
        .values(status=VOID)
        .execution_options(synchronize_session=False)).rowcount


@events.subscribe("member.deleting")
def on_member_deleting(member):
    cancel_pending_gifts(member.id)
    void_coupons(member.id)
