"""The task centre: the member's check-in, tasks and invites; marketers' /admin/tasks."""
from datetime import date

from core import clock, limits
from core.api import blueprint, documents
from core.auth import member_required
from core.crud import register_crud
from members.lookup import current_member
from tasks import checkins, referrals, service
from tasks.schemas import (CalendarOut, CheckinArgs, CheckinIn, CheckinOut, ClaimOut, InvitesArgs,
                           InvitesOut, MyTasks, TaskFields, TaskIn, TaskOut)
from stores.models import MARKETING

me_blp = blueprint("tasks_me", __name__, prefix="/me",
                   description="Daily check-in, tasks and invited friends.")
admin_blp = blueprint("tasks_admin", __name__, prefix="/admin/tasks",
                      description="Check-in schedule, referral rewards, one-off tasks, budgets.")


@me_blp.post("/checkins")
@member_required
@limits.limited("checkin")
@me_blp.arguments(CheckinIn, required=False)
@me_blp.response(201, CheckinOut)
@documents(me_blp, 401, 409, 429, auth="member")
def check_in(data):
    """Once per business day (Asia/Shanghai): a second tap → 409 `already_checked_in`.
    `{"makeup": true}` makes up yesterday (补签), if offered, before today's check-in."""
    member = current_member()
    return checkins.make_up(member) if (data or {}).get("makeup") else checkins.check_in(member)


@me_blp.get("/checkins")
@member_required
@me_blp.arguments(CheckinArgs, location="query")
@me_blp.response(200, CalendarOut)
@documents(me_blp, 401, 422, auth="member")
def calendar(args):
    month = date.fromisoformat(args["month"] + "-01") if args.get("month") else clock.business_date()
    return checkins.calendar(current_member(), month)


@me_blp.get("/tasks")
@member_required
@me_blp.response(200, MyTasks)
@documents(me_blp, 401, auth="member")
def my_tasks():
    return {"items": service.my_tasks(current_member())}


@me_blp.post("/tasks/<int:task_id>/claim")
@member_required
@me_blp.response(201, ClaimOut)
@documents(me_blp, 401, 404, 409, auth="member")
def claim(task_id):
    """Once per member; 409 `invalid_state` (not done, not running), `limit_exceeded`
    (claimed already, or the task's budget is spent)."""
    row = service.claim(current_member(), task_id)
    return {"task_id": row.task_id, "points": row.points}


@me_blp.get("/invites")
@member_required
@me_blp.arguments(InvitesArgs, location="query")
@me_blp.response(200, InvitesOut)
@documents(me_blp, 401, 422, auth="member")
def invites(args):
    """My invite code, the friends I invited (newest first, paged) and the referral rules."""
    return referrals.my_invites(current_member(), **args)


register_crud(admin_blp, "", service.TASKS, out=TaskOut, create_in=TaskIn, patch_in=TaskFields,
              roles=MARKETING,
              create_doc="`checkin` with `schedule[]` (and optional `makeup`); `referral` with "
                         "`inviter_points, invitee_points, trigger: register|first_order`, "
                         "optional `monthly_cap`; `one_off` with `title, reward_points, action`. "
                         "Any task: `starts_at, ends_at, budget_points, member_limit_points`.")
