"""The dashboard, where marketers and HQ land: for a date range and optionally one store, the
points issued, spent and expired per day, members registered and active, orders with a member
and their share of the POS's orders, check-ins, referrals, redemptions by product, the
liability and what expires soon. From the daily rollup plus today's figures live
(analytics.dashboard.figures)."""
from datetime import timedelta

from flask import render_template, request
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from console import session as console_session
from console.blueprint import bp
from console.forms import RangeForm
from console.views import render
from core import clock
from core.db import db
from core.redis import get_redis, rkey
from analytics.dashboard import figures
from stores.models import MARKETING, Store

DEFAULT_DAYS = 30
MAX_DAYS = 366


@bp.get("/dashboard")
@console_session.staff_page(*MARKETING, store=False)
def dashboard():
    form, stores = range_form(DEFAULT_DAYS)
    if not form.validate() or not _fits(form):
        return render("dashboard.html", 422, content=_content(form=form, report=None))
    store = stores.get(form.store.data)
    key = rkey("dashboard", "page", console_session.locale(), form.date_from.data.isoformat(),
               form.date_to.data.isoformat(), store.code if store else "")
    if (shared := get_redis().get(key)) is None:  # viewers share it, as they share today's
        shared = _content(**_figures(form, store)).encode()
        get_redis().set(key, shared, ex=figures.LIVE_SECONDS)
    return render("dashboard.html", content=Markup(shared.decode()))


def _figures(form, store) -> dict:
    report = figures.dashboard(form.date_from.data, form.date_to.data,
                               store.id if store else None)
    liability = figures.liability(store.id if store else None, store.code if store else None)
    return {"form": form, "report": report, "liability": liability, "picked": store,
            "charts": charts(report, liability), "live_seconds": figures.LIVE_SECONDS}


def _content(**context) -> Markup:
    return Markup(render_template("console/dashboard_content.html", **context))


@bp.get("/dashboard/days")
@console_session.staff_page(*MARKETING, store=False)
def dashboard_days():
    """The per-day table, drawn when the marketer opens it (most views never do: the charts
    carry the same figures, the reports page the CSV)."""
    form, stores = range_form(DEFAULT_DAYS)
    if not form.validate() or not _fits(form):
        return render("dashboard_days.html", 422, report=None)
    store = stores.get(form.store.data)
    return render("dashboard_days.html", report=figures.dashboard(
        form.date_from.data, form.date_to.data, store.id if store else None))


def range_form(default_days: int):
    """The range form from the query string (last `default_days` days by default) and the
    stores it offers {code: store}."""
    form = RangeForm(request.args)
    stores = {s.code: s for s in db.session.execute(
        select(Store.id, Store.code, Store.name).order_by(Store.code))}
    form.store.choices = [("", _("All stores"))] + [(c, f"{s.name} ({c})") for c, s in stores.items()]
    today = clock.business_date()
    form.date_to.data = form.date_to.data or today
    form.date_from.data = form.date_from.data or form.date_to.data - timedelta(days=default_days - 1)
    return form, stores


def _fits(form) -> bool:
    days = (form.date_to.data - form.date_from.data).days + 1
    if days < 1:
        form.date_to.errors = [_("The end is before the start.")]
    elif days > MAX_DAYS:
        form.date_to.errors = [_("At most %(days)d days at a time.", days=MAX_DAYS)]
    return not form.date_to.errors


def charts(report: dict, liability: dict) -> dict:
    """Each chart's data for console.js (ECharts): {x, series[{name, data}], kind}."""
    days = report["days"]
    x = [d["date"].isoformat() for d in days]

    def series(*names):
        return [{"name": str(label), "data": [d[key] for d in days]} for key, label in names]

    return {
        "points": {"kind": "bar", "x": x, "series": series(
            ("points_issued", _("Issued")), ("points_spent", _("Spent")),
            ("points_expired", _("Expired")))},
        "members": {"kind": "line", "x": x, "series": series(
            ("members_registered", _("Registered")), ("members_active", _("Active")))},
        "orders": {"kind": "bar", "x": x, "series": series(
            ("orders", _("With a member")), ("pos_orders", _("All (POS)")))},
        "engagement": {"kind": "line", "x": x, "series": series(
            ("checkins", _("Check-ins")), ("referrals", _("Referrals")),
            ("redemptions", _("Redemptions")))},
        "products": {"kind": "barh", "x": [p["title"] for p in report["products"][:10]][::-1],
                     "series": [{"name": _("Redeemed"), "data": [
                         p["quantity"] for p in report["products"][:10]][::-1]}]},
        "expiring": {"kind": "bar", "x": [m["month"] for m in liability["expiring"]],
                     "series": [{"name": _("Points expiring"),
                                 "data": [m["points"] for m in liability["expiring"]]}]},
    }
