"""Member analytics for HQ and marketers: segments (counts, movement by month, drill down to
members), churn (at-risk members, expected visits, CSV), tags with a live count of a rule's
members and automations with their holdout results, the points liability (by month, by store,
CSV). The same service functions as /admin/… in the API, the same roles."""
import csv
import io
import json

from flask import Response, request
from flask_babel import gettext as _

from console import session as console_session
from console.blueprint import bp
from console.views import render
from core import clock
from core.errors import AppError
from analytics import liability as liabilities, reports, segments as segment_names
from analytics.tags import automations, results as automation_results, service as tags
from stores.models import MARKETING

PAGE = 50


def analytics_page(view):
    return console_session.staff_page(*MARKETING, store=False)(view)


@bp.get("/analytics/segments")
@analytics_page
def segments():
    store_code = request.args.get("store_code") or None
    summary = reports.segment_summary(store_code)
    names = {s.code: s.name_zh for s in segment_names.SEGMENTS}
    months = _months(reports.month_counts(store_code))
    return render("analytics/segments.html", summary=summary, store_code=store_code, months=months,
                  names=names, chart=_movement_chart(months, names))


def _months(rows):
    """{month: {segment: members}}, months in order."""
    by_month = {}
    for row in rows:
        by_month.setdefault(row["month"], {})[row["segment"]] = row["members"]
    return by_month


#: a segment's colour in the charts (the eight, then new and never bought)
COLOURS = {"important_value": "#1f77b4", "important_develop": "#6baed6",
           "important_keep": "#2ca02c", "important_retain": "#d62728",
           "general_value": "#9467bd", "general_develop": "#c5b0d5", "general_keep": "#98df8a",
           "general_retain": "#ff9896", "new": "#ffbb78", "no_purchase": "#c7c7c7"}


def _movement_chart(by_month, names) -> dict:
    """ECharts: each month's members stacked by segment (segment history)."""
    months = list(by_month)
    present = [code for code in names if any(code in counts for counts in by_month.values())]
    return {"animation": False, "tooltip": {"trigger": "axis"},
            "legend": {"type": "scroll", "bottom": 0},
            "grid": {"left": 56, "right": 16, "top": 16, "bottom": 56},
            "xAxis": {"type": "category", "data": months}, "yAxis": {"type": "value"},
            "series": [{"name": names[code], "type": "bar", "stack": "members",
                        "itemStyle": {"color": COLOURS[code]},
                        "data": [by_month[m].get(code, 0) for m in months]}
                       for code in present]}


def _liability_chart(by_month) -> dict:
    """ECharts: outstanding points by the month they expire."""
    return {"animation": False, "tooltip": {"trigger": "axis"},
            "grid": {"left": 64, "right": 16, "top": 16, "bottom": 32},
            "xAxis": {"type": "category",
                      "data": [_("never") if r["month"] == "never" else r["month"]
                               for r in by_month]},
            "yAxis": {"type": "value"},
            "series": [{"name": _("Points"), "type": "bar", "itemStyle": {"color": "#1f77b4"},
                        "data": [r["points"] for r in by_month]}]}


@bp.get("/analytics/members")
@analytics_page
def members():
    args = {k: request.args.get(k) or None for k in ("segment", "churn", "tier", "q")}
    tag = request.args.get("tag", type=int)
    page = reports.members_page(**args, tag=tag, limit=PAGE, cursor=request.args.get("cursor"))
    if request.args.get("format") == "csv":
        return _members_csv(args, tag)
    return render("analytics/members.html", page=page, args=args, tag=tag,
                  names={s.code: s.name_zh for s in segment_names.SEGMENTS})


def _members_csv(args, tag):
    out = io.StringIO()
    out.write("\ufeff")  # UTF-8 with BOM: Excel opens Chinese correctly
    writer = csv.writer(out)
    writer.writerow([_("Member no."), _("Phone"), _("Tier"), _("Balance"), _("Segment"),
                     _("Churn"), _("Last order"), _("Expected visit")])
    cursor = None
    while True:
        page = reports.members_page(**args, tag=tag, limit=100, cursor=cursor)
        writer.writerows([m["member_no"], m["phone_masked"], m["tier"], m["balance"],
                          m["segment"], m["churn_status"], m["last_order_at"],
                          m["expected_next_visit"]] for m in page["items"])
        if not (cursor := page["next_cursor"]):
            break
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=members.csv"})


@bp.get("/analytics/liability")
@analytics_page
def liability():
    report = liabilities.liability(clock.business_date())
    if request.args.get("format") == "csv":
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow([_("Store"), _("Points"), _("Value (fen)")])
        writer.writerows([r["store_code"] or "HQ", r["points"], r["value_fen"]]
                         for r in report["by_store"])
        return Response(out.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=liability.csv"})
    return render("analytics/liability.html", report=report,
                  chart=_liability_chart(report["by_expiry_month"]))


@bp.route("/analytics/tags", methods=["GET", "POST"])
@analytics_page
def tag_list():
    """The tags and automations; the builder's rule (its rows, or JSON) counted live."""
    counted, refused = None, None
    if request.method == "POST":
        from console.views.analytics_builder import rule_from_form

        try:
            rule = rule_from_form(request.form) or json.loads(request.form.get("rule") or "null")
            counted = None if rule is None else tags.count_matching(rule)  # None: nothing yet
        except (ValueError, TypeError, AttributeError):
            refused = _("Not a rule: {\"all\": [{\"field\": …, \"op\": …, \"value\": …}]}")
        except AppError as exc:
            refused = _refused(exc)
        if console_session.is_htmx():
            return render("analytics/count.html", counted=counted, refused=refused)
    return render_tags(counted=counted, refused=refused)


def _refused(exc: AppError) -> str:
    return "; ".join(f"{k}: {' '.join(map(str, v))}"
                     for k, v in (exc.details or {}).items()) or exc.message


def render_tags(status=200, refused=None, counted=None):
    """The tags page (the builder keeps what was typed); `refused`: an AppError or words."""
    from console.views.analytics_builder import builder_context

    if isinstance(refused, AppError):
        refused = _refused(refused)
    return render("analytics/tags.html", status, tags=tags.list_tags(),
                  automations=automations.list_automations(), counted=counted, refused=refused,
                  rule=request.form.get("rule", ""), form=request.form, **builder_context())


@bp.get("/analytics/automations/<int:automation_id>")
@analytics_page
def automation(automation_id):
    row = automations.get_automation(automation_id)
    return render("analytics/automation.html", automation=row,
                  results=automation_results.results(automation_id),
                  names={s.code: s.name_zh for s in segment_names.SEGMENTS})
