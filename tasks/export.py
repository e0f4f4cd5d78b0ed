"""The task centre's sections of a member's data copy (members.privacy.export; wired by app.py)."""
from sqlalchemy import or_, select

from core.db import db
from members.masking import mask_member_no
from members.models import Member
from members.privacy.export import plain_rows
from tasks.models import CheckIn, Referral, TaskClaim


def checkins(member) -> list[dict]:
    return plain_rows(db.session.scalars(select(CheckIn).where(CheckIn.member_id == member.id)
                                         .order_by(CheckIn.id)),
                      ("day", "streak", "points", "made_up", "created_at"))


def task_claims(member) -> list[dict]:
    return plain_rows(db.session.scalars(select(TaskClaim).where(TaskClaim.member_id == member.id)
                                         .order_by(TaskClaim.id)),
                      ("task_id", "points", "created_at"))


def invites(member) -> list[dict]:
    """Referrals the member is in: whom they invited (numbers masked), and who invited them."""
    rows = db.session.execute(
        select(Referral, Member.member_no)
        .join(Member, Member.id == Referral.invitee_id)
        .where(or_(Referral.inviter_id == member.id, Referral.invitee_id == member.id))
        .order_by(Referral.id)).all()
    return [{"role": "inviter" if referral.inviter_id == member.id else "invitee",
             "invitee_no_masked": mask_member_no(member_no),
             **plain_rows([referral], ("status", "trigger", "created_at", "rewarded_at"))[0]}
            for referral, member_no in rows]
