"""Demo earning: an earn rule, two promotions, till orders for the demo member, and four weeks
of till orders by customers registered at the tills (what a promotion's cost preview replays)."""
import random
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from core import clock
from core.db import db
from points.earning import orders, promotions
from points.earning.models import EarnRule, Order, Promotion
from stores.models import Store

DEMO_ORDERS = [("SH001", "DEMO-SH-0001", 4800, [{"sku": "MT-01", "category": "tea",
                                                  "amount_fen": 3200, "quantity": 2}]),
               ("BJ001", "DEMO-BJ-0001", 2600, [])]


def seed_demo() -> list[str]:
    now = clock.now()
    if db.session.scalars(select(EarnRule)).first() is None:
        promotions.save_rule({"category": "tea", "multiplier_percent": 200, "store_codes": []})
    if db.session.scalars(select(Promotion)).first() is None:
        promotions.save_promotion({"name": "SH001 周三双倍积分", "multiplier_percent": 200,
                                   "store_codes": ["SH001"], "weekdays": [3],
                                   "starts_at": now, "ends_at": now + timedelta(days=365)})
        promotions.save_promotion({"name": "满500送500", "bonus_points": 500,
                                   "min_amount_fen": 50000, "starts_at": now,
                                   "ends_at": now + timedelta(days=365)})
    from members.demo import demo_member

    member = demo_member()
    if member is not None:
        for store_code, order_no, amount, items in DEMO_ORDERS:
            store = db.session.scalars(select(Store).filter_by(code=store_code)).one()
            if db.session.scalars(select(Order).filter_by(order_no=order_no)).first() is None:
                orders.record_order(store, {"order_no": order_no, "amount_fen": amount,
                                            "items": items, "member_no": member.member_no},
                                    source="pos")
    recent = _recent_orders()
    return [f"Earning: {recent} till orders of {SHOPPERS} customers over the last 4 weeks "
            "(for the promotion cost preview on /console/earning); tea earns double everywhere; "
            "double points on Wednesdays at SH001; "
            "spend ¥500, get 500 more (/admin/earn-rules, /admin/promotions); the demo member "
            "has till orders at SH001 and BJ001 (POST /api/v1/pos/orders with the demo POS key)."]


SHOPPERS = 30
CATEGORIES = ("coffee", "bakery", "juice")  # not tea: analytics.demo gives tea lovers a coupon


def _recent_orders() -> int:
    """Orders at the demo stores on the last 28 business days, by customers the tills register
    by phone (through the till's own path: ledger and tiers as a real order)."""
    if db.session.scalars(select(Order).filter_by(order_no="DEMO-R-0001")).first() is not None:
        return db.session.scalar(select(func.count()).where(Order.order_no.like("DEMO-R-%")))
    stores = db.session.scalars(select(Store).where(Store.code.in_(("SH001", "BJ001")))
                                .order_by(Store.code)).all()
    picks, today, n = random.Random(19), clock.business_date(), 0
    for shopper in range(SHOPPERS):
        for _visit in range(picks.randint(1, 5)):
            n += 1
            day = today - timedelta(days=picks.randint(1, 28))
            paid_at = datetime.combine(day, time(picks.randint(9, 21), picks.randint(0, 59)),
                                       clock.business_tz())
            amount = picks.choice((1800, 2600, 3500, 4800, 6800, 12800, 52000))
            category = picks.choice(CATEGORIES)
            orders.record_order(picks.choice(stores), {
                "order_no": f"DEMO-R-{n:04d}", "amount_fen": amount, "paid_at": paid_at,
                "phone": f"1370000{shopper:04d}",
                "items": [{"sku": f"{category}-1", "category": category, "amount_fen": amount,
                           "quantity": 1}]}, source="pos")
    return n
