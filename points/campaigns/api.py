"""Store campaigns: HQ's guardrails (/admin/store-policy), the approval flow of a store's
campaigns (submit, HQ's queue, approve, reject) and the stores' budgets used."""
from flask import Response, g

from core.api import blueprint, documents
from core.auth import member_required, require_store_access, staff_required
from members import codes as member_codes
from members.lookup import current_member
from points.campaigns import codes, policy, service, visits
from points.campaigns.schemas import (BudgetOut, RejectIn, StaffVisitIn, StorePolicyIn,
                                      StorePolicyOut, VisitIn, VisitOut)
from stores import service as stores_service
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


me_blp = blueprint("campaigns_me", __name__, prefix="/me",
                   description="A member checks in at a store (到店打卡).")
staff_blp = blueprint("campaigns_staff", __name__, prefix="/staff",
                      description="A store shows its visit code; staff record a visit.")


@me_blp.post("/visits")
@member_required
@me_blp.arguments(VisitIn)
@me_blp.response(201, VisitOut)
@documents(me_blp, 401, 404, 409, 410, 422, auth="member")
def visit(data):
    """The member scanned the store's visit code (`scene` of the mini-program code): the
    store's visit points, once a business day per store (409 `already_checked_in`), within
    the store's monthly budget (409 `limit_exceeded`); a code from an earlier window → 410."""
    return visits.check_in(current_member(), data["scene"]), 201


@staff_blp.get("/stores/<code>/visit-code")
@staff_required()
@staff_blp.response(200, description="The store's visit code now, as WeChat made it "
                                     "(image/jpeg); shown on a screen, refreshed when it expires.",
                    content_type="image/jpeg")
@documents(staff_blp, 401, 403, 404, 502, 503, auth="staff")
def visit_code(code):
    store = stores_service.get_store(code, active_only=True)
    require_store_access(g.staff, store)
    image, seconds_left = codes.visit_code_image(store)
    return Response(image.content, mimetype=image.content_type,
                    headers={"Cache-Control": f"private, max-age={seconds_left}",
                             "Refresh": str(seconds_left)})


@staff_blp.post("/visits")
@staff_required()
@staff_blp.arguments(StaffVisitIn)
@staff_blp.response(201, VisitOut)
@documents(staff_blp, 401, 403, 404, 409, 410, 422, auth="staff")
def staff_visit(data):
    """Staff record a member's visit by scanning their member code (as a scan would)."""
    store = stores_service.get_store(data["store_code"], active_only=True)
    require_store_access(g.staff, store)
    member = member_codes.member_by_code(data["member_code"])
    return visits.record_visit(member, store, source="staff", staff=g.staff), 201
