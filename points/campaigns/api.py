"""Store campaigns: HQ's guardrails (/admin/store-policy), the approval flow of a store's
campaigns (submit, HQ's queue, approve, reject) and the stores' budgets used."""
from flask import g

from core.api import blueprint, documents
from core.auth import staff_required
from points.campaigns import policy, service
from points.campaigns.schemas import BudgetOut, RejectIn, StorePolicyIn, StorePolicyOut
from points.earning.schemas import PromotionOut
from stores.models import HQ_ADMIN, MARKETING, STORE_MANAGER

admin_blp = blueprint("campaigns_admin", __name__, prefix="/admin",
                      description="Store campaigns inside HQ's guardrails, and HQ's approval.")


@admin_blp.get("/store-policy")
@staff_required(HQ_ADMIN)
@admin_blp.response(200, StorePolicyOut)
@documents(admin_blp, 401, 403, auth="staff")
def get_store_policy():
    """What a store may run on its own: the defaults and per-store overrides."""
    return policy.store_policy()


@admin_blp.put("/store-policy")
@staff_required(HQ_ADMIN)
@admin_blp.arguments(StorePolicyIn)
@admin_blp.response(200, StorePolicyOut)
@documents(admin_blp, 401, 403, 422, auth="staff")
def put_store_policy(data):
    """Change the fields sent (the others stay); `overrides` merge by store. Audited."""
    return policy.save_store_policy(data)


@admin_blp.post("/promotions/<int:promotion_id>/submit")
@staff_required(*MARKETING, STORE_MANAGER)
@admin_blp.response(200, PromotionOut)
@documents(admin_blp, 401, 403, 404, 409, 422, auth="staff")
def submit_promotion(promotion_id):
    """A draft or rejected store campaign goes to HQ (`pending`), or live at once
    (`approved`) when the store policy needs no approval; its guardrails are checked again."""
    return service.submit(service.get_promotion(promotion_id, g.staff), g.staff)


@admin_blp.get("/promotions/pending")
@staff_required(*MARKETING)
@admin_blp.response(200, PromotionOut(many=True))
@documents(admin_blp, 401, 403, auth="staff")
def approval_queue():
    """Store campaigns waiting for HQ's approval, oldest first."""
    return service.approval_queue()


@admin_blp.post("/promotions/<int:promotion_id>/approve")
@staff_required(*MARKETING)
@admin_blp.response(200, PromotionOut)
@documents(admin_blp, 401, 403, 404, 409, 422, auth="staff")
def approve_promotion(promotion_id):
    """A pending campaign goes live (while active, in its window and within budget)."""
    return service.approve(service.get_promotion(promotion_id, g.staff), g.staff)


@admin_blp.post("/promotions/<int:promotion_id>/reject")
@staff_required(*MARKETING)
@admin_blp.arguments(RejectIn)
@admin_blp.response(200, PromotionOut)
@documents(admin_blp, 401, 403, 404, 409, 422, auth="staff")
def reject_promotion(data, promotion_id):
    """A pending campaign goes back to its store, `rejected` with the reason."""
    return service.reject(service.get_promotion(promotion_id, g.staff), g.staff, data["reason"])


@admin_blp.get("/store-budgets")
@staff_required(*MARKETING, STORE_MANAGER)
@admin_blp.response(200, BudgetOut(many=True))
@documents(admin_blp, 401, 403, auth="staff")
def store_budgets():
    """This business month's budget and the points spent of it, per store the caller acts for."""
    return service.budget_used(g.staff)
