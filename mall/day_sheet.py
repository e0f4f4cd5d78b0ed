"""What a store handed over on one business date, for the shift's check-out sheet: gifts
picked up and coupons written off there. Reads only, by (store, time) indexes."""
from datetime import date, timedelta

from sqlalchemy import func, select

from core import clock
from core.db import db
from mall.models import Coupon, Redemption
from members.models import Member


def _day(day: date):
    return clock.start_of_business_day(day), clock.start_of_business_day(day + timedelta(days=1))


def pickups(store_id: int, day: date, limit: int | None = None) -> list:
    """Rows (pickup_code, member_no, title, quantity, cash_fen, fulfilled_at)."""
    start, end = _day(day)
    return db.session.execute(
        select(Redemption.pickup_code, Member.member_no, Redemption.title, Redemption.quantity,
               Redemption.cash_fen, Redemption.fulfilled_at)
        .join(Member, Member.id == Redemption.member_id)
        .where(Redemption.fulfilled_store_id == store_id, Redemption.fulfilled_at >= start,
               Redemption.fulfilled_at < end)
        .order_by(Redemption.fulfilled_at, Redemption.id).limit(limit)).all()


def coupons(store_id: int, day: date, limit: int | None = None) -> list:
    """Rows (code, member_no, title, deduct_fen, order_amount_fen, used_at)."""
    start, end = _day(day)
    return db.session.execute(
        select(Coupon.code, Member.member_no, Coupon.title, Coupon.deduct_fen,
               Coupon.order_amount_fen, Coupon.used_at)
        .join(Member, Member.id == Coupon.member_id)
        .where(Coupon.used_store_id == store_id, Coupon.used_at >= start, Coupon.used_at < end)
        .order_by(Coupon.used_at, Coupon.id).limit(limit)).all()


def totals(store_id: int, day: date) -> dict:
    start, end = _day(day)
    pickup_count, cash_fen = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Redemption.cash_fen), 0))
        .where(Redemption.fulfilled_store_id == store_id, Redemption.fulfilled_at >= start,
               Redemption.fulfilled_at < end)).one()
    coupon_count, coupon_fen = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Coupon.deduct_fen), 0))
        .where(Coupon.used_store_id == store_id, Coupon.used_at >= start,
               Coupon.used_at < end)).one()
    return {"pickups": pickup_count, "pickup_cash_fen": int(cash_fen),
            "coupons": coupon_count, "coupon_fen": int(coupon_fen)}
