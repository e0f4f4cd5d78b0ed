"""Daily check-in (签到): paid once per member per business day — the unique (member, day)
decides, so a double tap or twenty taps at once pay once; the streak counts consecutive
business days and resets after a missed one; optional make-up (补签) of yesterday.

A make-up counts against the month of the day it fills (what the member reads on the
calendar): on Feb 1 a make-up of Jan 31 uses one of January's."""
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import clock
from core.db import db
from core.errors import Conflict
from points import ledger
from tasks import budget
from tasks.models import CHECKIN, CheckIn, Task


class AlreadyCheckedIn(Conflict):
    code, message = "already_checked_in", "You have already checked in today."


def _already(day: date) -> AlreadyCheckedIn:
    message = None if day == clock.business_date() else f"{day.isoformat()} is already checked in."
    return AlreadyCheckedIn(message, details={"date": day.isoformat()})


def reward_for(task: Task, streak: int) -> int:
    """Points for day `streak` of a streak: the schedule's value, its last one repeating."""
    return points_for_day(task.config["schedule"], streak)


def points_for_day(schedule: list[int], streak: int) -> int:
    return schedule[min(streak, len(schedule)) - 1]


def streak_preview(schedule: list[int], days: int = 30) -> list[dict]:
    """What a member earns on each day 1..`days` of an unbroken streak under `schedule`:
    [{day, points, total}] (total: the streak's points so far)."""
    preview, total = [], 0
    for day in range(1, days + 1):
        total += points_for_day(schedule, day)
        preview.append({"day": day, "points": points_for_day(schedule, day), "total": total})
    return preview


def _task() -> Task:
    task = budget.active_task(CHECKIN)
    if task is None:
        raise Conflict("There is no check-in running now.", code="invalid_state")
    if budget.exhausted(task):
        raise budget.BudgetSpent(details={"task_id": task.id})
    return task


def checkin_row(member_id, day) -> CheckIn | None:
    return db.session.scalars(select(CheckIn).filter_by(member_id=member_id, day=day)).first()


def _record(member, task, day, *, made_up=False) -> CheckIn:
    """The caller holds the member's account lock, so a make-up of yesterday and today's
    check-in cannot interleave (READ COMMITTED: today's streak sees yesterday's row)."""
    before = checkin_row(member.id, day - timedelta(days=1))
    streak = before.streak + 1 if before else 1
    points = reward_for(task, streak)
    budget.spend(task, points)  # first: see budget.spend; a second tap rolls it back
    try:
        with db.session.begin_nested():
            row = CheckIn(member_id=member.id, task_id=task.id, day=day, streak=streak,
                          points=points, made_up=made_up, created_at=clock.now())
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        raise _already(day) from None
    if not budget.take_member_share(task, member.id, points):
        raise budget.MemberLimitReached(details={"task_id": task.id})
    ledger.credit(member.id, points, kind="checkin", key=f"checkin:{member.id}:{day}",
                          ref=("checkin", row.id))
    return row


def check_in(member) -> CheckIn:
    """Today's check-in (409 already_checked_in on a second one)."""
    task = _task()
    ledger.lock_account(member.id)
    return _record(member, task, clock.business_date())


def make_up(member) -> CheckIn:
    """Check in for yesterday, if the marketer allows it: before today's check-in (so today
    continues the repaired streak), within the monthly limit, for `cost_points`."""
    task = _task()
    rules = task.config.get("makeup") or {}
    if not rules.get("enabled"):
        raise Conflict("Make-up check-in is not offered.", code="invalid_state")
    today = clock.business_date()
    ledger.lock_account(member.id)
    if checkin_row(member.id, today) is not None:
        raise Conflict("Make up yesterday before checking in today.", code="invalid_state")
    yesterday = today - timedelta(days=1)
    if checkin_row(member.id, yesterday) is not None:
        raise _already(yesterday)
    if made_up_in_month(member.id, yesterday) >= rules.get("per_month", 0):
        raise Conflict(f"No make-up check-ins left for {yesterday:%Y-%m}.", code="limit_exceeded",
                       details={"month": f"{yesterday:%Y-%m}"})
    if rules.get("cost_points"):
        ledger.debit(member.id, rules["cost_points"], kind="spend",
                             key=f"checkin-makeup:{member.id}:{yesterday}",
                             ref=("checkin_makeup", str(yesterday)))
    return _record(member, task, yesterday, made_up=True)


def _month(day: date) -> tuple[date, date]:
    """The first day of `day`'s month and of the next."""
    first = day.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1)


def made_up_in_month(member_id, day: date) -> int:
    """Make-ups of days in `day`'s month, whenever they were made."""
    first, after = _month(day)
    return db.session.scalar(select(func.count()).select_from(CheckIn).where(
        CheckIn.member_id == member_id, CheckIn.made_up.is_(True), CheckIn.day >= first,
        CheckIn.day < after)) or 0


def calendar(member, month: date) -> dict:
    """GET /me/checkins: the month's days, the current streak, today, and the schedule."""
    today = clock.business_date()
    first, after = _month(month)
    days = db.session.scalars(select(CheckIn).where(
        CheckIn.member_id == member.id, CheckIn.day >= first, CheckIn.day < after)
        .order_by(CheckIn.day)).all()
    last = checkin_row(member.id, today) or checkin_row(member.id, today - timedelta(days=1))
    streak = last.streak if last else 0
    task = budget.active_task(CHECKIN)
    rules = (task.config.get("makeup") or {}) if task else {}
    return {
        "month": first.strftime("%Y-%m"),
        "days": [{"date": d.day, "points": d.points, "made_up": d.made_up} for d in days],
        "streak": streak, "checked_in_today": checkin_row(member.id, today) is not None,
        "schedule": task.config["schedule"] if task else [],
        #: the next check-in's reward (today's if not yet done, else tomorrow's)
        "next_points": reward_for(task, streak + 1) if task else None,
        "makeup": _makeup_state(member, rules, first, today),
        "active": task is not None and not budget.exhausted(task),
    }


def _makeup_state(member, rules: dict, month: date, today: date) -> dict:
    """Make-ups left in the calendar's month, and whether yesterday can be made up now
    (counted against yesterday's month)."""
    yesterday = today - timedelta(days=1)
    per_month = rules.get("per_month", 0)
    open_now = bool(rules.get("enabled")) and checkin_row(member.id, today) is None \
        and checkin_row(member.id, yesterday) is None
    return {"enabled": bool(rules.get("enabled")), "cost_points": rules.get("cost_points", 0),
            "left_this_month": max(per_month - made_up_in_month(member.id, month), 0),
            "date": yesterday,
            "available": open_now and made_up_in_month(member.id, yesterday) < per_month}
