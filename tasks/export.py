"""The task centre in what a member sees of their data elsewhere: their data copy
(members.privacy.export) and the titles of their points history (points.ledger.sources);
wired by app.py."""
from sqlalchemy import or_, select

from core.db import db
from members.masking import mask_member_no
from members.models import Member
from members.privacy.export import plain_rows
from tasks.models import CheckIn, Referral, Task, TaskClaim


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


def checkin_titles(checkin_ids) -> dict:
    """check-in id → 签到 · 连续第3天 (补签 for a make-up)."""
    rows = db.session.execute(select(CheckIn.id, CheckIn.streak, CheckIn.made_up)
                              .where(CheckIn.id.in_([int(i) for i in checkin_ids]))).all()
    return {i: f"{'补签' if made_up else '签到'} · 连续第{streak}天" for i, streak, made_up in rows}


def task_titles(task_ids) -> dict:
    """task id → the task's title."""
    return dict(db.session.execute(select(Task.id, Task.title)
                                   .where(Task.id.in_([int(i) for i in task_ids]))).all())
