"""Referral rewards. A member's invite code at their FIRST login records who invited them
(one inviter, ever; never themselves; never someone they invited — no cycles). The reward is
paid on the task's trigger: `register` (that first login) or `first_order` (their first POS or
staff order). Each side is credited once (ledger keys per referral); a pending referral moves
to rewarded with a guarded UPDATE, so two concurrent first orders cannot both pay.

Existing customers are not new: an invitee whose phone turns out to belong to a customer a till
registered before the invitee's first login (their points merge in) has a pending referral
refused, and a referral already paid — at the first login (`register`) or at a first order
under the new member number (`first_order`) — revoked: both rewards are taken back through the
ledger with the reason (points already spent become debt).

Monthly cap: the inviter is paid for at most `monthly_cap` referrals per business month
(counted under the inviter's account lock); past it the invitee is still paid (status capped).
The task's per-member limit (`member_limit_points`) caps what one inviter earns from it in all,
the same way.
"""
from sqlalchemy import func, or_, select, update

from core import clock, events
from core.db import db
from core.pagination import decode_cursor, encode_cursor
from members.masking import mask_member_no
from members.models import STATUS_ACTIVE, Member
from points import ledger
from tasks import budget
from tasks.models import CAPPED, PENDING, REFERRAL, REFUSED, REVOKED, REWARDED, Referral

MAX_CHAIN = 50


def _inviter(invite_code, invitee) -> Member | None:
    inviter = db.session.scalars(select(Member).filter_by(invite_code=invite_code)).first()
    if inviter is None or inviter.status != STATUS_ACTIVE or inviter.id == invitee.id:
        return None
    ancestor, steps = inviter, 0
    while ancestor.invited_by_id and steps < MAX_CHAIN:  # no cycles
        if ancestor.invited_by_id == invitee.id:
            return None
        ancestor, steps = db.session.get(Member, ancestor.invited_by_id), steps + 1
    return inviter


@events.subscribe("member.registered")
def on_registered(member, invite_code=None, store=None):
    task = budget.active_task(REFERRAL)
    if not invite_code or task is None or member.invited_by_id is not None:
        return
    inviter = _inviter(invite_code.strip().upper(), member)
    if inviter is None:
        return
    member.invited_by_id = inviter.id
    referral = Referral(inviter_id=inviter.id, invitee_id=member.id, task_id=task.id,
                        trigger=task.config["trigger"], status=PENDING, created_at=clock.now())
    db.session.add(referral)
    db.session.flush()
    if referral.trigger == "register":
        _reward(referral, task)


@events.subscribe("order.recorded")
def on_order(member, order, first):
    referral = _pending(member.id) if first and member.invited_by_id else None
    if referral is not None and referral.trigger == "first_order":
        task = budget.active_task(REFERRAL)
        if task is not None and task.id == referral.task_id:
            _reward(referral, task)


@events.subscribe("member.phone_bound")
def on_phone_bound(member, merged=None):
    if merged is None:
        return
    db.session.execute(update(Referral).where(Referral.invitee_id == member.id,
                                              Referral.status == PENDING)
                       .values(status=REFUSED).execution_options(synchronize_session=False))
    if merged.created_at < member.created_at:  # a customer before they were "invited"
        _revoke_paid(member.id)


@events.subscribe("member.deleting")
def on_deleting(member):
    """A deleted account is paid no more referral rewards, as inviter or invitee."""
    db.session.execute(update(Referral).where(
        or_(Referral.invitee_id == member.id, Referral.inviter_id == member.id),
        Referral.status == PENDING).values(status=REFUSED)
        .execution_options(synchronize_session=False))


#: why a referral's rewards are taken back, as members read it in their points history
REVOKED_REASON = "邀请奖励扣回：被邀请人是已有顾客"


def _revoke_paid(invitee_id) -> None:
    referral = db.session.scalars(select(Referral).where(
        Referral.invitee_id == invitee_id, Referral.status.in_((REWARDED, CAPPED)))).first()
    if referral is None or not db.session.execute(
            update(Referral).where(Referral.id == referral.id,
                                   Referral.status.in_((REWARDED, CAPPED)))
            .values(status=REVOKED).execution_options(synchronize_session=False)).rowcount:
        return
    for side in ("invitee", "inviter"):
        entry = ledger.entry_by_key(f"referral:{referral.id}:{side}")
        if entry is not None:
            ledger.reverse(entry.id, key=f"referral-revoked:{referral.id}:{side}", up_to=True,
                           reason=REVOKED_REASON)


def _pending(invitee_id) -> Referral | None:
    return db.session.scalars(select(Referral).filter_by(invitee_id=invitee_id, status=PENDING)).first()


def _reward(referral: Referral, task) -> None:
    month = clock.business_date().strftime("%Y-%m")
    ledger.lock_account(referral.inviter_id)  # the cap is counted under this lock
    cap = task.config.get("monthly_cap")
    capped = cap is not None and _paid_this_month(referral.inviter_id, month) >= cap
    status = CAPPED if capped else REWARDED
    claimed = db.session.execute(
        update(Referral).where(Referral.id == referral.id, Referral.status == PENDING)
        .values(status=status, rewarded_month=None if capped else month, rewarded_at=clock.now())
        .execution_options(synchronize_session=False)).rowcount
    if not claimed:
        return  # paid by a concurrent event
    inviter_points = 0 if capped else task.config["inviter_points"]
    try:
        with db.session.begin_nested():  # a spent budget takes back the member's share too
            if inviter_points and not budget.take_member_share(task, referral.inviter_id,
                                                               inviter_points):
                inviter_points, status = 0, CAPPED  # the inviter had all this task pays
            budget.spend(task, inviter_points + task.config["invitee_points"])
    except budget.BudgetSpent:  # the task has ended: the login or order goes on, unrewarded
        db.session.execute(update(Referral).where(Referral.id == referral.id)
                           .values(status=PENDING, rewarded_month=None, rewarded_at=None)
                           .execution_options(synchronize_session=False))
        return
    if status == CAPPED and not capped:
        db.session.execute(update(Referral).where(Referral.id == referral.id)
                           .values(status=CAPPED, rewarded_month=None)
                           .execution_options(synchronize_session=False))
    for member_id, points, side in ((referral.invitee_id, task.config["invitee_points"], "invitee"),
                                    (referral.inviter_id, inviter_points, "inviter")):
        if points:
            ledger.credit(member_id, points, kind="referral",
                                  key=f"referral:{referral.id}:{side}", ref=("referral", referral.id))
    db.session.refresh(referral)


def _paid_this_month(inviter_id, month) -> int:
    return db.session.scalar(select(func.count()).select_from(Referral).where(
        Referral.inviter_id == inviter_id, Referral.rewarded_month == month)) or 0


def my_invites(member, limit: int = 20, cursor: str | None = None) -> dict:
    """The friends the member invited, newest first (a page), and the running referral
    task's rules."""
    query = (select(Referral.id, Member.member_no, Member.created_at, Referral.status)
             .join(Referral, Referral.invitee_id == Member.id)
             .where(Referral.inviter_id == member.id))
    if cursor:
        query = query.where(Referral.id < decode_cursor(cursor))
    rows = db.session.execute(query.order_by(Referral.id.desc()).limit(limit + 1)).all()
    more, rows = len(rows) > limit, rows[:limit]
    return {"invite_code": member.invite_code,
            "invited": [{"member_no_masked": mask_member_no(no), "joined_at": joined,
                         "rewarded": status in (REWARDED,), "status": status}
                        for _id, no, joined, status in rows],
            "next_cursor": encode_cursor(rows[-1].id) if more else None,
            "rules": _rules(budget.active_task(REFERRAL))}


def _rules(task) -> dict | None:
    if task is None:
        return None
    return {**{k: task.config.get(k) for k in ("inviter_points", "invitee_points", "trigger",
                                                "monthly_cap")}, "ends_at": task.ends_at}
