"""Finding members: the caller of a member request, a member by number (following merges)."""
import functools

from flask import g
from sqlalchemy import bindparam, select
from sqlalchemy.orm import load_only

from core.db import db
from core.errors import NotFound, Unauthenticated
from members.models import STATUS_MERGED, Member


def current_member() -> Member:
    """The member whose token made this request (401 if it no longer exists or was merged)."""
    member = db.session.get(Member, g.member_id)
    if member is None or member.status == STATUS_MERGED:
        raise Unauthenticated("This member account no longer exists; log in again.")
    return member


def follow_merges(member: Member | None) -> Member | None:
    """The member a merged member joined (a merge chain is short; bounded against bad data)."""
    for _ in range(5):
        if member is None or member.status != STATUS_MERGED:
            break
        member = db.session.get(Member, member.merged_into_id)
    return member


@functools.cache
def _by_no(fields: tuple[str, ...] | None):
    """The look-up by number, built once (the till runs it for every order)."""
    query = select(Member).where(Member.member_no == bindparam("member_no"))
    return query.options(load_only(*(getattr(Member, f) for f in fields))) if fields else query


def member_by_no(member_no: str, *, fields: tuple[str, ...] | None = None) -> Member:
    """The member with this number; a merged member's number resolves to the one it joined.
    `fields`: read only these columns (the others load if touched), as the till does."""
    member = db.session.scalars(_by_no(fields), {"member_no": member_no}).one_or_none()
    member = follow_merges(member)
    if member is None:
        raise NotFound(f"No member {member_no}.")
    return member


def member_with_phone(phone: str, *, share_lock=False) -> Member | None:
    """The member holding this phone (a merge takes the phone off the merged member). With
    `share_lock`, a locking read: it sees a row another transaction has just committed."""
    query = select(Member).filter_by(phone=phone)
    return db.session.scalars(query.with_for_update(read=True) if share_lock else query).first()


def member_by_phone(phone: str) -> Member:
    member = member_with_phone(phone)
    if member is None:
        raise NotFound("No member has this phone number.")
    return member
