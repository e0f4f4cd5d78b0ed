"""The mall's commands and jobs: the demo seed, the gate rebuild, the unpicked-gift sweep."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from core import clock
from core.cli import seed_demo_data
from core.db import db
from mall import catalog, jobs, stock_gate
from mall.models import Coupon, Product, Redemption
from tests.mall.conftest import redeem
from tests.mall.test_stock_gate import gate

SH = timezone(timedelta(hours=8))


def test_seed_demo_makes_every_kind_and_can_run_again(app, factory, monkeypatch):
    member = factory.member(points=1000)
    monkeypatch.setattr("members.demo.seed_demo", lambda: [])
    monkeypatch.setattr("mall.demo.demo_member", lambda: member)
    lines = seed_demo_data()
    assert any("Demo mall" in line for line in lines)
    assert any(member.member_no in line and "pickup code" in line for line in lines)
    seed_demo_data()
    kinds = db.session.execute(select(Product.kind, func.count()).group_by(Product.kind)).all()
    assert dict(kinds) == {"gift": 4, "coupon": 1, "virtual": 1}  # SH001's own gift too
    flash = db.session.scalars(select(Product).where(Product.starts_at.is_not(None))).one()
    assert flash.ends_at - flash.starts_at == timedelta(hours=2)
    # the console's history: a coupon written off, a gift cancelled at the counter — once
    statuses = db.session.execute(select(Redemption.status, func.count())
                                  .group_by(Redemption.status)).all()
    assert dict(statuses) == {"pending": 1, "fulfilled": 1, "cancelled": 1}
    assert db.session.scalars(select(Coupon.status)).all() == ["used"]
    bag = db.session.scalars(select(Product).filter_by(title="品牌帆布袋")).one()
    assert [e.reason for e in catalog.stock_history(bag.id)] == ["到货补充：第二批 50 个帆布袋"]


def test_the_jobs_rebuild_the_gate_and_expire_unpicked_gifts(member_client, product):
    clock.set(datetime(2026, 5, 1, 12, tzinfo=SH))
    gift, other = product(pickup_days=1), product(stock=4)
    me = member_client(points=500)
    redeem(me, gift.id)
    stock_gate.set_stock(other.id, 0)
    assert jobs.rebuild_gate() == {"products": 2}
    assert gate(other) == 4 and gate(gift) == 9
    clock.set(datetime(2026, 5, 3, 0, 0, tzinfo=SH))
    assert jobs.expire_pickups() == {"redemptions_expired": 1}
    assert jobs.expire_pickups() == {"redemptions_expired": 0}
    assert gate(gift) == 10
