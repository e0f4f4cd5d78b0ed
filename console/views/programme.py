"""HQ's programme settings: expiry (previewed before it is saved, with what
`points backfill-expiry --dry-run` answers: a job whose panel is polled), deduction, bonuses,
the point's value, tiers, and the subscribe-message templates with a preview of the message as
WeChat shows it. The API's schemas check what is typed; the API's services write it. HQ only
(a marketer is refused)."""
from flask import flash, g, request
from flask_babel import gettext as _

from console import session as console_session
from console.blueprint import bp
from console.programme_forms import (SOURCES, BonusForm, DeductionSettingsForm, ExpiryForm,
                                     PointValueForm, TemplateForm, TierForm)
from console.views import go, load, refusal, render
from console.views.uploads import accepts_uploads, upload_images
from core import clock
from core.errors import AppError
from points.ledger import dry_runs, policy
from points.programme import settings, tiers
from points.programme.schemas import SettingsSchema, TierIn, TierPatch
from stores.models import HQ_ADMIN
from wx import templates
from wx.schemas import SubscribeTemplateIn, SubscribeTemplatePatch

SETTINGS_IN, TIER_IN, TIER_CHANGES = SettingsSchema(), TierIn(), TierPatch()
TEMPLATE_IN, TEMPLATE_CHANGES = SubscribeTemplateIn(), SubscribeTemplatePatch()
SECTIONS = {"expiry": ExpiryForm, "deduction": DeductionSettingsForm, "bonus": BonusForm,
            "point_value": PointValueForm}


@bp.route("/programme", methods=["GET", "POST"])
@console_session.staff_page(HQ_ADMIN, store=False)
def programme():
    current = settings.get_settings()
    forms = {name: form(formdata=None, data=_section_data(name, current))
             for name, form in SECTIONS.items()}
    if request.method == "GET":
        dry_run = dry_runs.ask(current["expiry"]) if request.args.get("dry_run") else None
        return _page(forms, current, dry_run=dry_run)
    section = request.form.get("section")
    if section not in SECTIONS:
        return _page(forms, current, status=400)
    form = forms[section] = SECTIONS[section]()
    if not form.validate():
        return _page(forms, current, status=422, section=section)
    try:
        data = load(SETTINGS_IN, form.payload())
        if section == "expiry" and request.form.get("action") == "preview":
            return _page(forms, current, preview=_preview(current["expiry"], data["expiry"]))
        settings.update_settings(data)
    except AppError as exc:
        return _page(forms, current, status=exc.status, section=section,
                     refused=refusal(exc, "settings"))
    flash(_("Settings saved."), "success")
    return go("console.programme")


def _page(forms, current, status=200, **context):
    return render("programme/settings.html", status, forms=forms, current=current,
                  today=clock.business_date(clock.now()), kept=dry_runs.KEEP_SECONDS // 60,
                  **context)


def _section_data(name: str, current: dict) -> dict:
    if name in ("expiry", "deduction"):
        return current[name]
    if name == "bonus":
        return {k: current[k] for k in ("registration_bonus", "first_order_bonus")}
    return {"point_value_fen": current["point_value_fen"]}


def _preview(saved: dict, sent: dict) -> dict:
    """What the proposed expiry rule changes: when points earned today would expire, and the
    run (a job, polled) of what `points backfill-expiry` would re-date under it."""
    proposed = {**saved, **sent}
    if proposed.get("mode") == "year_end" and "years" not in sent and proposed.get("years") is None:
        proposed["years"] = 1  # as settings.update_settings completes it
    now = clock.now()
    return {"policy": proposed, "today_expires": policy.expiry_for(now, proposed),
            "today_expired_before": policy.expiry_for(now, saved),
            "backfill": dry_runs.ask(proposed)}


@bp.get("/programme/dry-runs/<run>")
@console_session.staff_page(HQ_ADMIN, store=False)
def programme_dry_run(run):
    """A backfill dry run's panel, polled (htmx) until the job has finished."""
    return render("programme/dry_run.html", run=run, state=dry_runs.state(run), polled=True,
                  wording=request.args.get("wording"), kept=dry_runs.KEEP_SECONDS // 60)


# --- tiers ----------------------------------------------------------------------------------

@bp.route("/programme/tiers", methods=["GET", "POST"])
@console_session.staff_page(HQ_ADMIN, store=False)
@accepts_uploads("tier")
def programme_tiers():
    form = TierForm()
    if request.method == "GET" or not form.validate():
        return _tiers_page(form, 422 if form.errors else 200)
    try:
        data = load(TIER_IN, {**form.payload(new=True), **_icon(form, None)})
        tier = tiers.create_tier(data["code"], data["name"], data["threshold_points"],
                                 tiers.multiplier_percent(data["multiplier"]),
                                 benefits=data.get("benefits"), icon_url=data.get("icon_url"))
    except AppError as exc:
        return _tiers_page(form, exc.status, refused=refusal(exc, "tier"))
    flash(_("Tier %(name)s created.", name=tier.name), "success")
    return go("console.programme_tiers")


@bp.route("/programme/tiers/<code>", methods=["GET", "POST"])
@console_session.staff_page(HQ_ADMIN, store=False)
@accepts_uploads("tier")
def programme_tier(code):
    tier = tiers.get_tier(code)
    form = TierForm() if request.method == "POST" else TierForm(data=_tier_data(tier))
    form.code.data = tier.code  # a tier's code does not change
    if request.method == "GET" or not form.validate():
        return render("programme/tier.html", 422 if form.errors else 200, form=form, tier=tier)
    try:
        data = load(TIER_CHANGES, {**form.payload(new=False), **_icon(form, tier)})
        if "multiplier" in data:
            data["multiplier_percent"] = tiers.multiplier_percent(data.pop("multiplier"))
        tiers.update_tier(code, data)
    except AppError as exc:
        return render("programme/tier.html", exc.status, form=form, tier=tier,
                      refused=refusal(exc, "tier"))
    flash(_("Tier saved."), "success")
    return go("console.programme_tiers")


def _tiers_page(form, status=200, **context):
    return render("programme/tiers.html", status, form=form, tiers=tiers.list_tiers(), **context)


def _tier_data(tier) -> dict:
    return {"code": tier.code, "name": tier.name, "threshold_points": tier.threshold_points,
            "multiplier": tier.multiplier_percent / 100, "benefits": tier.benefits,
            "active": tier.active}


def _icon(form, tier) -> dict:
    """The icon_url to send: a new upload, none (removed), or nothing (unchanged)."""
    uploaded = upload_images([form.icon.data], "tier", g.staff, field="icon")
    if uploaded:
        return {"icon_url": uploaded[0]}
    if tier is not None and form.remove_icon.data:
        return {"icon_url": None}
    return {}


# --- subscribe-message templates ------------------------------------------------------------

@bp.get("/programme/templates")
@console_session.staff_page(HQ_ADMIN, store=False)
def subscribe_templates():
    return render("programme/templates.html", items=templates.list_templates())


@bp.route("/programme/templates/new", methods=["GET", "POST"])
@console_session.staff_page(HQ_ADMIN, store=False)
def new_subscribe_template():
    form = TemplateForm()
    if request.method == "GET" or not form.validate():
        return _template_page(form, None, 422 if form.errors else 200)
    try:
        data = _renamed(load(TEMPLATE_IN, form.payload(new=True)))
        template = templates.create_template(data)
    except AppError as exc:
        return _template_page(form, None, exc.status, refused=refusal(exc, "template"))
    flash(_("Template for %(purpose)s saved.", purpose=template.purpose), "success")
    return go("console.subscribe_templates")


@bp.route("/programme/templates/<int:template_pk>", methods=["GET", "POST"])
@console_session.staff_page(HQ_ADMIN, store=False)
def subscribe_template(template_pk):
    template = templates.get_template(template_pk)
    form = TemplateForm() if request.method == "POST" \
        else TemplateForm(data=_template_data(template))
    form.purpose.data = template.purpose  # a template's purpose does not change
    if request.method == "GET" or not form.validate():
        return _template_page(form, template, 422 if form.errors else 200)
    try:
        changes = form.payload(new=False)
        changes["fields"] = {**{k: None for k in template.fields if k not in changes["fields"]},
                             **changes["fields"]}  # a key taken off the form is removed
        templates.update_template(template_pk, _renamed(load(TEMPLATE_CHANGES, changes)))
    except AppError as exc:
        return _template_page(form, template, exc.status, refused=refusal(exc, "template"))
    flash(_("Template for %(purpose)s saved.", purpose=template.purpose), "success")
    return go("console.subscribe_templates")


@bp.post("/programme/templates/preview")
@console_session.staff_page(HQ_ADMIN, store=False)
def subscribe_template_preview():
    """The preview panel alone, as the form is typed in (htmx)."""
    form = TemplateForm()
    return render("programme/template_preview.html", preview=_preview_rows(form), sources=SOURCES)


def _template_page(form, template, status=200, **context):
    return render("programme/template.html", status, form=form, mapping=template,
                  preview=_preview_rows(form), sources=SOURCES, **context)


def _preview_rows(form) -> list[dict]:
    return templates.preview(form.purpose.data, form.fields_map(), form.tip.data,
                             clock.business_date(clock.now()))


def _template_data(template) -> dict:
    return {"purpose": template.purpose, "template_id": template.template_id,
            "opens": template.page, "tip": template.tip, "active": template.active,
            "rows": [{"key": k, "source": v} for k, v in template.fields.items()]}


def _renamed(data: dict) -> dict:
    if "fields_" in data:
        data["fields"] = data.pop("fields_")
    return data
