"""HQ's stores and their POS keys: create, edit, close and reopen a store; issue a POS key (its
secret shown in that one answer, never again) and revoke one. The API's schemas check what is
typed and its services write it (each audited there)."""
from flask import flash, request
from flask_babel import gettext as _

from console import session as console_session
from console.blueprint import bp
from console.hq_forms import StoreDetailsForm
from console.views import go, load, refusal, render
from core.errors import AppError
from stores import service
from stores.schemas import StoreIn, StorePatch

HQ = ("hq_admin",)
STORE_IN, STORE_PATCH = StoreIn(), StorePatch()
PER_PAGE = 100


@bp.get("/hq/stores")
@console_session.staff_page(*HQ, store=False)
def hq_stores():
    return _list(StoreDetailsForm(formdata=None))


def _list(form, status=200, refused=None):
    page = service.list_stores(PER_PAGE, request.args.get("cursor"))
    return render("hq/stores.html", status, page=page, form=form, refused=refused)


@bp.post("/hq/stores")
@console_session.staff_page(*HQ, store=False)
def create_store():
    form = StoreDetailsForm()
    if not form.validate():
        return _list(form, 422)
    try:
        store = service.create_store(**load(STORE_IN, form.payload(new=True)))
    except AppError as exc:
        return _list(form, exc.status, refusal(exc, "store_edit"))
    flash(_("Store %(code)s created.", code=store.code), "success")
    return go("console.hq_store", code=store.code)


@bp.route("/hq/stores/<code>", methods=["GET", "POST"])
@console_session.staff_page(*HQ, store=False)
def hq_store(code):
    store = service.get_store(code)
    form = StoreDetailsForm(obj=store) if request.method == "GET" else StoreDetailsForm()
    if request.method == "GET" or not form.validate():
        return _page(store, form, 422 if form.errors else 200)
    try:
        service.update_store(code, load(STORE_PATCH, form.payload(new=False)))
    except AppError as exc:
        return _page(store, form, exc.status, refused=refusal(exc, "store_edit"))
    flash(_("Store saved."), "success")
    return go("console.hq_store", code=code)


def _page(store, form, status=200, **context):
    return render("hq/store.html", status, store=store, form=form,
                  keys=service.list_api_keys(store.code), **context)


@bp.post("/hq/stores/<code>/active")
@console_session.staff_page(*HQ, store=False)
def store_active(code):
    opening = request.form.get("active") == "1"
    service.update_store(code, {"active": opening})
    flash(_("Store reopened.") if opening else _("Store closed: it is no longer offered to "
                                                   "staff, POS or members."), "success")
    return go("console.hq_store", code=code)


@bp.post("/hq/stores/<code>/pos-keys")
@console_session.staff_page(*HQ, store=False)
def issue_pos_key(code):
    store = service.get_store(code)
    try:
        key, secret = service.create_api_key(code)
    except AppError as exc:
        return _page(store, StoreDetailsForm(obj=store), exc.status, refused=refusal(exc, "store"))
    # the secret is in this answer only: not flashed, not kept; a reload shows it no more
    return _page(store, StoreDetailsForm(obj=store), 201, new_key=key, secret=secret)


@bp.post("/hq/stores/<code>/pos-keys/<key_id>/revoke")
@console_session.staff_page(*HQ, store=False)
def revoke_pos_key(code, key_id):
    service.revoke_api_key(code, key_id)
    flash(_("POS key %(key)s revoked: requests signed with it are refused.", key=key_id),
          "success")
    return go("console.hq_store", code=code)
