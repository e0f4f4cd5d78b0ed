"""Store campaigns in the console: a store manager's "My store's campaigns" (create, submit,
the budget used, results), and HQ's side: every store side by side, the approval queue and the
guardrails. The same services, role checks and input schemas as /admin/promotions."""
from datetime import datetime, time

from flask import flash, g

from console import session as console_session
from console.blueprint import bp
from console.forms import CampaignForm, RejectForm, StorePolicyForm
from console.views import go, load, refusal, render
from core import clock
from core.errors import AppError
from points.campaigns import policy, service
from points.campaigns.schemas import StorePolicyIn
from points.earning.schemas import PromotionIn
from stores.models import HQ_ADMIN, MARKETING, STORE_MANAGER

CAMPAIGN_ROLES = (*MARKETING, STORE_MANAGER)
PROMOTION_IN, POLICY_IN = PromotionIn(), StorePolicyIn()


def _store_page(status=200, **context):
    store = g.store
    campaigns = [p for p in service.list_promotions(g.staff) if p.store_id == store.id]
    [used] = [b for b in service.budget_used(g.staff) if b["store_id"] == store.id] or [None]
    context.setdefault("form", CampaignForm(formdata=None))
    return render("campaigns.html", status, campaigns=campaigns, budget=used,
                  results=service.results([store.id])[store.id], **context)


@bp.get("/campaigns")
@console_session.staff_page(*CAMPAIGN_ROLES)
def campaigns():
    return _store_page()


@bp.post("/campaigns")
@console_session.staff_page(*CAMPAIGN_ROLES)
def create_campaign():
    form = CampaignForm()
    if not form.validate():
        return _store_page(422, form=form)
    try:
        data = load(PROMOTION_IN, _payload(form))
        promotion = service.save_promotion(data, None, g.staff)
    except AppError as exc:
        return _store_page(exc.status, form=form, refused=refusal(exc, "campaign"))
    flash(str(promotion.name), "saved")
    return go("console.campaigns")


@bp.post("/campaigns/<int:promotion_id>/submit")
@console_session.staff_page(*CAMPAIGN_ROLES)
def submit_campaign(promotion_id):
    try:
        service.submit(service.get_promotion(promotion_id, g.staff), g.staff)
    except AppError as exc:
        return _store_page(exc.status, refused=refusal(exc, "campaign"))
    return go("console.campaigns")


def _payload(form) -> dict:
    tz = clock.business_tz()
    payload = {"name": form.name.data.strip(), "store_codes": [g.store.code],
               "starts_at": datetime.combine(form.starts.data, time(), tz).isoformat(),
               "ends_at": datetime.combine(form.ends.data, time.max, tz).isoformat(),
               "min_amount_fen": form.min_amount.fen or 0}
    if form.kind.data == "multiplier":
        payload["multiplier"] = str(form.value.data)
    else:
        value = form.value.data
        payload["bonus_points"] = int(value) if value == int(value) else float(value)  # 422
    return payload


# --- HQ: every store, the approval queue, the guardrails ------------------------------------

def _hq_page(status=200, **context):
    budgets = service.budget_used(g.staff)
    results = service.results([b["store_id"] for b in budgets])
    current = policy.store_policy()
    context.setdefault("policy_form", StorePolicyForm(formdata=None, data={
        **current, "max_multiplier": current["max_multiplier_percent"] / 100}))
    return render("campaigns_hq.html", status, budgets=budgets, results=results,
                  queue=service.approval_queue(), reject_form=RejectForm(formdata=None),
                  may_set_policy=g.staff.role == HQ_ADMIN, **context)


@bp.get("/hq/campaigns")
@console_session.staff_page(*MARKETING, store=False)
def hq_campaigns():
    return _hq_page()


@bp.post("/hq/campaigns/<int:promotion_id>/approve")
@console_session.staff_page(*MARKETING, store=False)
def approve_campaign(promotion_id):
    try:
        service.approve(service.get_promotion(promotion_id, g.staff), g.staff)
    except AppError as exc:
        return _hq_page(exc.status, refused=refusal(exc, "campaign"))
    return go("console.hq_campaigns")


@bp.post("/hq/campaigns/<int:promotion_id>/reject")
@console_session.staff_page(*MARKETING, store=False)
def reject_campaign(promotion_id):
    form = RejectForm()
    try:
        reason = form.reason.data if form.validate() else ""
        service.reject(service.get_promotion(promotion_id, g.staff), g.staff, reason)
    except AppError as exc:
        return _hq_page(exc.status, refused=refusal(exc, "campaign"))
    return go("console.hq_campaigns")


@bp.post("/hq/store-policy")
@console_session.staff_page(HQ_ADMIN, store=False)
def save_store_policy():
    form = StorePolicyForm()
    if not form.validate():
        return _hq_page(422, policy_form=form)
    try:
        data = load(POLICY_IN, {name: (str(f.data) if name == "max_multiplier" else f.data)
                                for name, f in form._fields.items() if name != "csrf_token"})
        policy.save_store_policy(data)
    except AppError as exc:
        return _hq_page(exc.status, policy_form=form, refused=refusal(exc, "campaign"))
    return go("console.hq_campaigns")
