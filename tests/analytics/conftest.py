"""Analytics fixtures: orders written straight into the orders table (the scoring reads only
that table), at business-time moments."""
import itertools
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from core import clock
from core.db import db
from points.earning.models import Order

SHANGHAI = ZoneInfo("Asia/Shanghai")
_order_no = itertools.count(1)


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """A business-time (Shanghai) moment, as UTC."""
    return datetime.combine(day, time(hour, minute), SHANGHAI).astimezone(timezone.utc)


@pytest.fixture
def buy():
    """buy(member, store, day, amount_fen=10000, hour=12, refunded_fen=0): one paid order."""

    def make(member, store, day, amount_fen=10000, *, hour=12, minute=0, refunded_fen=0,
             items=None):
        moment = at(day, hour, minute)
        db.session.execute(insert(Order.__table__), {
            "store_id": store.id, "order_no": f"A{next(_order_no):08d}", "member_id": member.id,
            "amount_fen": amount_fen, "items": items or [], "paid_at": moment,
            "request_hash": "0" * 64, "source": "pos", "points_earned": amount_fen // 100,
            "breakdown": [], "balance_after": 0, "refunded_fen": refunded_fen,
            "points_reversed": 0, "created_at": moment})
        db.session.commit()

    return make


@pytest.fixture
def members(factory):
    """members(n) → n new members registered a year before the fixtures' dates."""

    def make(n):
        clock.set(datetime(2025, 1, 1, tzinfo=timezone.utc))
        made = [factory.member() for _ in range(n)]
        clock.set(None)
        return made

    return make


@pytest.fixture
def coupon_product(app):
    """coupon_product(valid_days=7) → a committed mall coupon product (catalog service)."""
    from mall import catalog

    def make(valid_days=7, stock=10):
        made = catalog.create_product({
            "title": f"coupon {next(_order_no)}", "kind": "coupon", "points_price": 100,
            "stock": stock, "coupon": {"deduct_fen": 1000, "min_spend_fen": 5000,
                                       "valid_days": valid_days}})
        db.session.commit()
        return made

    return make
