"""The task centre for marketers and HQ: every task with its state and what it has paid, the
check-in schedule editor with a live 30-day preview, make-up rules, the referral rewards,
one-off tasks, budgets, activate / deactivate. The same services and input schemas as
/admin/tasks; a refused save renders the form again with a 4xx (the request boundary then
rolls back: nothing half-saved)."""
from flask import flash, request
from flask_babel import gettext as _, lazy_gettext as _l

from console import session as console_session
from console.blueprint import bp
from console.configure_forms import SCHEDULE_DAYS, TaskForm
from console.field_errors import attach
from console.views import InvalidInput, load, refusal, render, go
from core import clock
from core.errors import AppError, NotFound
from stores.models import MARKETING
from tasks import budget, checkins, service
from tasks.models import CHECKIN, KINDS, ONE_OFF, REFERRAL
from tasks.schemas import TaskFields, TaskIn

TASK_IN, TASK_CHANGES = TaskIn(), TaskFields()
KIND_NAMES = {CHECKIN: _l("Daily check-in"), REFERRAL: _l("Invite friends"),
              ONE_OFF: _l("One-off task")}
#: schema paths → form fields
RENAMES = {"makeup.cost_points": "makeup_cost", "makeup.per_month": "makeup_per_month",
           "makeup.enabled": "makeup_enabled"}
PREVIEW_DAYS = 30


def task_page(view):
    return console_session.staff_page(*MARKETING, store=False)(view)


def state(task, now) -> str:
    if not task.active:
        return "inactive"
    if budget.exhausted(task):
        return "spent"
    if task.starts_at and now < task.starts_at:
        return "upcoming"
    if task.ends_at and now >= task.ends_at:
        return "ended"
    return "running"


@bp.get("/tasks")
@task_page
def tasks():
    return _list_page()


def _list_page(status=200, **context):
    now = clock.now()
    rows = [{"task": t, "state": state(t, now), "paid": budget.paid(t)}
            for t in service.list_tasks()]
    return render("tasks/list.html", status, rows=rows, kinds=KIND_NAMES, **context)


@bp.route("/tasks/new", methods=["GET", "POST"])
@task_page
def new_task():
    kind = request.args.get("kind", ONE_OFF)
    if kind not in KINDS:
        raise NotFound(f"No kind of task {kind}.")
    form = TaskForm() if request.method == "POST" else TaskForm(data=_defaults(kind))
    if request.method == "GET":
        return _editor(form, kind, None)
    return _save(form, kind, None)


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@task_page
def task(task_id):
    current = service.get_task(task_id)
    form = TaskForm() if request.method == "POST" else TaskForm(data=_form_data(current))
    if request.method == "GET":
        return _editor(form, current.kind, current)
    return _save(form, current.kind, current)


def _save(form, kind, current):
    _pad_schedule(form)
    if not form.validate():
        return _editor(form, kind, current, 422)
    payload = form.payload(kind, clock.business_tz())
    try:
        if current is None:
            saved = service.save_task(load(TASK_IN, {"kind": kind, **payload}))
        else:
            saved = service.save_task(load(TASK_CHANGES, payload), current)
    except AppError as exc:
        lines = attach(form, exc.details, RENAMES) if isinstance(exc, InvalidInput) else []
        refused = refusal(exc, "task")
        refused["lines"] = lines
        return _editor(form, kind, current, exc.status, refused=refused)
    flash(_("Task %(title)s saved.", title=saved.title), "success")
    return go("console.task", task_id=saved.id)


@bp.post("/tasks/<int:task_id>/active")
@task_page
def task_active(task_id):
    current = service.get_task(task_id)
    active = request.form.get("active") == "1"
    try:
        service.save_task(load(TASK_CHANGES, {"active": active}), current)
    except AppError as exc:
        return _list_page(exc.status, refused=refusal(exc, "task"))
    flash(_("%(title)s is active now.", title=current.title) if active else
          _("%(title)s is deactivated: it pays no more.", title=current.title), "success")
    return go("console.tasks")


@bp.post("/tasks/schedule-preview")
@task_page
def schedule_preview():
    """The 30-day preview of the schedule as typed (htmx); nothing is saved."""
    form = TaskForm()
    _pad_schedule(form)
    form.validate()
    return render("tasks/preview.html", preview=_preview(form))


def _preview(form):
    schedule = form.schedule_points()
    if form.schedule.errors or not schedule or any(p < 1 for p in schedule):
        return None
    return checkins.streak_preview(schedule, PREVIEW_DAYS)


def _editor(form, kind, current, status=200, **context):
    _pad_schedule(form)
    return render("tasks/edit.html", status, form=form, kind=kind, task=current,
                  kind_name=KIND_NAMES[kind], preview=_preview(form) if kind == CHECKIN else None,
                  paid=budget.paid(current) if current else 0, **context)


def _pad_schedule(form):
    """Two empty days after the last one typed (up to 31), to lengthen the schedule."""
    while len(form.schedule.entries) < min(len(form.schedule_points()) + 2, SCHEDULE_DAYS):
        form.schedule.append_entry()


def _defaults(kind) -> dict:
    if kind == CHECKIN:
        return {"schedule": [5, 5, 5, 5, 5, 5, 30]}
    if kind == REFERRAL:
        return {"trigger": "first_order"}
    return {}


def _form_data(task) -> dict:
    zone, config = clock.business_tz(), task.config
    makeup = config.get("makeup") or {}
    return {"title": task.title, "description": task.description,
            "starts_at": _wall_clock(task.starts_at, zone),
            "ends_at": _wall_clock(task.ends_at, zone),
            "budget_points": task.budget_points, "member_limit_points": task.member_limit_points,
            "schedule": config.get("schedule") or [], "makeup_enabled": makeup.get("enabled"),
            "makeup_cost": makeup.get("cost_points"), "makeup_per_month": makeup.get("per_month"),
            **{k: config.get(k) for k in ("inviter_points", "invitee_points", "trigger",
                                          "monthly_cap", "reward_points", "action")}}


def _wall_clock(moment, zone):
    return moment.astimezone(zone).replace(tzinfo=None) if moment else None
