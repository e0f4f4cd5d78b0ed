"""Programme settings (/admin/settings): one JSON row per section, defaults as API.md says.

Out of the box: 1 point per whole yuan, points never expire, no deduction, no bonuses.
"""
import copy

from flask import g, has_app_context, has_request_context
from sqlalchemy import select

from core import audit, clock, config_cache
from core.db import db
from core.patching import merge_patch
from points.programme.models import ProgrammeSetting

DEFAULTS = {
    "earn": {"points_per_yuan": 1},
    #: year_end counts `years` (null: the `days` rule of settings stored before; see policy)
    "expiry": {"mode": "never", "days": 365, "years": None, "birthday_extension_days": 0},
    "deduction": {"points_per_yuan": 100, "max_ratio_percent": 0},
    "registration_bonus": 0,
    "first_order_bonus": 0,
    #: what one point costs the store that issued it, in fen (settlement)
    "point_value_fen": 1,
    "reminders": {"days_before": 7, "hour": 10},
    #: HQ's guardrails for store campaigns (points.campaigns.policy); `overrides` by store code.
    #: Out of the box a store may run campaigns up to double points or 100 bonus points an
    #: order, with HQ's approval, and has no budget to pay for them until HQ grants one;
    #: visit_points: what a visit (到店打卡) earns, from the store's budget (0 = no visits)
    "store_policy": {"max_multiplier_percent": 200, "max_bonus_points": 100,
                     "store_products_allowed": False, "approval_required": True,
                     "monthly_budget_points": 0, "visit_points": 0, "overrides": {}},
}


def get_settings() -> dict:
    """The whole programme configuration, defaults filled in (cached for the request)."""
    cached = g.get("_programme_settings") if has_request_context() else None
    if cached is not None:
        return cached
    stored = copy.deepcopy(config_cache.cached("settings", lambda: {
        row.section: row.value for row in db.session.scalars(select(ProgrammeSetting))}))
    merged = {}
    for section, default in DEFAULTS.items():
        value = stored.get(section, default)
        merged[section] = {**default, **value} if isinstance(default, dict) else value
    if has_request_context():
        g._programme_settings = merged
    return merged


def _year_end_years(expiry: dict, sent: dict) -> dict:
    """Switching to year_end without `years` (or `days`) means the end of the next calendar
    year: years 1."""
    if sent.get("mode") == "year_end" and expiry.get("years") is None \
            and "years" not in sent and "days" not in sent:
        return {**expiry, "years": 1}
    return expiry


def update_settings(sections: dict) -> dict:
    """Replace the given sections (others unchanged); audited, an entry per section. Returns
    the new settings."""
    before = get_settings()
    for section, value in sections.items():
        row = db.session.get(ProgrammeSetting, section)
        if row is None:
            row = ProgrammeSetting(section=section)
            db.session.add(row)
        default = DEFAULTS[section]
        row.value = merge_patch(before[section], value) if isinstance(default, dict) else value
        if section == "expiry":
            row.value = _year_end_years(row.value, value)
        row.updated_at = clock.now()
    db.session.flush()
    if has_app_context():  # (a test's requests share its app context, and so its g)
        g.pop("_programme_settings", None)
    after = get_settings()
    for section in sorted(sections):  # one entry per section: its name is the target's id
        audit.record("settings.update", "settings", section,
                     before={section: before[section]}, after={section: after[section]})
    return after
