"""pickup_reminder and coupon_expiring: sent by jobs, each at most once, consent used."""
from datetime import datetime

import pytest
from sqlalchemy import select

from core import clock
from core.db import db
from mall import catalog, jobs, service
from mall.models import MallReminder
from points.reminders.recipients import Recipients
from tests.reminder_fixtures import SH, fake_wechat
from wx import templates

_ = fake_wechat  # fixture
PICKUP_FIELDS = {"thing1": "product", "character_string2": "pickup_code", "date3": "deadline",
                 "thing4": "store"}
COUPON_FIELDS = {"thing1": "coupon", "date2": "expiry_date", "amount3": "deduct", "thing4": "tip"}


@pytest.fixture(autouse=True)
def morning():
    clock.set(datetime(2026, 3, 1, 10, tzinfo=SH))


def offer(fake, purpose, template_id, fields, tip=None):
    fake.add_template(template_id, tuple(fields))
    templates.create_template({"purpose": purpose, "template_id": template_id, "fields": fields,
                               "page": "pages/index/index", "tip": tip})
    db.session.commit()


def product(kind, **fields):
    made = catalog.create_product({"title": f"{kind} 礼品", "kind": kind, "points_price": 10,
                                   "stock": 10, **fields})
    db.session.commit()
    return made


def holder(factory, template_id=None, consent=1, openid=None):
    member = factory.member(points=500)
    factory.wechat(member, openid or f"openid-{member.id}")
    if consent:
        factory.consent(member, template_id, consent)
    return member


def redeem(member, item):
    redemption = service.redeem(member, item.id, 1)
    db.session.commit()
    return redemption


def test_a_gift_near_its_pickup_deadline_is_reminded_once(fake_wechat, factory):
    offer(fake_wechat, "pickup_reminder", "tpl-pickup", PICKUP_FIELDS)
    soon, later = product("gift", pickup_days=2), product("gift", pickup_days=30)
    reminded, unasked = holder(factory, "tpl-pickup", consent=2), holder(factory, consent=0)
    gift = redeem(reminded, soon)
    redeem(reminded, later)
    redeem(unasked, soon)

    assert jobs.pickup_reminders() == {"sent": 1, "no_consent": 1}
    assert jobs.pickup_reminders() == {"no_consent": 1}  # nothing sent twice
    [message] = fake_wechat.messages()
    assert message["touser"] == f"openid-{reminded.id}"
    assert message["data"]["character_string2"]["value"] == gift.pickup_code
    assert message["data"]["date3"]["value"] == "2026年3月3日"
    assert Recipients().remaining(reminded.id, "tpl-pickup") == 1


def test_a_coupon_about_to_expire_is_reminded_and_a_failure_gives_consent_back(
        fake_wechat, factory):
    offer(fake_wechat, "coupon_expiring", "tpl-coupon", COUPON_FIELDS, tip="券快过期啦")
    coupon = product("coupon", coupon={"deduct_fen": 500, "min_spend_fen": 0, "valid_days": 1})
    member = holder(factory, "tpl-coupon")
    redeem(member, coupon)
    fake_wechat.fail(1, errcode=47003)
    assert jobs.coupon_reminders() == {"failed": 1}
    assert Recipients().remaining(member.id, "tpl-coupon") == 1
    assert db.session.scalars(select(MallReminder.status)).all() == ["failed"]
    assert jobs.coupon_reminders() == {}  # at most once, even after a failure


def test_without_a_template_nothing_is_sent(fake_wechat, factory):
    assert jobs.pickup_reminders() == {"skipped": "no active template for pickup_reminder"}
