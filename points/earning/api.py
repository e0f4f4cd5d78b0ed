"""Earning at the till (POS and staff), refunds, points as cash; earn rules, promotions and
the settlement report for HQ."""
import csv
import io

from flask import Response, g, request

from core.api import blueprint, documents
from core.crud import register_crud
from core.auth import pos_required, require_pos_store, require_store_access, staff_required
from points.campaigns import service as campaigns
from points.earning import deductions, orders, promotions, settlement
from points.earning.schemas import (DeductionIn, DeductionOut, EarnRuleIn, EarnRuleOut,
                                    EarnRulePatch, OrderIn, OrderOut, PosOrderIn, PromotionIn,
                                    PromotionOut, PromotionPatch, QuoteIn, QuoteOut, RefundIn,
                                    RefundOut, SettlementArgs, SettlementOut)
from stores import service as stores_service
from stores.models import MARKETING, STORE_MANAGER

pos_blp = blueprint("pos_points", __name__, prefix="/pos",
                    description="POS systems report orders, refunds and points used as cash.")
staff_blp = blueprint("staff_orders", __name__, prefix="/staff",
                      description="Cashiers record an order for a member.")
admin_blp = blueprint("earning_admin", __name__, prefix="/admin",
                      description="Earn rules, promotions and the settlement report.")

ORDER_DOC = """Points: `earn.points_per_yuan` per whole yuan; each line earns at the HIGHEST
multiplier that covers it (category earn rule, member tier, multiplier promotion) — multipliers
do not stack; bonus-points promotions and the first-order bonus add. Rounded down, integers.
`breakdown` lists each contribution. The same (store_code, order_no) again → 200 with the first
body; with other content → 422 `idempotency_mismatch`."""


def _order_response(order, created):
    return orders.answer(order), 201 if created else 200


@pos_blp.post("/orders")
@pos_required
@pos_blp.arguments(PosOrderIn)
@pos_blp.response(201, OrderOut, description=ORDER_DOC)
@pos_blp.alt_response(200, schema=OrderOut, description="a replay of the same order")
@documents(pos_blp, 401, 403, 404, 410, 422, auth="pos")
def pos_order(data):
    store = require_pos_store(data["store_code"])
    return _order_response(*orders.record_order(store, data, source="pos"))


@staff_blp.post("/orders")
@staff_required()
@staff_blp.arguments(OrderIn)
@staff_blp.response(201, OrderOut, description=ORDER_DOC)
@staff_blp.alt_response(200, schema=OrderOut, description="a replay of the same order")
@documents(staff_blp, 401, 403, 404, 410, 422, auth="staff")
def staff_order(data):
    """A cashier of the store (or HQ) records an order for a scanned member."""
    store = stores_service.get_store(data["store_code"])
    require_store_access(g.staff, store)
    return _order_response(*orders.record_order(store, data, source=f"staff:{g.staff.id}"))


@pos_blp.post("/orders/<order_no>/refunds")
@pos_required
@pos_blp.arguments(RefundIn)
@pos_blp.response(201, RefundOut)
@pos_blp.alt_response(200, schema=RefundOut, description="a replay of the same refund_no")
@documents(pos_blp, 401, 403, 404, 409, 422, auth="pos")
def pos_refund(data, order_no):
    """Takes back the refunded share of the order's points (spent points become debt) and
    returns the same share of any points used as cash. Refunds cannot exceed the order (409)."""
    store = require_pos_store(data["store_code"])
    row, created = orders.refund(store, order_no, data["refund_no"], data["amount_fen"])
    return row, 201 if created else 200


@pos_blp.post("/deductions/quote")
@pos_required
@pos_blp.arguments(QuoteIn)
@pos_blp.response(200, QuoteOut)
@documents(pos_blp, 401, 403, 404, 409, 410, 422, auth="pos")
def deduction_quote(data):
    store = require_pos_store(data["store_code"])
    return deductions.quote(store, data)


@pos_blp.post("/deductions")
@pos_required
@pos_blp.arguments(DeductionIn)
@pos_blp.response(201, DeductionOut)
@pos_blp.alt_response(200, schema=DeductionOut, description="a replay of the same order_no")
@documents(pos_blp, 401, 403, 404, 409, 410, 422, auth="pos")
def deduct(data):
    """Above the cap → 409 `limit_exceeded`; above the balance → 409 `insufficient_points`."""
    store = require_pos_store(data["store_code"])
    row, created = deductions.deduct(store, data)
    return row, 201 if created else 200


register_crud(admin_blp, "/earn-rules", promotions.EARN_RULES, out=EarnRuleOut,
              create_in=EarnRuleIn, patch_in=EarnRulePatch, roles=MARKETING,
              create_doc="A category earns `multiplier` × the base rate (at some stores, or all).")
register_crud(admin_blp, "/promotions", campaigns.PROMOTIONS, out=PromotionOut,
              create_in=PromotionIn, patch_in=PromotionPatch, roles=(*MARKETING, STORE_MANAGER),
              create_doc="E.g. double points every Wednesday at SH001: `multiplier` 2, "
                         "`store_codes` [SH001], `weekdays` [3]; spend 500, get 500 more: "
                         "`bonus_points` 500, `min_amount_fen` 50000. A store manager creates "
                         "their store's own campaign (`store_codes`: one of their stores), a "
                         "`draft` funded by the store, within HQ's store policy (over a limit: "
                         "422 whose details name it); POST …/submit sends it for approval.")


@admin_blp.get("/reports/settlement")
@staff_required("hq_admin")
@admin_blp.arguments(SettlementArgs, location="query")
@admin_blp.response(200, SettlementOut, description="JSON, or CSV with `Accept: text/csv`")
@documents(admin_blp, 401, 403, 422, auth="staff")
def settlement_report(args):
    """Points issued at one store and spent at another (mall or cash), and their value, so HQ
    can reimburse the stores that honour points others issued."""
    report = settlement.settlement(args["date_from"], args["date_to"])
    if request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv":
        return _csv(report)
    return report


def _csv(report):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=settlement.CSV_FIELDS)
    writer.writeheader()
    writer.writerows(report["pairs"])
    name = f"settlement-{report['date_from']}-{report['date_to']}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})
