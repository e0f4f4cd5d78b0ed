"""The mall in what a member sees of their data elsewhere: their data copy
(members.privacy.export) and the titles of their points history (points.ledger.sources);
wired by app.py."""
from sqlalchemy import select

from core.db import db
from mall.models import Coupon, MallReminder, Redemption
from members.privacy.export import plain, plain_rows

REDEMPTION_FIELDS = ("id", "product_id", "title", "kind", "quantity", "points", "cash_fen",
                     "status", "pickup_code", "pickup_expires_at", "created_at", "fulfilled_at",
                     "cancelled_at", "cancel_reason")
COUPON_FIELDS = ("code", "title", "deduct_fen", "min_spend_fen", "status", "expires_at",
                 "created_at", "used_at")


def redemptions(member) -> list[dict]:
    rows = db.session.scalars(select(Redemption).where(Redemption.member_id == member.id)
                              .order_by(Redemption.id))
    return [{**plain(r, REDEMPTION_FIELDS), "store_code": r.store.code if r.store else None}
            for r in rows]


def coupons(member) -> list[dict]:
    return plain_rows(db.session.scalars(select(Coupon).where(Coupon.member_id == member.id)
                                         .order_by(Coupon.id)), COUPON_FIELDS)


def titles(redemption_ids) -> dict:
    """redemption id → what the points history shows for it: 兑换 <product> ×2."""
    rows = db.session.execute(select(Redemption.id, Redemption.title, Redemption.quantity)
                              .where(Redemption.id.in_([int(i) for i in redemption_ids]))).all()
    return {i: f"兑换 {title}" + (f" ×{q}" if q > 1 else "") for i, title, q in rows}


def reminders(member) -> list[dict]:
    """The pickup and coupon reminders sent (or tried) to the member."""
    return plain_rows(db.session.scalars(select(MallReminder).where(
        MallReminder.member_id == member.id).order_by(MallReminder.id)),
        ("purpose", "subject_id", "template_id", "status", "created_at"))
