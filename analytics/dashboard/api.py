"""The dashboard's figures for HQ and marketers (the console's dashboard reads the same), and
the POS's count of a day's orders (the denominator of the member share)."""
from core.api import blueprint, documents
from core.auth import pos_required, require_pos_store, staff_required
from analytics.dashboard import figures, pos_totals
from analytics.dashboard.schemas import DashboardArgs, DashboardOut, DayTotalIn, DayTotalOut
from stores import service as stores_service
from stores.models import MARKETING

admin_blp = blueprint("dashboard_admin", __name__, prefix="/admin",
                      description="The dashboard: daily figures from the rollup, today live.")
pos_blp = blueprint("pos_day_totals", __name__, prefix="/pos",
                    description="POS systems report how many orders a store had in a day.")


@admin_blp.get("/reports/dashboard")
@staff_required(*MARKETING)
@admin_blp.arguments(DashboardArgs, location="query")
@admin_blp.response(200, DashboardOut)
@documents(admin_blp, 401, 403, 404, 422, auth="staff")
def dashboard_report(args):
    """Per business day (and totals): points issued / spent / expired, members registered and
    active, orders with a member and all the POS counted, check-ins, referrals (chain-wide:
    zero for one store), redemptions; redemptions by product. From the nightly rollup, today
    live; `missing_days` lists days the rollup has not built yet."""
    store = stores_service.get_store(args["store_code"]) if args["store_code"] else None
    return figures.dashboard(args["date_from"], args["date_to"], store.id if store else None)


@pos_blp.post("/day-totals")
@pos_required
@pos_blp.arguments(DayTotalIn)
@pos_blp.response(200, DayTotalOut)
@documents(pos_blp, 401, 403, 404, 422, auth="pos")
def pos_day_total(data):
    """All the orders of one business day at the store, with or without a member (sent again,
    the later count replaces the earlier)."""
    store = require_pos_store(data["store_code"])
    return pos_totals.report_day(store, data["date"], data["orders"], data["amount_fen"])
