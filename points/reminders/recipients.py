"""Who may receive a subscribe message: the member's mini-program openid (identity's
`member_wechat_identities`), and the consent quota per template (`member_subscribe_consents`:
each one-time subscription the member accepted allows one message; a send uses one).

Every method runs inside the caller's transaction."""
from flask import current_app
from sqlalchemy import select, update

from core import clock
from core.db import db
from members.models import SubscribeConsent, WechatIdentity


class Recipients:
    def __init__(self, appid: str | None = None):
        self.appid = appid or current_app.config["WECHAT_APPID"]

    def openids(self, member_ids) -> dict[int, str]:
        """member id → mini-program openid, for the members that have one."""
        member_ids = list(member_ids)
        if not member_ids:
            return {}
        return dict(db.session.execute(
            select(WechatIdentity.member_id, WechatIdentity.openid)
            .where(WechatIdentity.appid == self.appid, WechatIdentity.member_id.in_(member_ids))
        ).all())

    def reachable(self, member_ids, template_id: str) -> set[int]:
        """Those of these members with an openid and consent left (nothing is used)."""
        member_ids = list(member_ids)
        if not member_ids:
            return set()
        return set(db.session.scalars(
            select(SubscribeConsent.member_id)
            .join(WechatIdentity, (WechatIdentity.member_id == SubscribeConsent.member_id)
                  & (WechatIdentity.appid == self.appid))
            .where(SubscribeConsent.template_id == template_id, SubscribeConsent.remaining > 0,
                   SubscribeConsent.member_id.in_(member_ids))))

    def claim_quota(self, member_ids, template_id: str) -> set[int]:
        """Use one unit of consent of each member who has one left; returns those members.
        The rows are locked, then decremented with a guard, so two runs cannot both use it."""
        member_ids = list(member_ids)
        if not member_ids:
            return set()
        where = (SubscribeConsent.template_id == template_id,
                 SubscribeConsent.member_id.in_(member_ids), SubscribeConsent.remaining > 0)
        allowed = set(db.session.scalars(select(SubscribeConsent.member_id).where(*where)
                                         .with_for_update()))
        if allowed:
            db.session.execute(
                update(SubscribeConsent)
                .where(SubscribeConsent.template_id == template_id,
                       SubscribeConsent.member_id.in_(allowed), SubscribeConsent.remaining > 0)
                .values(remaining=SubscribeConsent.remaining - 1, updated_at=clock.now())
                .execution_options(synchronize_session=False))
        return allowed

    def zero_quota(self, member_ids, template_id: str) -> None:
        """WeChat said 43101: the member has no consent left, whatever we counted."""
        _set_remaining(member_ids, template_id, 0)

    def give_back(self, member_ids, template_id: str) -> None:
        """A unit each, for messages WeChat did not take (the member still has that consent)."""
        _set_remaining(member_ids, template_id, SubscribeConsent.remaining + 1)


    def remaining(self, member_id: int, template_id: str) -> int:
        return db.session.scalar(select(SubscribeConsent.remaining).filter_by(
            member_id=member_id, template_id=template_id)) or 0


def _set_remaining(member_ids, template_id: str, remaining) -> None:
    member_ids = list(member_ids)
    if member_ids:
        db.session.execute(
            update(SubscribeConsent)
            .where(SubscribeConsent.template_id == template_id,
                   SubscribeConsent.member_id.in_(member_ids))
            .values(remaining=remaining, updated_at=clock.now())
            .execution_options(synchronize_session=False))


def recipients() -> Recipients:
    return Recipients()
