"""Demo analytics: a rule tag (the chain's champions), a manual tag (VIPs, with the demo
member), an automation crediting points to members entering the champions tag, a rule tag of
tea lovers (favourite category tea) given the demo mall's coupon, a subscribe message to members
turning at risk, and the scores, churn
statuses and tags computed as of today (safe to run again)."""
from sqlalchemy import select

from core import clock
from core.db import db
from analytics import churn, runs
from analytics.jobs import CHURN_CHUNK, SCORE_CHUNK
from analytics.tags import automations, service as tags
from analytics.tags.models import Automation, Tag, TagMember
from mall.models import Product

CHAMPIONS = {"all": [{"field": "segment", "op": "in", "value": ["important_value", "new"]}]}
TEA_LOVERS = {"all": [{"field": "favourite_category", "op": "in", "value": ["tea"]}]}
AT_RISK = {"all": [{"field": "churn", "op": "in", "value": ["at_risk"]}]}
#: the subscribe template the demo's message automation sends (WeChat's keys: thing1 date2 thing3)
MESSAGE_TEMPLATE = {"purpose": "automation_message", "template_id": "demo-automation-message",
                    "page": "pages/index/index", "tip": "好久不见，欢迎回店",
                    "fields": {"thing1": "title", "date2": "date", "thing3": "tip"}}
DEMO_COUPON = "10 元代金券"  # mall.demo


def seed_demo() -> list[str]:
    champions = _tag("高价值客户", "rule", CHAMPIONS)
    vips = _tag("VIP", "manual", None)
    if db.session.scalars(select(Automation).filter_by(name="欢迎高价值客户")).first() is None:
        automations.save_automation({"name": "欢迎高价值客户", "tag_id": champions.id,
                                     "action": "points", "points": 100, "budget": 100_000,
                                     "holdout_percent": 10})
    tea_lovers = _tag("爱喝茶", "rule", TEA_LOVERS)
    coupon = db.session.scalars(select(Product).filter_by(title=DEMO_COUPON, kind="coupon")).first()
    if coupon is not None and db.session.scalars(
            select(Automation).filter_by(name="茶友代金券")).first() is None:
        automations.save_automation({"name": "茶友代金券", "tag_id": tea_lovers.id,
                                     "action": "coupon", "product_id": coupon.id, "budget": 500,
                                     "holdout_percent": 10})
    _message_automation()
    from members.demo import demo_member

    member = demo_member()
    if member is not None and vips.id not in _tags_of(member.id):
        db.session.add(TagMember(tag_id=vips.id, member_id=member.id,
                                 entered_on=clock.business_date(), entered_at=clock.now()))
    _score_today()
    return ["Analytics: RFM segments, churn and tags as of today (/admin/segments, "
            "/admin/members?segment=&churn=&tag=, /console/analytics/segments); tags 高价值客户 "
            "(rule), 爱喝茶 (rule: favourite category tea) and VIP (manual); automations "
            "欢迎高价值客户: 100 points once, 茶友代金券: the 10 元代金券 coupon once (budget 500 "
            "coupons; with the demo mall), 流失提醒: a subscribe message to members turning at "
            "risk (template demo-automation-message; members without consent get none: "
            "no_consent), each with 10% held out; "
            "`flask --app app analytics nightly` recomputes them."]


def _message_automation():
    from wx import templates

    if templates.active_template(MESSAGE_TEMPLATE["purpose"]) is None:
        templates.create_template(dict(MESSAGE_TEMPLATE), check_wechat=False)
    template_id = templates.active_template(MESSAGE_TEMPLATE["purpose"]).template_id
    at_risk = _tag("流失风险", "rule", AT_RISK)
    if db.session.scalars(select(Automation).filter_by(name="流失提醒")).first() is None:
        automations.save_automation({"name": "流失提醒", "tag_id": at_risk.id,
                                     "action": "message", "template_id": template_id,
                                     "budget": 1000, "holdout_percent": 10})


def _tag(name, kind, rule):
    tag = db.session.scalars(select(Tag).filter_by(name=name)).first()
    return tag or tags.save_tag({"name": name, "kind": kind, "rule": rule})


def _tags_of(member_id):
    return set(db.session.scalars(select(TagMember.tag_id).filter_by(member_id=member_id)))


def _score_today():
    """What the nightly job does, inside seed-demo's one transaction."""
    today = clock.business_date()
    run_id = runs.open_run(today)
    while runs.step(run_id, SCORE_CHUNK) != runs.DONE:
        pass
    cursor = 0
    while cursor is not None:
        _changed, cursor = churn.update_chunk(today, cursor, CHURN_CHUNK)
    for tag_id in tags.active_rule_tag_ids():
        tags.evaluate(tag_id, today)
    for automation_id in automations.active_ids():
        while automations.fire_chunk(automation_id):
            pass
