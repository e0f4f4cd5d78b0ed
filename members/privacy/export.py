"""A copy of my data (PIPL): everything the programme keeps about the member, as JSON.

Members' own records are read here; every other domain adds its section through SECTIONS
(app.py fills it: members imports no other domain). Rate-limited per member."""
from datetime import date, datetime
from importlib import import_module

from flask import current_app
from sqlalchemy import select

from core import clock
from core.db import db, on_rollback
from core.errors import RateLimited
from core.redis import get_redis, rkey
from members.models import Member, SubscribeConsent, WechatIdentity
from members.privacy.models import Consent, DeletionRequest

#: section name → "module:function": called with the member, returns that domain's records as
#: JSON-ready data (filled by app.py)
SECTIONS: dict[str, str] = {}

PROFILE = ("member_no", "nickname", "avatar_url", "phone", "birthday", "gender", "tier_code",
           "origin", "status", "invite_code", "created_at", "first_order_at")


def plain(row, fields) -> dict:
    """`fields` of a row (or a Row's mapping) as JSON-ready values: times and dates as ISO."""
    get = row.get if isinstance(row, dict) else (lambda name: getattr(row, name))
    return {f: v.isoformat() if isinstance(v := get(f), (datetime, date)) else v for f in fields}


def plain_rows(rows, fields) -> list[dict]:
    return [plain(row, fields) for row in rows]


def member_ids(member: Member) -> list[int]:
    """The member and the till customers merged into them (their history is the member's)."""
    merged = db.session.scalars(select(Member.id).where(Member.merged_into_id == member.id))
    return [member.id, *merged]


def export(member: Member) -> dict:
    """Every record the member has, by section."""
    data = {"exported_at": clock.now().isoformat(), "profile": plain(member, PROFILE),
            "wechat": plain_rows(_of(WechatIdentity, member), ("appid", "openid", "unionid",
                                                               "created_at", "last_login_at")),
            "consents": plain_rows(_of(Consent, member), ("kind", "version", "accepted_at")),
            "subscriptions": plain_rows(_of(SubscribeConsent, member), (
                "template_id", "remaining", "accepted_count", "refused_count", "updated_at")),
            "deletion_requests": plain_rows(_of(DeletionRequest, member), (
                "status", "requested_at", "completes_at", "withdrawn_at"))}
    for name, path in SECTIONS.items():
        module, _, function = path.partition(":")
        data[name] = getattr(import_module(module), function)(member)
    return data


def _of(model, member):
    return db.session.scalars(select(model).where(model.member_id == member.id).order_by(model.id))


def take_export_turn(member_id: int) -> None:
    """One export per MEMBER_EXPORT_EVERY seconds and member: 429 with Retry-After otherwise.
    A failed export gives the turn back."""
    redis, key = get_redis(), rkey("member-export", member_id)
    every = current_app.config["MEMBER_EXPORT_EVERY"]
    if not redis.set(key, 1, nx=True, ex=every):
        raise RateLimited(max(redis.ttl(key), 1),
                          "A copy of your data was made a moment ago; try again later.")
    on_rollback(lambda: redis.delete(key))
