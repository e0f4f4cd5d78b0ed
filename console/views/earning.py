"""Earning for marketers and HQ: the earn rate, category earn rules and HQ's promotions (list,
create, edit, deactivate), with the promotion's cost previewed on its form before it is saved
(analytics.preview, replaying the draft over past orders; nothing written). The same services
and input schemas as /admin/settings, /admin/earn-rules, /admin/promotions and
/admin/promotions/preview. Store campaigns keep their own pages (console.views.campaigns)."""
from datetime import datetime, time, timedelta

from flask import flash, g, request
from flask_babel import gettext as _

from analytics import preview as cost_preview, segments
from analytics.schemas import PreviewIn
from console import session as console_session
from console.blueprint import bp
from console.configure_forms import EarnRateForm, EarnRuleForm, PromotionForm
from console.field_errors import attach
from console.money import fen_to_yuan
from console.views import InvalidInput, go, load, refusal, render
from core import clock
from core.errors import AppError, NotFound
from points.campaigns import service as campaigns
from points.earning import promotions
from points.earning.schemas import EarnRuleIn, EarnRulePatch, PromotionIn, PromotionPatch
from points.programme import settings
from points.programme.schemas import SettingsSchema
from stores.models import MARKETING

RULE_IN, RULE_CHANGES = EarnRuleIn(), EarnRulePatch()
PROMOTION_IN, PROMOTION_CHANGES = PromotionIn(), PromotionPatch()
SETTINGS_IN, PREVIEW_IN = SettingsSchema(), PreviewIn()
#: schema paths → form fields
PROMOTION_RENAMES = {"min_amount_fen": "min_amount", "promotion.min_amount_fen": "min_amount",
                     "from": "preview_from", "to": "preview_to"}


def earning_page(view):
    return console_session.staff_page(*MARKETING, store=False)(view)


@bp.get("/earning")
@earning_page
def earning():
    return _overview()


def _overview(status=200, **context):
    rate = settings.get_settings()["earn"]["points_per_yuan"]
    context.setdefault("rate_form", EarnRateForm(formdata=None, data={"points_per_yuan": rate}))
    context.setdefault("rule_form", EarnRuleForm(formdata=None))
    every = campaigns.list_promotions(g.staff)
    return render("earning/overview.html", status, rules=promotions.list_rules(),
                  promotions=[p for p in every if p.store_id is None],
                  store_campaigns=sum(1 for p in every if p.store_id is not None),
                  now=clock.now(), **context)


@bp.post("/earning/rate")
@earning_page
def earn_rate():
    form = EarnRateForm()
    if not form.validate():
        return _overview(422, rate_form=form)
    try:
        settings.update_settings(load(SETTINGS_IN, {"earn": {
            "points_per_yuan": form.points_per_yuan.data}}))
    except AppError as exc:
        return _form_refused(exc, form, "rate_form", {"earn.points_per_yuan": "points_per_yuan"})
    flash(_("Earn rate saved: %(n)s point(s) per whole yuan.", n=form.points_per_yuan.data),
          "success")
    return go("console.earning")


@bp.post("/earning/rules")
@earning_page
def new_earn_rule():
    form = EarnRuleForm()
    if not form.validate():
        return _overview(422, rule_form=form)
    try:
        promotions.save_rule(load(RULE_IN, form.payload()))
    except AppError as exc:
        return _form_refused(exc, form, "rule_form")
    flash(_("Earn rule for %(category)s saved.", category=form.category.data), "success")
    return go("console.earning")


def _form_refused(exc, form, name, renames=None):
    lines = attach(form, exc.details, renames) if isinstance(exc, InvalidInput) else []
    return _overview(exc.status, refused={**refusal(exc, "earning"), "lines": lines},
                     **{name: form})


@bp.route("/earning/rules/<int:rule_id>", methods=["GET", "POST"])
@earning_page
def earn_rule(rule_id):
    rule = promotions.get_rule(rule_id)
    if request.method == "GET":
        form = EarnRuleForm(data={"category": rule.category,
                                  "multiplier": rule.multiplier_percent / 100,
                                  "store_codes": ", ".join(rule.store_codes)})
        return render("earning/rule.html", form=form, rule=rule)
    form = EarnRuleForm()
    if not form.validate():
        return render("earning/rule.html", 422, form=form, rule=rule)
    try:
        promotions.save_rule(load(RULE_CHANGES, form.payload()), rule)
    except AppError as exc:
        lines = attach(form, exc.details) if isinstance(exc, InvalidInput) else []
        return render("earning/rule.html", exc.status, form=form, rule=rule,
                      refused={**refusal(exc, "earning"), "lines": lines})
    flash(_("Earn rule for %(category)s saved.", category=rule.category), "success")
    return go("console.earning")


@bp.post("/earning/rules/<int:rule_id>/active")
@earning_page
def earn_rule_active(rule_id):
    rule = promotions.get_rule(rule_id)
    promotions.save_rule(load(RULE_CHANGES, {"active": request.form.get("active") == "1"}), rule)
    return go("console.earning")


# --- promotions ----------------------------------------------------------------------------

def _hq_promotion(promotion_id):
    """HQ's promotion (a store's campaign is reviewed on the campaigns pages)."""
    promotion = campaigns.get_promotion(promotion_id, g.staff)
    if promotion.store_id is not None:
        raise NotFound(f"Promotion {promotion_id} is a store's campaign.")
    return promotion


@bp.route("/earning/promotions/new", methods=["GET", "POST"])
@earning_page
def new_promotion():
    form = PromotionForm()
    if request.method == "GET":
        return _promotion_editor(PromotionForm(formdata=None, data=_period()), None)
    return _save_promotion(form, None)


@bp.route("/earning/promotions/<int:promotion_id>", methods=["GET", "POST"])
@earning_page
def promotion(promotion_id):
    current = _hq_promotion(promotion_id)
    if request.method == "GET":
        return _promotion_editor(PromotionForm(formdata=None, data=_promotion_data(current)),
                                 current)
    return _save_promotion(PromotionForm(), current)


def _save_promotion(form, current):
    if not form.validate():
        return _promotion_editor(form, current, 422)
    try:
        payload = form.payload(clock.business_tz())
        data = load(PROMOTION_IN if current is None else PROMOTION_CHANGES, payload)
        if current is not None:  # the kind may change: the other one is cleared
            data.setdefault("multiplier_percent", None)
            data.setdefault("bonus_points", None)
        saved = campaigns.save_promotion(data, current, g.staff)
    except AppError as exc:
        return _promotion_editor(form, current, exc.status, refused=_refused(exc, form))
    flash(_("Promotion %(name)s saved.", name=saved.name), "success")
    return go("console.earning")


@bp.post("/earning/promotions/<int:promotion_id>/active")
@earning_page
def promotion_active(promotion_id):
    current = _hq_promotion(promotion_id)
    active = request.form.get("active") == "1"
    campaigns.save_promotion(load(PROMOTION_CHANGES, {"active": active}), current, g.staff)
    flash(_("%(name)s is active now.", name=current.name) if active else
          _("%(name)s is deactivated.", name=current.name), "success")
    return go("console.earning")


@bp.post("/earning/promotions/preview")
@earning_page
def promotion_preview():
    """The draft's cost over past orders (htmx, on the form); writes nothing."""
    form = PromotionForm()
    if not form.validate() and set(form.errors) - {"name"}:  # a draft need not be named yet
        return render("earning/preview.html", 422, result=None, form=form,
                      refused={"message": _("Please check what you entered."), "lines": []})
    try:
        period = _preview_period(form)
        draft = {"name": "draft", **form.payload(clock.business_tz(), dates=_window(*period))}
        data = load(PREVIEW_IN, {"promotion": draft, "from": period[0].isoformat(),
                                 "to": period[1].isoformat()})
        result = cost_preview.preview(cost_preview.PROMOTION, data["promotion"],
                                      data["date_from"], data["date_to"])
    except AppError as exc:
        return render("earning/preview.html", exc.status, result=None, form=form,
                      refused=_refused(exc, form))
    return render("earning/preview.html", result=result, segment_names=_segment_names())


@bp.post("/earning/rules/preview")
@earning_page
def earn_rule_preview():
    """A draft category rule's cost over the last 28 days (htmx); writes nothing."""
    form = EarnRuleForm()
    if not form.validate():
        return render("earning/preview.html", 422, result=None, form=form,
                      refused={"message": _("Please check what you entered."), "lines": []})
    try:
        data = load(PREVIEW_IN, {"earn_rule": form.payload()})
        result = cost_preview.preview(cost_preview.EARN_RULE, data["earn_rule"])
    except AppError as exc:
        lines = attach(form, _unnest(exc.details, "earn_rule")) \
            if isinstance(exc, InvalidInput) else []
        return render("earning/preview.html", exc.status, result=None, form=form,
                      refused={**refusal(exc, "earning"), "lines": lines})
    return render("earning/preview.html", result=result, segment_names=_segment_names())


def _refused(exc, form) -> dict:
    renames = dict(PROMOTION_RENAMES)
    if form.kind.data == "bonus":
        renames.update({"multiplier": "bonus_points", "promotion.multiplier": "bonus_points"})
    lines = attach(form, _unnest(exc.details), renames) if isinstance(exc, InvalidInput) else []
    return {**refusal(exc, "earning"), "lines": lines}


def _unnest(details, draft="promotion") -> dict:
    """A preview's {"promotion": {field: …}} read as the draft's form's own fields."""
    details = dict(details or {})
    if isinstance(details.get(draft), dict):
        return {**details.pop(draft), **details}
    return details


def _preview_period(form):
    if form.preview_from.data and form.preview_to.data:
        return form.preview_from.data, form.preview_to.data
    return cost_preview.default_period()


def _window(first, last):
    """A draft's window for its preview when none is typed (the replay ignores it)."""
    return datetime.combine(first, time()), datetime.combine(last + timedelta(days=1), time())


def _period() -> dict:
    first, last = cost_preview.default_period()
    return {"preview_from": first, "preview_to": last}


def _segment_names() -> dict:
    chinese = console_session.locale() == "zh_CN"
    return {s.code: s.name_zh if chinese else s.name_en for s in segments.SEGMENTS}


def _promotion_editor(form, current, status=200, **context):
    if form.preview_from.data is None and form.preview_to.data is None:
        form.preview_from.data, form.preview_to.data = cost_preview.default_period()
    return render("earning/promotion.html", status, form=form, promotion=current, **context)


def _promotion_data(p) -> dict:
    zone = clock.business_tz()
    return {"name": p.name, "kind": "multiplier" if p.multiplier_percent else "bonus",
            "multiplier": p.multiplier_percent / 100 if p.multiplier_percent else None,
            "bonus_points": p.bonus_points,
            "starts_at": p.starts_at.astimezone(zone).replace(tzinfo=None),
            "ends_at": p.ends_at.astimezone(zone).replace(tzinfo=None),
            "store_codes": ", ".join(p.store_codes), "weekdays": [str(d) for d in p.weekdays],
            "categories": ", ".join(p.categories),
            "min_amount": str(fen_to_yuan(p.min_amount_fen)) if p.min_amount_fen else "",
            **_period()}
