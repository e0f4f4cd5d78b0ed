"""Demo earning: an earn rule, two promotions, and till orders for the demo member."""
from datetime import timedelta

from sqlalchemy import select

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
    return ["Earning: tea earns double everywhere; double points on Wednesdays at SH001; "
            "spend ¥500, get 500 more (/admin/earn-rules, /admin/promotions); the demo member "
            "has till orders at SH001 and BJ001 (POST /api/v1/pos/orders with the demo POS key)."]
