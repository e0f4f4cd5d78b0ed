"""The audit log at the console: who changed what, where and why. Store managers read the
entries made at or for their stores, HQ every entry; the API's audit service answers both."""
from flask import g, request
from flask_babel import lazy_gettext as _l

from console import session as console_session
from console.blueprint import bp
from console.forms import AuditFilterForm
from console.views import render
from core.errors import ValidationFailed
from core.pagination import decode_cursor
from members.lookup import member_nos
from stores import service as stores_service
from stores.models import ADJUSTERS

PER_PAGE = 25
#: the actions a person filters by, as the page names them (others are shown by their code)
ACTIONS = {
    "points.adjust": _l("Points adjusted"),
    "redemption.cancel": _l("Redemption cancelled"),
    "member.merge": _l("Members merged"),
    "store.create": _l("Store created"), "store.update": _l("Store changed"),
    "staff.create": _l("Staff account created"), "staff.update": _l("Staff account changed"),
    "staff.password": _l("Password changed"),
    "api_key.create": _l("POS key created"), "api_key.revoke": _l("POS key revoked"),
    "product.create": _l("Product created"), "product.update": _l("Product changed"),
    "product.stock": _l("Stock changed"),
    "settings.update": _l("Settings changed"), "tier.create": _l("Tier created"),
    "tier.update": _l("Tier changed"), "task.save": _l("Task saved"),
}


@bp.get("/audit")
@console_session.staff_page(*ADJUSTERS, store=False)
def audit():
    form = AuditFilterForm(request.args)
    form.action.choices = [("", _l("All actions"))] + list(ACTIONS.items())
    cursor = request.args.get("cursor") or None
    if not form.validate() or (cursor and not _is_cursor(cursor)):
        return render("audit.html", 422, form=form, page={"items": [], "next_cursor": None},
                      actions=ACTIONS, stores={}, members={}, filters={})
    filters = {key: value for key, value in (
        ("date_from", form.date_from.data), ("date_to", form.date_to.data),
        ("actor_name", (form.staff.data or "").strip()), ("action", form.action.data)) if value}
    page = stores_service.audit_log(PER_PAGE, cursor, store_ids=readable_stores(g.staff),
                                    **filters)
    return render("audit.html", form=form, page=page, actions=ACTIONS,
                  stores=stores_service.stores_by_ids(e.store_id for e in page["items"]
                                                      if e.store_id),
                  members=member_nos(int(e.target_id) for e in page["items"]
                                     if e.target_type == "member"),
                  filters={k: v for k, v in request.args.items() if k != "cursor"})


def readable_stores(staff):
    """None (every entry) for HQ; the ids of a store manager's stores otherwise."""
    return None if staff.is_hq else [store.id for store in staff.stores]


def _is_cursor(cursor: str) -> bool:
    try:
        decode_cursor(cursor)
    except ValidationFailed:
        return False
    return True
