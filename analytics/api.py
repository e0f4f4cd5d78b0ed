"""Analytics for HQ and marketers: segments, their movement, members by segment / churn / tag,
the points liability, a promotion's cost preview, the analytics settings."""
import csv
import io

from flask import Response, request

from core.api import blueprint, documents
from core.auth import staff_required
from analytics import liability, preview, reports, settings
from analytics.schemas import (LiabilityArgs, LiabilityOut, MembersArgs, MembersPage,
                               MovementArgs, MovementOut, PreviewIn, PreviewOut, ScopeArgs,
                               SegmentsOut, AnalyticsSettings)
from stores.models import MARKETING

admin_blp = blueprint("analytics_admin", __name__, prefix="/admin",
                      description="Member analytics: RFM segments, churn, liability, promotion "
                                  "cost preview.")


def wants_csv() -> bool:
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"


def csv_response(rows: list[dict], fields: list[str], name: str) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@admin_blp.get("/segments")
@staff_required(*MARKETING)
@admin_blp.arguments(ScopeArgs, location="query")
@admin_blp.response(200, SegmentsOut)
@documents(admin_blp, 401, 403, 404, 422, auth="staff")
def list_segments(args):
    """RFM segments of the chain (or of one store: its members' RFM at that store), as of the
    last nightly scoring: members, average spend in the window, points balance."""
    return reports.segment_summary(args["store_code"])


@admin_blp.get("/segments/movement")
@staff_required(*MARKETING)
@admin_blp.arguments(MovementArgs, location="query")
@admin_blp.response(200, MovementOut)
@documents(admin_blp, 401, 403, 404, 422, auth="staff")
def segment_movement(args):
    """Members moving between segments from one month to another, and each month's counts."""
    return reports.movement(args["from_month"], args["to_month"], args["store_code"])


@admin_blp.get("/members")
@staff_required(*MARKETING)
@admin_blp.arguments(MembersArgs, location="query")
@admin_blp.response(200, MembersPage, description="JSON, or CSV with `Accept: text/csv`")
@documents(admin_blp, 401, 403, 404, 422, auth="staff")
def list_members(args):
    """Members, newest first, with segment, RFM scores, churn status and expected next visit;
    filtered by `segment`, `churn` (active, at_risk, lapsed), `tier`, `q`."""
    page = reports.members_page(**args)
    if wants_csv():
        return csv_response(page["items"], ["member_no", "phone_masked", "tier", "balance",
                                            "segment", "churn_status", "expected_next_visit",
                                            "last_order_at"], "members.csv")
    return page


@admin_blp.get("/reports/liability")
@staff_required(*MARKETING)
@admin_blp.arguments(LiabilityArgs, location="query")
@admin_blp.response(200, LiabilityOut,
                    description="JSON, or CSV (by store) with `Accept: text/csv`")
@documents(admin_blp, 401, 403, 422, auth="staff")
def liability_report(args):
    """Outstanding points and their value in fen (`point_value_fen`), by issuing store and by
    expiry month, and the expected breakage from the chain's own history of expiry vs spend
    for lots of the same age."""
    report = liability.liability(args["as_of"])
    if wants_csv():
        return csv_response(report["by_store"], ["store_code", "points", "value_fen"],
                            f"liability-{report['as_of']}.csv")
    return report


@admin_blp.post("/promotions/preview")
@staff_required(*MARKETING)
@admin_blp.arguments(PreviewIn)
@admin_blp.response(200, PreviewOut)
@documents(admin_blp, 401, 403, 422, auth="staff")
def promotion_preview(data):
    """A draft promotion (the /admin/promotions create payload) or earn rule replayed over the
    orders of a past period (default the last 28 days) with the till's own calculation: extra
    points, their value, orders and members affected, by store and by segment. Writes nothing;
    the draft's starts_at/ends_at are ignored."""
    kind = preview.PROMOTION if data["promotion"] is not None else preview.EARN_RULE
    return preview.preview(kind, data[kind], data["date_from"], data["date_to"])


@admin_blp.get("/analytics/settings")
@staff_required(*MARKETING)
@admin_blp.response(200, AnalyticsSettings)
@documents(admin_blp, 401, 403, auth="staff")
def get_analytics_settings():
    """RFM window, new-customer days, fixed thresholds (null = quintiles); churn factors."""
    return settings.get_settings()


@admin_blp.put("/analytics/settings")
@staff_required(*MARKETING)
@admin_blp.arguments(AnalyticsSettings)
@admin_blp.response(200, AnalyticsSettings)
@documents(admin_blp, 401, 403, 422, auth="staff")
def put_analytics_settings(data):
    """Change some sections (the keys sent); thresholds: four ascending cut points per
    dimension, or null for quintiles. Used by the next nightly run."""
    return settings.update_settings(data)
