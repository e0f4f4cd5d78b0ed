"""What a store's POS counts for a business day, every order with or without a member: the
denominator of the dashboard's member share. The last report of a day wins."""
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import clock
from core.db import db
from core.errors import ValidationFailed
from analytics.dashboard.models import PosDayTotal


def report_day(store, day: date, orders: int, amount_fen: int) -> dict:
    if day > clock.business_date():
        raise ValidationFailed("A day not begun yet.", details={"date": ["Not in the future."]})
    row = _locked_row(store.id, day)
    row.orders, row.amount_fen, row.reported_at = orders, amount_fen, clock.now()
    db.session.flush()
    return {"store_code": store.code, "date": day, "orders": orders, "amount_fen": amount_fen}


def _locked_row(store_id: int, day: date) -> PosDayTotal:
    """The store's row for the day, created if missing and locked: two first reports of a day
    at once both land on one row (the primary key decides), the later count winning."""
    query = (select(PosDayTotal).filter_by(store_id=store_id, day=day).with_for_update()
             .execution_options(populate_existing=True))
    if (row := db.session.scalars(query).one_or_none()) is not None:
        return row
    try:
        with db.session.begin_nested():
            db.session.add(PosDayTotal(store_id=store_id, day=day, orders=0, amount_fen=0,
                                       reported_at=clock.now()))
    except IntegrityError:
        pass  # the other report created it
    return db.session.scalars(query).one()
