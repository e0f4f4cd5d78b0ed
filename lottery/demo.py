"""The demo lottery: 每日幸运抽奖, a month long, 50 points a draw, three a day, with points, the
demo mall's coupon and canvas bag, and 谢谢参与; one draw in the demo member's history."""
from datetime import timedelta

from sqlalchemy import select

from core import clock
from core.db import db
from core.errors import Conflict
from lottery import catalog, drawing
from lottery.models import Lottery, LotteryDraw
from mall.models import Product
from members.demo import demo_member

NAME = "每日幸运抽奖"


def _product_id(title):
    return db.session.scalar(select(Product.id).filter_by(title=title))


def _demo_lottery(now) -> dict:
    return {
        "name": NAME, "description": "每次 50 积分，每天 3 次；开奖可验证（种子承诺）",
        "cost_points": 50, "starts_at": now - timedelta(minutes=1),
        "ends_at": now + timedelta(days=30), "daily_limit": 3, "total_limit": None,
        "store_codes": [], "budget_points": 100_000,
        "prizes": [
            {"name": "100 积分", "kind": "points", "points": 100, "weight": 50, "stock": None},
            {"name": "10 元代金券", "kind": "coupon", "product_id": _product_id("10 元代金券"),
             "weight": 20, "stock": 100, "value_fen": 1000},
            {"name": "品牌帆布袋", "kind": "gift", "product_id": _product_id("品牌帆布袋"),
             "weight": 5, "stock": 20, "value_fen": 1500},
            {"name": "谢谢参与", "kind": "none", "weight": 125, "stock": None},
        ],
    }


def seed_demo() -> list[str]:
    """The demo lottery (once) and a draw by the demo member (once). Safe to rerun."""
    lottery = db.session.scalars(select(Lottery).filter_by(name=NAME)).first()
    if lottery is None:
        lottery = catalog.create_lottery(_demo_lottery(clock.now()))
    lines = [f"Demo lottery: {NAME} (id {lottery.id}): GET /api/v1/lotteries, POST "
             f"/api/v1/lotteries/{lottery.id}/draws with an Idempotency-Key; "
             f"flask --app app lottery verify {lottery.id}"]
    member = demo_member()
    if member is not None and db.session.scalars(
            select(LotteryDraw.id).filter_by(member_id=member.id)).first() is None:
        try:
            with db.session.begin_nested():
                drawn = drawing.draw(member, lottery.id, "demo-first-draw")
            lines.append(f"  demo member {member.member_no} drew: {drawn.draw.prize_name}")
        except Conflict as exc:
            lines.append(f"  demo member {member.member_no}: no demo draw ({exc.code})")
    return lines
