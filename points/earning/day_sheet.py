"""A store's day at the till, for the shift's check-out sheet: the orders, refunds and cash
deductions recorded at one store on one business date, and their totals. Reads only, each by
an index on (store, time): one day of one store, never its history."""
from datetime import date, timedelta

from sqlalchemy import func, select

from core import clock
from core.db import db
from members.models import Member
from points.earning.models import Deduction, Order, OrderRefund


def _day(day: date):
    return clock.start_of_business_day(day), clock.start_of_business_day(day + timedelta(days=1))


def orders(store_id: int, day: date, limit: int | None = None) -> list:
    """Rows (order_no, member_no, amount_fen, points_earned, refunded_fen, source,
    created_at), in the order they were recorded."""
    start, end = _day(day)
    return db.session.execute(
        select(Order.order_no, Member.member_no, Order.amount_fen, Order.points_earned,
               Order.refunded_fen, Order.source, Order.created_at)
        .join(Member, Member.id == Order.member_id)
        .where(Order.store_id == store_id, Order.created_at >= start, Order.created_at < end)
        .order_by(Order.created_at, Order.id).limit(limit)).all()


def refunds(store_id: int, day: date, limit: int | None = None) -> list:
    """Rows (order_no, refund_no, amount_fen, points_reversed, deduction_points_returned,
    created_at) of refunds recorded that day of this store's orders."""
    start, end = _day(day)
    return db.session.execute(
        select(Order.order_no, OrderRefund.refund_no, OrderRefund.amount_fen,
               OrderRefund.points_reversed, OrderRefund.deduction_points_returned,
               OrderRefund.created_at)
        .join(Order, Order.id == OrderRefund.order_id)
        .where(Order.store_id == store_id, OrderRefund.created_at >= start,
               OrderRefund.created_at < end)
        .order_by(OrderRefund.created_at, OrderRefund.id).limit(limit)).all()


def deductions(store_id: int, day: date, limit: int | None = None) -> list:
    """Rows (order_no, member_no, amount_fen, points, deduct_fen, points_returned, created_at)."""
    start, end = _day(day)
    return db.session.execute(
        select(Deduction.order_no, Member.member_no, Deduction.amount_fen, Deduction.points,
               Deduction.deduct_fen, Deduction.points_returned, Deduction.created_at)
        .join(Member, Member.id == Deduction.member_id)
        .where(Deduction.store_id == store_id, Deduction.created_at >= start,
               Deduction.created_at < end)
        .order_by(Deduction.created_at, Deduction.id).limit(limit)).all()


def totals(store_id: int, day: date) -> dict:
    """Counts and sums of the day, whatever the number of rows."""
    start, end = _day(day)
    order_count, sales_fen, points = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Order.amount_fen), 0),
               func.coalesce(func.sum(Order.points_earned), 0))
        .where(Order.store_id == store_id, Order.created_at >= start,
               Order.created_at < end)).one()
    refund_count, refunded_fen, reversed_points = db.session.execute(
        select(func.count(), func.coalesce(func.sum(OrderRefund.amount_fen), 0),
               func.coalesce(func.sum(OrderRefund.points_reversed), 0))
        .join(Order, Order.id == OrderRefund.order_id)
        .where(Order.store_id == store_id, OrderRefund.created_at >= start,
               OrderRefund.created_at < end)).one()
    deduction_count, deducted_fen, deducted_points = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Deduction.deduct_fen), 0),
               func.coalesce(func.sum(Deduction.points), 0))
        .where(Deduction.store_id == store_id, Deduction.created_at >= start,
               Deduction.created_at < end)).one()
    return {"orders": order_count, "sales_fen": int(sales_fen), "points_earned": int(points),
            "refunds": refund_count, "refunded_fen": int(refunded_fen),
            "points_reversed": int(reversed_points), "deductions": deduction_count,
            "deducted_fen": int(deducted_fen), "deducted_points": int(deducted_points)}
