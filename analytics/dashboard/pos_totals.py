"""What a store's POS counts for a business day, every order with or without a member: the
denominator of the dashboard's member share. The last report of a day wins."""
from datetime import date

from sqlalchemy import select

from core import clock
from core.db import db
from core.errors import ValidationFailed
from analytics.dashboard.models import PosDayTotal


def report_day(store, day: date, orders: int, amount_fen: int) -> dict:
    if day > clock.business_date():
        raise ValidationFailed("A day not begun yet.", details={"date": ["Not in the future."]})
    row = db.session.scalars(select(PosDayTotal).filter_by(store_id=store.id, day=day)
                             .with_for_update()).one_or_none()
    if row is None:
        row = PosDayTotal(store_id=store.id, day=day)
        db.session.add(row)
    row.orders, row.amount_fen, row.reported_at = orders, amount_fen, clock.now()
    db.session.flush()
    return {"store_code": store.code, "date": day, "orders": orders, "amount_fen": amount_fen}
