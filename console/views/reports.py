"""Reports for marketers and HQ, each downloadable as CSV (UTF-8 with BOM) or XLSX: the
cross-store settlement (HQ only, as in the API), points issued/spent by store and month, the
liability, check-in and referral statistics, redemptions; and the audit log's export (the audit
page's filters and roles)."""
import json

from flask import g, request
from flask_babel import gettext as _, lazy_gettext as _l

from console import exports, session as console_session
from console.blueprint import bp
from console.forms import AuditFilterForm
from console.views import render
from console.views.audit import ACTIONS, readable_stores
from console.views.dashboard import range_form
from analytics.dashboard import reports as tables
from core import clock
from core.replica import reports_read
from core.errors import Forbidden, NotFound
from stores import service as stores_service
from stores.models import ADJUSTERS, HQ_ADMIN, MARKETING

DEFAULT_DAYS = 31
MAX_AUDIT_ROWS = 100_000

#: name → (title, what it says, who may download it, takes the date range)
REPORTS = {
    "settlement": (_l("Cross-store settlement"),
                   _l("Points issued at one store and spent at another, who funded them and "
                      "who owes whom."), (HQ_ADMIN,), True),
    "points-by-store-month": (_l("Points by store and month"),
                              _l("Points issued, spent and expired per store and month."),
                              MARKETING, True),
    "liability": (_l("Points liability"),
                  _l("Points outstanding today by issuing store, funder and expiry month."),
                  MARKETING, False),
    "checkins-referrals": (_l("Check-ins and referrals"),
                           _l("Check-ins per day (made up, points paid) and referrals by "
                              "outcome."), MARKETING, True),
    "redemptions": (_l("Redemptions"),
                    _l("Redemptions by product, store and status."), MARKETING, True),
}


def _names() -> dict:
    """Column and sheet names in the reader's language."""
    return {
        "hq": _("HQ"), "any_store": _("Any store"), "settlement": _("Settlement"),
        "owed_by_funder": _("Owed by funder"), "issuing_store": _("Issuing store"),
        "funded_by": _("Funded by"), "spending_store": _("Spending store"),
        "points": _("Points"), "value_fen": _("Value (fen)"), "payer": _("Payer"),
        "payee": _("Payee"), "points_by_store_month": _("Points by store and month"),
        "month": _("Month"), "store": _("Store"), "points_issued": _("Points issued"),
        "points_spent": _("Points spent"), "points_expired": _("Points expired"),
        "liability_by_store": _("By issuing store"), "liability_by_funder": _("By funder"),
        "liability_by_month": _("By expiry month"), "checkins": _("Check-ins"),
        "date": _("Date"), "made_up": _("Made up"), "referrals": _("Referrals"),
        "status": _("Status"), "redemptions": _("Redemptions"), "product": _("Product"),
        "quantity": _("Quantity"), "cash_fen": _("Cash (fen)"),
        "referral_pending": _("pending"), "referral_rewarded": _("rewarded"),
        "referral_capped": _("over the monthly cap"), "referral_refused": _("refused"),
        "referral_revoked": _("revoked"), "status_pending": _("waiting for pickup"),
        "status_fulfilled": _("handed over"), "status_cancelled": _("cancelled"),
        "status_expired": _("not picked up"),
    }


@bp.get("/reports")
@console_session.staff_page(*MARKETING, store=False)
def reports():
    form, _stores = range_form(DEFAULT_DAYS)
    valid = form.validate()
    offered = {name: report for name, report in REPORTS.items() if g.staff.role in report[2]}
    return render("reports.html", 200 if valid else 422, form=form, reports=offered,
                  valid=valid, formats=exports.FORMATS,
                  span={"date_from": form.date_from.data, "date_to": form.date_to.data})


@bp.get("/reports/<name>.<fmt>")
@console_session.staff_page(*MARKETING, store=False)
def report_download(name, fmt):
    if name not in REPORTS or fmt not in exports.FORMATS:
        raise NotFound("No such report.")
    title, _about, roles, ranged = REPORTS[name]
    if g.staff.role not in roles:
        raise Forbidden(f"This needs one of the roles: {', '.join(roles)}.",
                        details={"roles": list(roles)})
    form, _stores = range_form(DEFAULT_DAYS)
    if not form.validate():
        return render("refused.html", 422, message=_("Pick a valid date range."))
    span = (form.date_from.data, form.date_to.data)
    with reports_read() as freshness:  # the reports replica when one is set
        sheets = _sheets(name, span, _names())
    sheets = [*sheets, *_freshness_sheet(freshness)]
    suffix = f"-{span[0].isoformat()}-{span[1].isoformat()}" if ranged else ""
    return exports.download(sheets, f"{name}{suffix}", fmt)


def _sheets(name, span, names):
    if name == "liability":
        return tables.liability(names)
    return {"settlement": tables.settlement, "points-by-store-month": tables.points_by_store_month,
            "checkins-referrals": tables.checkins_and_referrals,
            "redemptions": tables.redemptions}[name](*span, names)


@bp.get("/audit/export.<fmt>")
@console_session.staff_page(*ADJUSTERS, store=False)
def audit_export(fmt):
    """The audit log with the page's filters (actor, action, dates), oldest rows last."""
    if fmt not in exports.FORMATS:
        raise NotFound("No such format.")
    form = AuditFilterForm(request.args)
    form.action.choices = [("", "")] + list(ACTIONS.items())
    if not form.validate():
        return render("refused.html", 422, message=_("Check the filters."))
    filters = {key: value for key, value in (
        ("date_from", form.date_from.data), ("date_to", form.date_to.data),
        ("actor_name", (form.staff.data or "").strip()), ("action", form.action.data)) if value}
    with reports_read() as freshness:
        sheet = _audit_sheet(filters)
    return exports.download([sheet, *_freshness_sheet(freshness)], "audit-log", fmt)


def _freshness_sheet(freshness) -> list[tables.Sheet]:
    """A download read on the reports replica ends with where and how fresh: a report is
    labelled, never silently old. Read on the primary, it is the live data: nothing to add."""
    if freshness.source != "replica":
        return []
    lag = freshness.lag_seconds
    return [tables.Sheet(_("Data freshness"), [_("Read from"), _("Complete up to"),
                                              _("Seconds behind"), _("Stale")],
                        [[freshness.source, _local(freshness.as_of) if freshness.as_of else "",
                          "" if lag is None else lag, _("yes") if freshness.stale else _("no")]])]


def _audit_sheet(filters) -> tables.Sheet:
    sheet = tables.Sheet(_("Audit log"), [_("Time"), _("Staff"), _("Action"), _("Of"),
                                          _("Store"), _("Before"), _("After"), _("Reason")])
    stores, cursor = {}, None
    while len(sheet.rows) < MAX_AUDIT_ROWS:
        page = stores_service.audit_log(1000, cursor, store_ids=readable_stores(g.staff),
                                        **filters)
        stores.update(stores_service.stores_by_ids(
            e.store_id for e in page["items"] if e.store_id and e.store_id not in stores))
        sheet.rows += [[_local(e.created_at), e.actor_name or e.actor_type,
                        str(ACTIONS.get(e.action, e.action)), f"{e.target_type} {e.target_id}",
                        stores[e.store_id].code if e.store_id in stores else "",
                        _json(e.before), _json(e.after), e.reason or ""]
                       for e in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    return sheet


def _local(moment) -> str:
    return moment.astimezone(clock.business_tz()).strftime("%Y-%m-%d %H:%M:%S")


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""

