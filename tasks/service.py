"""Admin operations on tasks, the member's task list, and claiming one-off tasks.

A one-off task whose action the server can verify (bind_phone, complete_profile, first_order,
first_redemption) becomes claimable as soon as the member has done it — whether before or
after the task was created — and while it stands (an order not fully refunded, a redemption
not cancelled: tasks.actions, which also takes back a reward whose action is undone later);
a `manual` one is claimable on the member's word. Each member claims a task once (unique
key), within its window and budget."""
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit, clock
from core.crud import Crud
from core.db import db
from core.errors import Conflict, NotFound
from core.patching import merge_patch
from points import ledger
from tasks import actions, budget
from tasks.checkins import reward_for
from tasks.models import CHECKIN, ONE_ACTIVE, ONE_OFF, Task, TaskClaim, TaskMemberTotal

SNAPSHOT = ("kind", "title", "description", "config", "starts_at", "ends_at", "budget_points",
            "member_limit_points", "active")


def list_tasks():
    return db.session.scalars(select(Task).order_by(Task.id.desc())).all()


def get_task(task_id) -> Task:
    task = db.session.get(Task, task_id)
    if task is None:
        raise NotFound(f"No task {task_id}.")
    return task


def save_task(data: dict, task: Task | None = None) -> Task:
    """Create or change a task (audited). Check-in and referral have one active task each
    (409 invalid_state naming the active one)."""
    before = audit.snapshot(task, SNAPSHOT) if task else None
    with _one_active(data.get("kind") or task.kind):
        task = _apply(data, task)
    audit.record("task.save", "task", task.id, before=before, after=audit.snapshot(task, SNAPSHOT))
    return task


def _apply(data: dict, task: Task | None) -> Task:
    now = clock.now()
    if task is None:
        task = Task(kind=data.pop("kind"), spent_points=0, active=True, created_at=now)
        db.session.add(task)
    if "config" in data:
        data["config"] = merge_patch(task.config, data["config"])
    for name, value in data.items():
        setattr(task, name, value)
    task.updated_at = now
    _check(task)
    task.active_kind = task.kind if task.active and task.kind in ONE_ACTIVE else None
    db.session.flush()
    return task


def _check(task):
    if task.starts_at and task.ends_at and task.ends_at <= task.starts_at:
        raise Conflict("A task's window must end after it starts.", code="invalid_state",
                       details={"ends_at": task.ends_at.isoformat()})


@contextmanager
def _one_active(kind: str):
    """A savepoint around the change: a second active check-in or referral task meets the
    unique active_kind (even when both are saved at once) and becomes a 409."""
    try:
        with db.session.begin_nested():
            yield
    except IntegrityError:
        other = db.session.scalar(select(Task.id).where(Task.active_kind == kind))
        raise Conflict(f"Task {other} is the active {kind}; deactivate it first." if other else
                       f"Another {kind} task is active; deactivate it first.",
                       code="invalid_state", details={"task_id": other} if other else {}) from None


def _done(member, action) -> bool:
    if action == "manual":
        return True
    if action == "bind_phone":
        return member.phone is not None
    if action == "complete_profile":
        return member.profile_completed_at is not None
    if action == "first_order":
        return actions.has_standing_order(member)
    if action == "first_redemption":
        return actions.has_standing_redemption(member)
    return False


class AlreadyClaimed(Conflict):
    code, message = "limit_exceeded", "You have already claimed this task."


def _claimed(task_id, member_id) -> bool:
    return db.session.scalar(select(TaskClaim.id).filter_by(task_id=task_id,
                                                            member_id=member_id)) is not None


def claim(member, task_id) -> TaskClaim:
    """Pay a one-off task's reward once: 409 invalid_state (closed, not done), limit_exceeded
    (claimed already, budget spent)."""
    task = get_task(task_id)
    if task.kind != ONE_OFF:
        raise NotFound(f"No one-off task {task_id}.")
    if not budget.is_open(task):
        raise Conflict("This task is not running.", code="invalid_state")
    if not _done(member, task.config["action"]):
        if _claimed(task.id, member.id):  # and its reward taken back: tasks.actions
            raise AlreadyClaimed()
        raise Conflict("Do the task first.", code="invalid_state",
                       details={"action": task.config["action"]})
    points = task.config["reward_points"]
    budget.spend(task, points)  # first: see budget.spend; a duplicate claim rolls it back
    try:
        with db.session.begin_nested():
            row = TaskClaim(task_id=task.id, member_id=member.id, points=points,
                            created_at=clock.now())
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        raise AlreadyClaimed() from None
    if not budget.take_member_share(task, member.id, points):
        raise budget.MemberLimitReached(details={"task_id": task.id})
    ledger.credit(member.id, points, kind="task", key=actions.reward_key(task.id, member.id),
                  ref=("task", task.id), reason=task.title)
    return row


def my_tasks(member) -> list[dict]:
    """The running tasks, each with this member's status."""
    now = clock.now()
    tasks = [t for t in db.session.scalars(select(Task).filter_by(active=True).order_by(Task.id))
             if budget.is_open(t, now) or budget.exhausted(t)]
    claimed = set(db.session.scalars(select(TaskClaim.task_id).where(
        TaskClaim.member_id == member.id, TaskClaim.task_id.in_([t.id for t in tasks]))))
    received = dict(db.session.execute(select(TaskMemberTotal.task_id, TaskMemberTotal.points)
                                       .where(TaskMemberTotal.member_id == member.id)).all())
    return [_item(t, member, claimed, received.get(t.id, 0)) for t in tasks]


def _ended(task, received) -> bool:
    """The budget is spent, or this member has had all the task pays."""
    return budget.exhausted(task) or (task.member_limit_points is not None
                                      and received >= task.member_limit_points)


def _item(task, member, claimed, received) -> dict:
    item = {"id": task.id, "kind": task.kind, "title": task.title, "ends_at": task.ends_at,
            "action": task.config.get("action"), "description": task.description}
    if task.kind == ONE_OFF:
        item["reward_points"] = task.config["reward_points"]
        item["status"] = "claimed" if task.id in claimed else "ended" if _ended(task, received) \
            else "claimable" if _done(member, task.config["action"]) else "todo"
    elif task.kind == CHECKIN:
        from tasks.checkins import checkin_row

        done = checkin_row(member.id, clock.business_date()) is not None
        item["reward_points"] = reward_for(task, 1)
        item["status"] = "ended" if _ended(task, received) else "done" if done else "todo"
    else:
        item["reward_points"] = task.config["inviter_points"]
        item["status"] = "ended" if _ended(task, received) else "active"
    return item


TASKS = Crud("task", "task", list_tasks, get_task, save_task)
