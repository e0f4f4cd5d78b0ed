"""`flask --app app mall …`: rebuild the stock gate, expire unpicked gifts; the demo mall."""
import logging
from datetime import date, datetime, timedelta

import click

from core import clock
from core.db import run_in_transaction
from core.errors import Conflict
from mall import cancellation, service, stock_gate

log = logging.getLogger(__name__)
mall_cli = click.Group("mall", help="The points mall: stock gate, unpicked gifts.")


def run_gate_rebuild(chunk: int = 500) -> int:
    """Copy every product's stock into the Redis gate, a chunk per transaction."""
    total, cursor = 0, 0
    while cursor is not None:
        done, cursor = run_in_transaction(lambda c=cursor: stock_gate.rebuild_chunk(c, chunk))
        total += done
    return total


def run_pickup_expiry(now: datetime, chunk: int = 200) -> int:
    """Cancel (as `expired`) every gift whose pickup deadline passed by `now`, points and
    stock returned: one transaction per redemption, so it never holds two members' rows and
    can be killed and rerun. Returns how many it expired."""
    expired = 0
    while ids := run_in_transaction(lambda: cancellation.due_unpicked(now, chunk)):
        for redemption_id in ids:
            try:
                run_in_transaction(lambda i=redemption_id: cancellation.expire_unpicked(i, now))
                expired += 1
            except Conflict:  # picked up or cancelled meanwhile
                log.info("redemption %s changed before it could expire", redemption_id)
        if len(ids) < chunk:
            break
    return expired


@mall_cli.command("rebuild-gate")
def rebuild_gate_command():
    """Set the Redis stock gate of every product from the database (the truth)."""
    click.echo(f"stock gate rebuilt for {run_gate_rebuild()} products")


@mall_cli.command("expire-pickups")
@click.option("--as-of", help="YYYY-MM-DD: gifts whose deadline passed by the end of that "
                              "business day (default: now)")
def expire_pickups_command(as_of):
    """Cancel gifts not picked up by their deadline and return their points and stock."""
    now = clock.end_of_business_day(date.fromisoformat(as_of)) if as_of else clock.now()
    click.echo(f"expired {run_pickup_expiry(now)} unpicked gifts")


def register(app):
    app.cli.add_command(mall_cli)


# --- demo -----------------------------------------------------------------------------------

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


def _demo_member():
    """The identity domain's demo member, when it offers one (members.cli.demo_member)."""
    try:
        from members import cli as members_cli
    except ImportError:
        return None
    finder = getattr(members_cli, "demo_member", None)
    return finder() if finder else None


def seed_demo() -> list[str]:
    """Demo mall: a gift, a points+cash gift, a coupon, a virtual product and tonight's flash
    sale; a redemption in the demo member's history when there is one. Safe to rerun."""
    from sqlalchemy import select

    from core.db import db
    from mall import catalog
    from mall.models import Product, Redemption

    now = clock.now()
    for data in _demo_products(now):
        if db.session.scalars(select(Product).filter_by(title=data["title"])).first() is None:
            catalog.create_product(data)
    lines = ["Demo mall: 品牌帆布袋 (gift), 保温杯 (points + cash), 10 元代金券 (coupon), "
             "公益捐赠 (virtual), 限时秒杀 (flash sale 20:00-22:00;",
             "  GET /api/v1/mall/products?upcoming=true lists it before it starts)."]
    member = _demo_member()
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
    return lines
