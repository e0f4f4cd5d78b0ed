"""HQ's staff accounts: create one with a role and its stores, change role and stores,
deactivate and reactivate, reset a password (the account's sessions end). The API's schemas
and services, with their refusals (your own account, the last HQ admin)."""
from flask import flash, g, request
from flask_babel import gettext as _

from console import session as console_session
from console.blueprint import bp
from console.hq_forms import ROLE_NAMES, PasswordResetForm, StaffForm
from console.views import go, load, refusal, render
from core.errors import AppError
from stores import service
from stores.schemas import StaffIn, StaffPatch

HQ = ("hq_admin",)
STAFF_IN, STAFF_PATCH = StaffIn(), StaffPatch()
PER_PAGE = 100


def _staff_form(formdata=None, **data) -> StaffForm:
    form = StaffForm(formdata=formdata, data=data) if data else StaffForm(formdata=formdata)
    form.store_codes.choices = [(s.code, f"{s.name} ({s.code})") for s in
                                service.list_stores(500, None)["items"] if s.active]
    return form


@bp.get("/hq/staff")
@console_session.staff_page(*HQ, store=False)
def hq_staff():
    return _list(_staff_form())


def _list(form, status=200, refused=None):
    page = service.list_staff(PER_PAGE, request.args.get("cursor"))
    return render("hq/staff.html", status, page=page, form=form, roles=ROLE_NAMES,
                  refused=refused)


@bp.post("/hq/staff")
@console_session.staff_page(*HQ, store=False)
def create_staff():
    form = _staff_form(request.form)
    try:
        staff = service.create_staff(**load(STAFF_IN, {
            "username": (form.username.data or "").strip(), "password": form.password.data or "",
            "role": form.role.data, "store_codes": form.store_codes.data or []}))
    except AppError as exc:
        return _list(form, exc.status, refusal(exc, "staff_edit"))
    flash(_("Staff account %(name)s created.", name=staff.username), "success")
    return go("console.hq_staff_member", staff_id=staff.id)


@bp.route("/hq/staff/<int:staff_id>", methods=["GET", "POST"])
@console_session.staff_page(*HQ, store=False)
def hq_staff_member(staff_id):
    member = service.get_staff(staff_id)
    if request.method == "GET":
        return _page(member, _staff_form(role=member.role, store_codes=member.store_codes))
    form = _staff_form(request.form)
    try:
        service.update_staff(staff_id, load(STAFF_PATCH, {
            "role": form.role.data, "store_codes": form.store_codes.data or []}), actor=g.staff)
    except AppError as exc:
        return _page(member, form, exc.status, refused=refusal(exc, "staff_edit"))
    flash(_("Role and stores saved."), "success")
    return go("console.hq_staff_member", staff_id=staff_id)


def _page(member, form, status=200, **context):
    return render("hq/staff_member.html", status, member=member, form=form, roles=ROLE_NAMES,
                  password_form=context.pop("password_form", PasswordResetForm(formdata=None)),
                  **context)


@bp.post("/hq/staff/<int:staff_id>/active")
@console_session.staff_page(*HQ, store=False)
def staff_active(staff_id):
    member = service.get_staff(staff_id)
    active = request.form.get("active") == "1"
    try:
        service.update_staff(staff_id, {"active": active}, actor=g.staff)
    except AppError as exc:
        return _page(member, _staff_form(role=member.role, store_codes=member.store_codes),
                     exc.status, refused=refusal(exc, "staff_edit"))
    flash(_("Account reactivated.") if active else
          _("Account deactivated: its sessions have ended."), "success")
    return go("console.hq_staff_member", staff_id=staff_id)


@bp.post("/hq/staff/<int:staff_id>/password")
@console_session.staff_page(*HQ, store=False)
def reset_password(staff_id):
    member = service.get_staff(staff_id)
    form = PasswordResetForm()
    try:  # the API's schema says what a password must be (an empty one too)
        service.update_staff(staff_id, load(STAFF_PATCH, {"password": form.password.data or ""}),
                             actor=g.staff)
    except AppError as exc:
        return _page(member, _staff_form(role=member.role, store_codes=member.store_codes),
                     exc.status, password_form=form, refused=refusal(exc, "staff_edit"))
    flash(_("Password reset: %(name)s signs in with the new one; their sessions have ended.",
            name=member.username), "success")
    return go("console.hq_staff_member", staff_id=staff_id)
