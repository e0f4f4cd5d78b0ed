"""Programme settings (/admin/settings): one JSON row per section, defaults as API.md says.

Out of the box: 1 point per whole yuan, points never expire, no deduction, no bonuses.
"""
import copy

from flask import g, has_app_context, has_request_context
from sqlalchemy import select

from core import audit, clock, config_cache
from core.db import db
from points.programme.models import ProgrammeSetting

DEFAULTS = {
    "earn": {"points_per_yuan": 1},
    "expiry": {"mode": "never", "days": 365, "birthday_extension_days": 0},
    "deduction": {"points_per_yuan": 100, "max_ratio_percent": 0},
    "registration_bonus": 0,
    "first_order_bonus": 0,
    #: what one point costs the store that issued it, in fen (settlement)
    "point_value_fen": 1,
    "reminders": {"days_before": 7, "hour": 10},
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
        row.value = {**before[section], **value} if isinstance(default, dict) else value
        row.updated_at = clock.now()
    db.session.flush()
    if has_app_context():  # (a test's requests share its app context, and so its g)
        g.pop("_programme_settings", None)
    after = get_settings()
    for section in sorted(sections):  # one entry per section: its name is the target's id
        audit.record("settings.update", "settings", section,
                     before={section: before[section]}, after={section: after[section]})
    return after
