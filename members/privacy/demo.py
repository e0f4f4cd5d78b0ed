"""A privacy policy and member terms in force, so the demo shows the consent step (the demo
member has accepted them)."""
from sqlalchemy import select

from core import clock
from core.db import db
from members.demo import demo_member
from members.privacy.models import PRIVACY, TERMS, Consent, LegalDocument

DEMO_VERSION = "2026-12"
DOCUMENTS = [
    (PRIVACY, "积分会员隐私政策", "https://jifen.example.com/legal/privacy-2026-12.html",
     "我们收集你的微信标识、手机号和消费记录，用于积分的累计、兑换和到期提醒……"),
    (TERMS, "积分会员服务协议", "https://jifen.example.com/legal/terms-2026-12.html",
     "积分全集团门店通用，有效期以积分规则为准……"),
]


def seed_demo() -> list[str]:
    now = clock.now()
    for kind, title, url, text in DOCUMENTS:
        if db.session.scalars(select(LegalDocument).filter_by(kind=kind)).first() is None:
            db.session.add(LegalDocument(kind=kind, version=DEMO_VERSION, title=title, url=url,
                                         text=text, effective_at=now, created_at=now))
    member = demo_member()
    if member is not None:
        for kind, *_ in DOCUMENTS:
            if db.session.scalars(select(Consent).filter_by(member_id=member.id, kind=kind)).first() is None:
                db.session.add(Consent(member_id=member.id, kind=kind, version=DEMO_VERSION,
                                       accepted_at=now))
    db.session.flush()
    return [f"Privacy policy and terms {DEMO_VERSION} in force (GET /api/v1/legal/current): a "
            "new WeChat login registers once both are accepted (POST /api/v1/me/consents)."]
