"""The tag and automation builder: a rule made of condition rows (a widget per field of the
rule engine, analytics.tags.rules), counted live as it changes, saved as a tag; an automation
on a tag (points, a coupon product, or a subscribe message). The same services as /admin/tags
and /admin/automations."""
import json

from flask import flash, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from console.blueprint import bp
from console.money import NotYuan, yuan_to_fen
from console.views import go
from console.views.analytics import analytics_page, render_tags
from core.db import db
from core.errors import AppError, ValidationFailed
from analytics import churn, segments
from analytics.tags import automations, messages, rules, service as tags
from mall.models import Product
from points.programme import tiers
from stores.models import Store
from wx.models import SubscribeTemplate

ROWS = 4  #: condition rows the builder shows
#: field → (label, widget): list (choices or free text), number, yuan, date, days
FIELDS = {
    "segment": (_l("RFM segment"), "list"), "churn": (_l("Churn status"), "list"),
    "tier": (_l("Tier"), "list"), "home_store": (_l("Home store"), "list"),
    "registration_store": (_l("Registration store"), "list"),
    "favourite_category": (_l("Favourite category"), "list"),
    "balance": (_l("Points balance"), "number"),
    "spend_fen": (_l("Spend in the window (yuan)"), "yuan"),
    "orders": (_l("Orders in the window"), "number"),
    "checkin_streak": (_l("Check-in streak (days)"), "number"),
    "referrals": (_l("Friends referred"), "number"),
    "expiring_points": (_l("Points expiring within N days"), "days"),
    "coupon_unused_days": (_l("Holds a coupon unused for N days"), "number"),
    "last_order": (_l("Last order"), "date"), "registered": (_l("Registered"), "date"),
}
OP_LABELS = {"in": _l("is one of"), "gte": _l("at least"), "lte": _l("at most"),
             "before": _l("before"), "after": _l("after")}


def builder_context() -> dict:
    """What the builder's widgets offer: fields with their ops, and the choices of list fields."""
    stores = list(db.session.scalars(select(Store.code).order_by(Store.code)))
    return {"fields": {f: {"label": label, "widget": widget, "ops": rules.OPS[f]}
                       for f, (label, widget) in FIELDS.items()},
            "op_labels": OP_LABELS, "rows": ROWS,
            "choices": {"segment": [(s.code, s.name_zh) for s in segments.SEGMENTS],
                        "churn": [(c, c) for c in churn.STATUSES],
                        "tier": [(t.code, t.name) for t in tiers.active_tiers()],
                        "home_store": [(c, c) for c in stores],
                        "registration_store": [(c, c) for c in stores]},
            "coupon_products": db.session.execute(
                select(Product.id, Product.title).where(Product.kind == "coupon",
                                                        Product.active.is_(True))
                .order_by(Product.id)).all(),
            "message_templates": list(db.session.scalars(
                select(SubscribeTemplate.template_id).where(
                    SubscribeTemplate.purpose == messages.PURPOSE,
                    SubscribeTemplate.active.is_(True)))),
            "all_tags": tags.list_tags()}


def rule_from_form(form) -> dict | None:
    """The builder's rows as a rule (None: no row filled); 422 for a value that is not one."""
    conditions = [_condition(i, form) for i in range(ROWS) if form.get(f"field-{i}")]
    if not conditions:
        return None
    combine = "any" if form.get("combine") == "any" else "all"
    return {combine: conditions}


def _condition(i, form) -> dict:
    field, op = form.get(f"field-{i}"), form.get(f"op-{i}")
    if field not in FIELDS:
        raise ValidationFailed(details={f"row {i + 1}": ["Choose a field."]})
    widget = FIELDS[field][1]
    if widget == "list":
        value = form.getlist(f"choice-{i}") or [
            v.strip() for v in form.get(f"value-{i}", "").replace("，", ",").split(",")
            if v.strip()]
    elif widget == "date":
        value = form.get(f"value-{i}", "")
    else:
        value = _whole(i, form.get(f"value-{i}", ""), widget == "yuan")
    condition = {"field": field, "op": op or rules.OPS[field][0], "value": value}
    if widget == "days":
        condition["days"] = _whole(i, form.get(f"days-{i}", ""), False)
    return condition


def _whole(i, text, yuan):
    try:
        return yuan_to_fen(text) if yuan else int(text.strip())
    except (NotYuan, ValueError):
        raise ValidationFailed(details={f"row {i + 1}": ["A whole number (yuan: up to 2 "
                                                         "decimals)."]}) from None


@bp.post("/analytics/tags/new")
@analytics_page
def create_tag():
    name = (request.form.get("name") or "").strip()
    try:
        if not name:  # not `required` in the form: htmx would not count a rule without one
            raise ValidationFailed(details={"name": ["Name the tag."]})
        if request.form.get("kind") == "manual":
            tag = tags.save_tag({"name": name, "kind": "manual"})
        else:
            tag = tags.save_tag({"name": name, "kind": "rule", "rule": rule_from_form(request.form)
                                 or _json_rule(request.form)})
    except AppError as exc:
        return render_tags(status=exc.status, refused=exc)
    flash(tag.name, "saved")
    return go("console.tag_list")


def _json_rule(form):
    try:
        return json.loads(form.get("rule") or "null")
    except ValueError:
        raise ValidationFailed(details={"rule": ["Not JSON."]}) from None


@bp.post("/analytics/automations")
@analytics_page
def create_automation():
    form = request.form
    data = {"name": (form.get("name") or "").strip(), "action": form.get("action"),
            "holdout_percent": form.get("holdout_percent", "10")}
    try:
        data.update(_automation_numbers(form, data["action"]))
        automation = automations.save_automation(data)
    except AppError as exc:
        return render_tags(status=exc.status, refused=exc)
    flash(automation.name, "saved")
    return go("console.automation", automation_id=automation.id)


def _automation_numbers(form, action) -> dict:
    def number(name, low=0, high=2**31 - 1):
        try:
            value = int((form.get(name) or "").strip())
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise ValidationFailed(details={name: [f"A whole number from {low} to {high}."]})
        return value

    data = {"tag_id": number("tag_id", 1), "budget": number("budget"),
            "holdout_percent": number("holdout_percent", 0, 50)}
    if action == "points":
        data["points"] = number("points", 1, 1_000_000)
    elif action == "coupon":
        data["product_id"] = number("product_id", 1)
    elif action == "message":
        data["template_id"] = form.get("template_id") or None
    else:
        raise ValidationFailed(details={"action": ["points, coupon or message."]})
    return data
