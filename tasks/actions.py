"""The actions of one-off tasks that the server verifies, as they stand now, and what becomes
of a reward paid for an action undone later.

`first_order` stands while the member (or a till customer merged into them) has an order not
fully refunded; `first_redemption` while they have a redemption not cancelled or expired. A
claim checks the action as it stands then. When the last order standing is fully refunded, or
the last redemption standing is cancelled (or expires unpicked), a reward already paid for it
is taken back through the ledger — a `reverse` of the task's credit, with the reason, as a
refund takes back an order's points (points already spent become debt). The claim stays
used: the task does not pay that member again.
"""
from sqlalchemy import exists, or_, select

from core import events
from core.db import db
from mall.models import FULFILLED, MALL, PENDING, Redemption
from members.lookup import follow_merges
from members.models import Member
from points import ledger
from points.earning.models import Order
from tasks.models import ONE_OFF, Task, TaskClaim

#: why a reward is taken back, as the member reads it in their points history
UNDONE = {"first_order": "订单已全额退款", "first_redemption": "兑换已取消"}


def reward_key(task_id: int, member_id: int) -> str:
    """The idempotency key of the ledger entry that paid a one-off task's reward."""
    return f"task:{task_id}:{member_id}"


def _member_ids(member):
    return select(Member.id).where(or_(Member.id == member.id, Member.merged_into_id == member.id))


def has_standing_order(member) -> bool:
    return bool(db.session.scalar(select(exists().where(
        Order.member_id.in_(_member_ids(member)), Order.refunded_fen < Order.amount_fen))))


def has_standing_redemption(member) -> bool:
    return bool(db.session.scalar(select(exists().where(
        Redemption.member_id == member.id, Redemption.origin == MALL,
        Redemption.status.in_((PENDING, FULFILLED))))))


@events.subscribe("order.refunded")
def on_order_refunded(order, fully):
    member = follow_merges(db.session.get(Member, order.member_id)) if fully else None
    if member is not None and not has_standing_order(member):
        take_back(member, "first_order")


@events.subscribe("redemption.cancelled")
def on_redemption_cancelled(redemption):
    member = follow_merges(db.session.get(Member, redemption.member_id))
    if member is not None and not has_standing_redemption(member):
        take_back(member, "first_redemption")


def take_back(member, action: str) -> None:
    """Reverse the rewards the member was paid by one-off tasks of this action (once each)."""
    claimed = db.session.execute(
        select(Task.id, Task.title, Task.config).join(TaskClaim, TaskClaim.task_id == Task.id)
        .where(TaskClaim.member_id == member.id, Task.kind == ONE_OFF)).all()
    for task_id, title, config in claimed:
        entry = ledger.entry_by_key(reward_key(task_id, member.id)) \
            if config.get("action") == action else None
        if entry is not None:
            ledger.reverse(entry.id, key=f"{reward_key(task_id, member.id)}:undone", up_to=True,
                           reason=f"{title}奖励扣回：{UNDONE[action]}")
