"""Task budgets and windows: whether a task pays now, and taking points from its budget."""
from sqlalchemy import String, cast, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from core import clock
from core.db import db
from core.errors import Conflict
from points import ledger
from points.ledger.models import PointsEntry
from tasks.models import CHECKIN, ONE_OFF, CheckIn, Referral, Task, TaskClaim, TaskMemberTotal


class BudgetSpent(Conflict):
    code, message = "limit_exceeded", "This task's budget is spent: it has ended."


class MemberLimitReached(Conflict):
    code, message = "limit_exceeded", "You have received all the points this task gives."


def is_open(task: Task, now=None) -> bool:
    now = now or clock.now()
    return task.active and (task.starts_at is None or task.starts_at <= now) and \
        (task.ends_at is None or now < task.ends_at)


def exhausted(task: Task) -> bool:
    return task.budget_points is not None and task.spent_points >= task.budget_points


def active_task(kind: str) -> Task | None:
    """The open task of a kind (check-in and referral have at most one active each)."""
    now = clock.now()
    tasks = db.session.scalars(select(Task).filter_by(kind=kind, active=True).order_by(Task.id))
    return next((t for t in tasks if is_open(t, now)), None)


def spend(task: Task, points: int) -> None:
    """Take `points` from the task's budget with one guarded UPDATE (409 limit_exceeded when
    it would overspend): two concurrent claims cannot both take the last points.

    Call it BEFORE inserting rows that reference the task: their foreign-key check takes a
    shared lock on the task row, and two such holders upgrading to this UPDATE deadlock. A
    task without a budget is not updated at all, so its check-ins do not queue on one row
    (what it paid is in the ledger: entries referring to the task's rewards)."""
    if points <= 0 or task.budget_points is None:
        return
    taken = db.session.execute(
        update(Task).where(Task.id == task.id,
                           or_(Task.budget_points.is_(None),
                               Task.spent_points + points <= Task.budget_points))
        .values(spent_points=Task.spent_points + points)
        .execution_options(synchronize_session=False)).rowcount
    if not taken:
        raise BudgetSpent(details={"task_id": task.id})
    db.session.refresh(task)


def take_member_share(task: Task, member_id: int, points: int) -> bool:
    """Count `points` against the member's limit for this task; False (nothing counted) when
    they would pass it. The member's account is locked first: it serialises the member's own
    rewards, so the counter row's insert-or-update cannot race (nor deadlock on gap locks)."""
    limit = task.member_limit_points
    if limit is None or points <= 0:
        return True
    if points > limit:
        return False
    ledger.lock_account(member_id)
    grow = (update(TaskMemberTotal)
            .where(TaskMemberTotal.task_id == task.id, TaskMemberTotal.member_id == member_id,
                   TaskMemberTotal.points + points <= limit)
            .values(points=TaskMemberTotal.points + points)
            .execution_options(synchronize_session=False))
    if db.session.execute(grow).rowcount:
        return True
    try:
        with db.session.begin_nested():
            db.session.add(TaskMemberTotal(task_id=task.id, member_id=member_id, points=points))
            db.session.flush()
        return True
    except IntegrityError:  # the row is there: the guarded UPDATE found it full
        return False


def paid(task: Task) -> int:
    """Points the task has paid so far: its budget's counter when it has a budget, else what
    its rewards credited (check-ins, claims, referral credits; rewards taken back later are
    still counted, as the budget counts them)."""
    if task.budget_points is not None:
        return task.spent_points
    if task.kind == CHECKIN:
        query = select(func.sum(CheckIn.points)).where(CheckIn.task_id == task.id)
    elif task.kind == ONE_OFF:
        query = select(func.sum(TaskClaim.points)).where(TaskClaim.task_id == task.id)
    else:
        query = (select(func.sum(PointsEntry.delta))
                 .join(Referral, PointsEntry.ref_id == cast(Referral.id, String))
                 .where(PointsEntry.ref_type == "referral", PointsEntry.kind == "referral",
                        Referral.task_id == task.id))
    return int(db.session.scalar(query) or 0)
