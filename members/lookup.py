"""Finding members: the caller of a member request, a member by number (following merges)."""
from flask import g
from sqlalchemy import select

from core.db import db
from core.errors import NotFound, Unauthenticated
from members.models import STATUS_MERGED, Member


def current_member() -> Member:
    """The member whose token made this request (401 if it no longer exists or was merged)."""
    member = db.session.get(Member, g.member_id)
    if member is None or member.status == STATUS_MERGED:
        raise Unauthenticated("This member account no longer exists; log in again.")
    return member


def member_by_no(member_no: str) -> Member:
    """The member with this number; a merged member's number resolves to the one it joined."""
    member = db.session.scalars(select(Member).filter_by(member_no=member_no)).one_or_none()
    for _ in range(5):  # a merge chain is short; never loop forever on bad data
        if member is None or member.status != STATUS_MERGED:
            break
        member = db.session.get(Member, member.merged_into_id)
    if member is None:
        raise NotFound(f"No member {member_no}.")
    return member
