"""Analytics settings: one JSON row per section, defaults below.

rfm.thresholds: per dimension, null (quintiles of the chain's members) or four ascending cut
points. Recency in days: ≤ 1st cut → 5 … > 4th cut → 1. Frequency (orders) and monetary (fen):
≥ 4th cut → 5 … < 1st cut → 1.
"""
import copy

from sqlalchemy import select

from core import audit, clock
from core.db import db
from core.errors import ValidationFailed
from analytics.models import AnalyticsSetting

DEFAULTS = {
    "rfm": {"window_days": 365, "new_member_days": 30,
            "thresholds": {"r": None, "f": None, "m": None}},
    "churn": {"factor_percent": 150, "lapsed_factor_percent": 200, "min_orders": 3,
              "default_days": 90, "lapsed_days": 180},
}


def get_settings() -> dict:
    stored = {row.section: row.value for row in db.session.scalars(select(AnalyticsSetting))}
    merged = copy.deepcopy(DEFAULTS)
    for section, value in stored.items():
        if section in merged:
            merged[section].update(value)
    merged["rfm"]["thresholds"] = {**DEFAULTS["rfm"]["thresholds"],
                                   **(merged["rfm"]["thresholds"] or {})}
    return merged


def update_settings(sections: dict) -> dict:
    """Replace the given sections' keys (others unchanged); audited. Returns the settings."""
    before = get_settings()
    for dimension, cuts in (sections.get("rfm", {}).get("thresholds") or {}).items():
        _check_cuts(dimension, cuts)
    churn = {**before["churn"], **sections.get("churn", {})}
    if churn["lapsed_factor_percent"] < churn["factor_percent"] \
            or churn["lapsed_days"] < churn["default_days"]:
        raise ValidationFailed(details={"churn": ["Lapsed must come after at risk."]})
    for section, value in sections.items():
        if section == "rfm" and "thresholds" in value:  # one dimension sent: the others stay
            value = {**value, "thresholds": {**before["rfm"]["thresholds"], **value["thresholds"]}}
        row = db.session.get(AnalyticsSetting, section)
        if row is None:
            row = AnalyticsSetting(section=section, value={})
            db.session.add(row)
        row.value = {**before[section], **value}
        row.updated_at = clock.now()
    db.session.flush()
    after = get_settings()
    for section in sorted(sections):
        audit.record("analytics_settings.update", "analytics_settings", section,
                     before={section: before[section]}, after={section: after[section]})
    return after


def _check_cuts(dimension, cuts) -> None:
    if cuts is None:
        return
    if len(cuts) != 4 or any(b <= a for a, b in zip(cuts, cuts[1:])) or min(cuts) < 0:
        raise ValidationFailed(details={f"thresholds.{dimension}": [
            "Four ascending, non-negative cut points, or null for quintiles."]})
