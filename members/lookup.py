"""Finding members: the caller of a member request, a member by number (following merges)."""
from flask import g
from sqlalchemy import bindparam, select

from core.db import adopt, db
from core.errors import Forbidden, NotFound, Unauthenticated
from members.models import STATUS_DELETED, STATUS_MERGED, STATUS_PENDING, Member
from members.phones import to_e164


def current_member(*, pending_ok: bool = False) -> Member:
    """The member whose token made this request: 401 if it no longer exists, was merged or
    deleted (its token version moved on); 403 `consent_required` while registration waits
    for the privacy policy to be accepted, unless `pending_ok` (the consent and privacy
    endpoints themselves)."""
    member = db.session.get(Member, g.member_id)
    if member is None or member.status in (STATUS_MERGED, STATUS_DELETED) \
            or member.token_version != g.get("member_token_version", 1):
        raise Unauthenticated("This member account no longer exists; log in again.")
    if member.status == STATUS_PENDING and not pending_ok:
        raise Forbidden("Accept the privacy policy and member terms first "
                        "(GET /api/v1/legal/current, POST /api/v1/me/consents).",
                        code="consent_required")
    return member


def member_ref() -> Member:
    """The caller as a Member whose columns load only if touched: no query. For a hot path that
    checks the member itself, with the statement that locks their account
    (points.ledger.member_read("status")), then check_current."""
    return adopt(Member, {"id": g.member_id})


def check_current(status: str | None) -> None:
    """401 where current_member would answer it, for the caller's status read elsewhere (None:
    no such member)."""
    if status is None or status == STATUS_MERGED:
        raise Unauthenticated("This member account no longer exists; log in again.")


def follow_merges(member: Member | None) -> Member | None:
    """The member a merged member joined (a merge chain is short; bounded against bad data)."""
    for _ in range(5):
        if member is None or member.status != STATUS_MERGED:
            break
        member = db.session.get(Member, member.merged_into_id)
    return member


_by_no = select(Member).where(Member.member_no == bindparam("member_no"))  # built once: the till


_id_by_no = select(Member.id).where(Member.member_no == bindparam("member_no"))


def member_id_by_no(member_no: str) -> int | None:
    """The id of the member with this number (a merge not followed), or None."""
    return db.session.scalar(_id_by_no, {"member_no": member_no})


def member_by_no(member_no: str) -> Member:
    """The member with this number; a merged member's number resolves to the one it joined;
    a deleted account's is not found."""
    member = follow_merges(db.session.scalars(_by_no, {"member_no": member_no}).one_or_none())
    if member is None or member.status == STATUS_DELETED:
        raise NotFound(f"No member {member_no}.")
    return member


def member_with_phone(phone: str, *, share_lock=False) -> Member | None:
    """The member holding this phone, in E.164 or a mainland number (a merge takes the phone
    off the merged member). With `share_lock`, a locking read: it sees a row another
    transaction has just committed."""
    phone = to_e164(phone)
    if phone is None:
        return None
    query = select(Member).filter_by(phone=phone)
    return db.session.scalars(query.with_for_update(read=True) if share_lock else query).first()


def member_by_phone(phone: str) -> Member:
    member = member_with_phone(phone)
    if member is None:
        raise NotFound("No member has this phone number.")
    return member


def member_nos(member_ids) -> dict[int, str]:
    """The member numbers of these members (by id), in one read: for lists that name members."""
    ids = sorted(set(member_ids))
    if not ids:
        return {}
    return dict(db.session.execute(select(Member.id, Member.member_no)
                                   .where(Member.id.in_(ids))).all())
