"""Members' demo data: a WeChat member with a phone and a profile, and a customer registered at
a till by phone only (who merges in when that phone is bound). Their points history is
points.ledger.demo's."""
from datetime import date

from flask import current_app
from sqlalchemy import select

from core import clock
from core.db import db
from members import numbers
from members.models import ORIGIN_STORE, ORIGIN_WECHAT, Member, SubscribeConsent, WechatIdentity
from members.phones import to_e164
from stores.models import Store

DEMO_OPENID = "demo-member"
DEMO_PHONE = "13800138000"
STORE_ONLY_PHONE = "13900139000"


def demo_member() -> Member | None:
    identity = db.session.scalars(select(WechatIdentity).filter_by(openid=DEMO_OPENID)).first()
    return db.session.get(Member, identity.member_id) if identity else None


def _member(phone, origin, **profile) -> Member:
    member = db.session.scalars(select(Member).filter_by(phone=to_e164(phone))).first()
    if member is None:
        member = Member(member_no=numbers.new_member_no(), invite_code=numbers.new_invite_code(),
                        phone=phone, origin=origin, created_at=clock.now(), **profile)
        db.session.add(member)
        db.session.flush()
    return member


def store_only_member() -> Member | None:
    return db.session.scalars(select(Member).filter_by(phone=STORE_ONLY_PHONE)).first()


def _store_id(code):
    return db.session.scalar(select(Store.id).filter_by(code=code))


def seed_demo() -> list[str]:
    member = demo_member() or _member(DEMO_PHONE, ORIGIN_WECHAT, nickname="小周",
                                      birthday=date(1992, 3, 14))
    if demo_member() is None:
        now = clock.now()
        db.session.add(WechatIdentity(member_id=member.id, appid=current_app.config["WECHAT_APPID"],
                                      openid=DEMO_OPENID, created_at=now, last_login_at=now))
        db.session.add(SubscribeConsent(member_id=member.id, template_id="demo-points-expiring",
                                        remaining=3, accepted_count=3, refused_count=0,
                                        updated_at=now))
    _member(STORE_ONLY_PHONE, ORIGIN_STORE, registered_store_id=_store_id("BJ001"))
    db.session.flush()
    return [f"Demo member {member.member_no} (phone {DEMO_PHONE}): log in with "
            f"POST /api/v1/auth/wx-login {{\"code\": \"fake:{DEMO_OPENID}::1\"}} "
            "(any new number after the last colon gives a fresh code)",
            f"A customer registered at BJ001 by phone only: {STORE_ONLY_PHONE}; bind it with "
            f"POST /api/v1/me/phone {{\"code\": \"fakephone:{STORE_ONLY_PHONE}\"}} to merge "
            "their points"]
