"""The mall's sections of a member's data copy (members.privacy.export; wired by app.py)."""
from sqlalchemy import select

from core.db import db
from mall.models import Coupon, Redemption
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
