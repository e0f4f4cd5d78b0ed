"""analytics' part of seed-demo: tags, automations, scores as of today; safe to run again."""
from datetime import timedelta

from sqlalchemy import func, select

from core import clock
from core.db import db
from analytics import demo
from analytics.models import CHAIN, MemberSegment
from analytics.tags.models import Automation, AutomationAction, Tag, TagMember
from mall.models import Product


def test_the_demo_scores_tags_and_acts_once(factory, buy, monkeypatch, coupon_product):
    from mall.models import Coupon

    db.session.get(Product, coupon_product().id).title = demo.DEMO_COUPON
    store = factory.store()
    member = factory.member()
    buy(member, store, clock.business_date() - timedelta(days=3), amount_fen=88800,
        items=[{"sku": "MT-01", "category": "tea", "amount_fen": 88800, "quantity": 1}])
    monkeypatch.setattr("members.demo.demo_member", lambda: member)
    lines = demo.seed_demo()
    demo.seed_demo()
    assert "高价值客户" in lines[0]
    assert db.session.scalar(select(func.count()).select_from(Tag)) == 4  # and 流失风险
    assert db.session.scalar(select(func.count()).select_from(Automation)) == 3  # and 流失提醒
    segment = db.session.get(MemberSegment, (CHAIN, member.id)).segment
    assert segment == "new"
    tag_ids = set(db.session.scalars(select(TagMember.tag_id).filter_by(member_id=member.id)))
    assert len(tag_ids) == 3  # the champions and tea lovers (rules) and the VIPs (manual)
    assert db.session.scalar(select(func.count()).select_from(AutomationAction)) == 2
    held_out = [a.arm == "holdout" for a in db.session.scalars(select(AutomationAction).join(
        Automation).filter(Automation.action == "coupon"))]
    coupons = db.session.scalars(select(Coupon).filter_by(member_id=member.id)).all()
    assert len(coupons) == (0 if held_out == [True] else 1)
