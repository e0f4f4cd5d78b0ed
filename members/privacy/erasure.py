"""Completing an account deletion: what the member held ends (each domain, on
`member.deleting`), the balance is forfeited (the ledger, on `member.deleted`), then the
personal data goes. The member row stays, anonymous: the ledger and orders point to it."""
from sqlalchemy import delete, select, update

from core import audit, clock, events
from core.audit import AuditEntry
from core.db import after_commit, db
from media import service as media
from members import codes, images
from members.models import STATUS_DELETED, Member, SubscribeConsent, WechatIdentity

PERSONAL_FIELDS = ("phone", "nickname", "avatar_url", "birthday", "gender", "birthday_set_at",
                   "invite_code", "signup_invite_code")


def erase(member: Member) -> None:
    """Erase the member (call once the deletion is claimed; safe to run again). Row locks
    follow the till's order: points accounts (in the events' handlers), then member rows."""
    merged_ids = list(db.session.scalars(select(Member.id).where(Member.merged_into_id == member.id)))
    phones = _phones(member, merged_ids)
    events.emit("member.deleting", member=member)
    events.emit("member.deleted", member=member)
    audit.forget("member", [member.id, *merged_ids], phones)
    media.forget(member.avatar_url)
    invite_code = member.invite_code
    for name in PERSONAL_FIELDS:
        setattr(member, name, None)
    member.status, member.token_version = STATUS_DELETED, member.token_version + 1
    if merged_ids:
        db.session.execute(update(Member).where(Member.id.in_(merged_ids))
                           .values(birthday=None, phone=None)
                           .execution_options(synchronize_session=False))
    db.session.execute(delete(WechatIdentity).where(WechatIdentity.member_id == member.id))
    db.session.execute(update(SubscribeConsent).where(SubscribeConsent.member_id == member.id)
                       .values(remaining=0, updated_at=clock.now())
                       .execution_options(synchronize_session=False))
    db.session.flush()
    audit.record("member.delete", "member", member.id, actor=("system", None, None),
                 after={"status": STATUS_DELETED})
    after_commit(lambda: _forget_outside(member.id, invite_code))


def _phones(member: Member, merged_ids: list[int]) -> list[str]:
    """The member's phone, and those the merges of till customers into them recorded, in
    every spelling an audit row may hold (E.164, mainland without +86)."""
    phones = {member.phone} if member.phone else set()
    for before in db.session.scalars(select(AuditEntry.before).where(
            AuditEntry.action == "member.merge", AuditEntry.target_type == "member",
            AuditEntry.target_id.in_([str(i) for i in merged_ids]))) if merged_ids else []:
        if isinstance(before, dict) and before.get("phone"):
            phones.add(before["phone"])
    return sorted(phones | {p[3:] for p in phones if p.startswith("+86")})


def _forget_outside(member_id: int, invite_code: str | None) -> None:
    codes.forget_member(member_id)
    if invite_code:
        images.forget_invite_qrcode(invite_code)
