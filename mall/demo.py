"""The demo mall: a gift, a points+cash gift, a coupon, a virtual product and tonight's flash
sale, and a redemption in the demo member's history."""
from datetime import timedelta

from sqlalchemy import select

from core import clock
from core.db import db
from core.errors import Conflict, NotFound, ValidationFailed
from mall import cancellation, catalog, fulfilment, service, store_products
from mall.models import CANCELLED, USED, Coupon, Product, Redemption
from members.demo import demo_member
from stores.models import Staff
from wx import templates


def _demo_products(now):
    day = clock.business_date(now)
    evening = clock.start_of_business_day(day) + timedelta(hours=20)  # 20:00 business time
    if now >= evening + timedelta(hours=2):
        evening = clock.start_of_business_day(day + timedelta(days=1)) + timedelta(hours=20)
    return [
        {"title": "品牌帆布袋", "kind": "gift", "points_price": 300, "stock": 200,
         "category": "周边", "description": "到店领取；30 天内有效", "pickup_days": 30},
        {"title": "保温杯（积分+现金）", "kind": "gift", "points_price": 800,
         "cash_price_fen": 1990, "stock": 50, "per_member_limit": 2, "category": "周边",
         "store_codes": ["SH001"], "description": "到上海人民广场店领取时付 19.90 元"},
        {"title": "10 元代金券", "kind": "coupon", "points_price": 500, "stock": 1000,
         "category": "优惠券", "coupon": {"deduct_fen": 1000, "min_spend_fen": 5000,
                                         "valid_days": 30}},
        {"title": "公益捐赠 1 元", "kind": "virtual", "points_price": 100, "stock": 100000,
         "category": "公益"},
        {"title": "限时秒杀：招牌奶茶", "kind": "gift", "points_price": 50, "stock": 20,
         "per_member_limit": 1, "category": "秒杀", "starts_at": evening,
         "ends_at": evening + timedelta(hours=2), "description": "每晚 20:00 开抢，每人限 1 杯"},
    ]


STORE_GIFT = {"title": "SH001 门店手作曲奇", "kind": "gift", "points_price": 200, "stock": 30,
              "category": "门店特供", "store_codes": ["SH001"],
              "description": "上海人民广场店自制，仅限本店领取"}


def _store_gift() -> list[str]:
    """SH001's own gift, put on sale by its manager (when the store policy allows it)."""
    manager = db.session.scalars(select(Staff).filter_by(username="manager.sh")).first()
    if manager is None:
        return []
    if db.session.scalars(select(Product).filter_by(title=STORE_GIFT["title"])).first() is None:
        try:
            with db.session.begin_nested():
                store_products.create_product(dict(STORE_GIFT), manager)
        except ValidationFailed:
            return ["  SH001's own gift: not allowed by the store policy"]
    return [f"Store product: {STORE_GIFT['title']} (SH001's own gift, run by manager.sh)"]


def seed_demo() -> list[str]:
    """Demo mall: a gift, a points+cash gift, a coupon, a virtual product and tonight's flash
    sale; a redemption in the demo member's history when there is one. Safe to rerun."""
    now = clock.now()
    for data in _demo_products(now):
        if db.session.scalars(select(Product).filter_by(title=data["title"])).first() is None:
            catalog.create_product(data)
    lines = _store_gift()
    lines += ["Demo mall: 品牌帆布袋 (gift), 保温杯 (points + cash), 10 元代金券 (coupon), "
             "公益捐赠 (virtual), 限时秒杀 (flash sale 20:00-22:00;",
             "  GET /api/v1/mall/products?upcoming=true lists it before it starts)."]
    member = demo_member()
    if member is not None and db.session.scalars(
            select(Redemption.id).filter_by(member_id=member.id)).first() is None:
        bag = db.session.scalars(select(Product).filter_by(title="品牌帆布袋")).first()
        try:
            with db.session.begin_nested():
                redemption = service.redeem(member, bag.id, 1)
            lines.append(f"  demo member {member.member_no} redeemed {bag.title}: "
                         f"pickup code {redemption.pickup_code}")
        except Conflict as exc:
            lines.append(f"  demo member {member.member_no}: no demo redemption ({exc.code})")
    return lines + _console_history(member)


def _console_history(member) -> list[str]:
    """What the console's mall pages show on a fresh demo: a delivery of canvas bags with its
    reason (stock history), a coupon written off at SH001, a gift cancelled at the counter."""
    bag = db.session.scalars(select(Product).filter_by(title="品牌帆布袋")).first()
    if bag is not None and not catalog.stock_history(bag.id, 1):
        catalog.adjust_stock(bag.id, 50, "到货补充：第二批 50 个帆布袋")
    if member is None:
        return []
    lines = []
    cancelled = db.session.scalars(select(Redemption.id).filter_by(
        member_id=member.id, status=CANCELLED, cancelled_by="staff")).first()
    if cancelled is None:  # first: its points come back
        lines += _cancelled_gift(member)
    used = db.session.scalars(select(Coupon.id).filter_by(member_id=member.id, status=USED)).first()
    cashier = db.session.scalars(select(Staff).filter_by(username="cashier.sh")).first()
    if used is None and cashier is not None:
        lines += _written_off_coupon(member, cashier)
    return lines


def _written_off_coupon(member, cashier) -> list[str]:
    product = db.session.scalars(select(Product).filter_by(title="10 元代金券")).first()
    try:
        with db.session.begin_nested():
            code = service.redeem(member, product.id, 1).coupons[0].code
            fulfilment.use_coupon(code, "SH001", cashier, order_amount_fen=6800)
    except (Conflict, NotFound) as exc:
        return [f"  demo member {member.member_no}: no coupon written off ({exc.code})"]
    return [f"  demo member {member.member_no}: coupon {code} written off at SH001"]


def _cancelled_gift(member) -> list[str]:
    product = db.session.scalars(select(Product).filter_by(title="品牌帆布袋")).first()
    try:
        with db.session.begin_nested():
            redemption = service.redeem(member, product.id, 1, "SH001")
            cancellation.cancel_by_staff(redemption.id, "顾客改选其他礼品")
    except Conflict as exc:
        return [f"  demo member {member.member_no}: no cancelled gift ({exc.code})"]
    return [f"  demo member {member.member_no}: gift {redemption.id} cancelled at the counter "
            "(points and stock returned)"]


#: the mall's subscribe messages (the fake WeChat's account has these templates)
DEMO_TEMPLATES = [
    {"purpose": "pickup_reminder", "template_id": "demo-pickup-reminder",
     "page": "pages/index/index", "tip": "礼品即将过期，请尽快到店领取",
     "fields": {"thing1": "product", "character_string2": "pickup_code", "date3": "deadline",
                "thing4": "store"}},
    {"purpose": "coupon_expiring", "template_id": "demo-coupon-expiring",
     "page": "pages/index/index", "tip": "优惠券即将过期",
     "fields": {"thing1": "coupon", "date2": "expiry_date", "amount3": "deduct", "thing4": "tip"}},
]


def seed_reminder_templates() -> list[str]:
    for data in DEMO_TEMPLATES:
        if templates.active_template(data["purpose"]) is None:
            templates.create_template(dict(data), check_wechat=False)
    return ["Mall reminders: pickup_reminder and coupon_expiring templates (GET "
            "/api/v1/subscribe-templates), sent daily at 10:00 three days before the deadline."]
