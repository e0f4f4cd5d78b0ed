"""Marketers' earn rules (category multipliers) and promotions: admin operations, and which of
them apply to an order at a store at a moment."""
from datetime import datetime

from sqlalchemy import select

from core import audit, clock, config_cache
from core.crud import Crud
from core.db import db
from core.errors import NotFound, ValidationFailed
from points.programme import tiers
from points.earning.earn_rules import Bonus, Multiplier, qualifying_fen
from points.earning.models import EarnRule, Promotion

RULE_FIELDS = ("category", "multiplier_percent", "store_codes", "active")
PROMOTION_FIELDS = ("name", "multiplier_percent", "bonus_points", "store_codes", "starts_at",
                    "ends_at", "weekdays", "categories", "min_amount_fen", "active")
#: what the audit log keeps of a promotion: its fields and, for a store's campaign, its state
AUDITED_FIELDS = (*PROMOTION_FIELDS, "store_id", "status", "review_reason")


def list_rules():
    return db.session.scalars(select(EarnRule).order_by(EarnRule.id)).all()


def get_rule(rule_id):
    rule = db.session.get(EarnRule, rule_id)
    if rule is None:
        raise NotFound(f"No earn rule {rule_id}.")
    return rule


def _save(row, data, fields, make):
    """Create (`make()`) or change a row from `data`; audited with before and after."""
    before = audit.snapshot(row, fields) if row else None
    if row is None:
        row = make()
        db.session.add(row)
    for name, value in data.items():
        setattr(row, name, value)
    return row, before


def _saved(row, before, fields, action):
    db.session.flush()
    audit.record(action, action.partition(".")[0], row.id, before=before,
                 after=audit.snapshot(row, fields))
    return row


def save_rule(data: dict, rule: EarnRule | None = None) -> EarnRule:
    rule, before = _save(rule, data, RULE_FIELDS,
                         lambda: EarnRule(store_codes=[], active=True, created_at=clock.now()))
    return _saved(rule, before, RULE_FIELDS, "earn_rule.save")


def list_promotions():
    return db.session.scalars(select(Promotion).order_by(Promotion.starts_at.desc())).all()


def get_promotion(promotion_id):
    promotion = db.session.get(Promotion, promotion_id)
    if promotion is None:
        raise NotFound(f"No promotion {promotion_id}.")
    return promotion


def save_promotion(data: dict, promotion: Promotion | None = None, *, check=None) -> Promotion:
    """Create or change a promotion (HQ's, or a store's campaign: `data` may set store_id and
    status); `check(promotion)` runs on the changed row before it is saved (a store's
    guardrails). Audited."""
    promotion, before = _save(promotion, data, AUDITED_FIELDS, lambda: Promotion(
        store_codes=[], weekdays=[], categories=[], min_amount_fen=0, active=True,
        status="approved", created_at=clock.now()))
    if promotion.ends_at <= promotion.starts_at:
        raise ValidationFailed(details={"ends_at": ["Must be after starts_at."]})
    if (promotion.multiplier_percent is None) == (promotion.bonus_points is None):
        raise ValidationFailed(details={"multiplier": ["Give a multiplier or bonus_points, not both."]})
    if check is not None:
        check(promotion)
    return _saved(promotion, before, AUDITED_FIELDS, "promotion.save")


def review_promotion(promotion: Promotion, status: str, action: str, **changes) -> Promotion:
    """Move a promotion to `status` (a store campaign's approval flow); audited as `action`."""
    before = audit.snapshot(promotion, AUDITED_FIELDS)
    promotion.status = status
    for name, value in changes.items():
        setattr(promotion, name, value)
    return _saved(promotion, before, AUDITED_FIELDS, action)


def _for_store(store_codes, store_code) -> bool:
    return not store_codes or store_code in store_codes


def active_rules() -> list:
    """The active earn rules, as frozen snapshots (cached)."""
    return config_cache.cached_rows("earn_rules", lambda: select(EarnRule).filter_by(active=True),
                                    ("id", *RULE_FIELDS))


def active_promotions() -> list:
    """Active approved promotions, past ones included (the moment of each order picks);
    snapshots."""
    return config_cache.cached_rows("promotions",
                                    lambda: select(Promotion).filter_by(active=True,
                                                                        status="approved"),
                                    ("id", *PROMOTION_FIELDS, "store_id"))


def applicable(store_code: str, paid_at: datetime, lines, tier_code, store_id=None):
    """(multipliers, bonuses) for an order at this store, paid at this moment. A store's own
    campaign applies only at that store (`store_id`), and is funded by it."""
    return effects(store_code, paid_at, lines, tier_code, active_rules(), active_promotions(),
                   store_id)


def effects(store_code: str, paid_at: datetime, lines, tier_code, rules, promotions,
            store_id=None):
    """(multipliers, bonuses) these earn rules and promotions (rows or snapshots with their
    fields) give an order: the till's choice, also replayed by a promotion's cost preview."""
    weekday = paid_at.astimezone(clock.business_tz()).isoweekday()
    return effects_at(standing_multipliers(store_code, tier_code, rules), store_code, paid_at,
                      weekday, lines, promotions, store_id)


def standing_multipliers(store_code: str, tier_code, rules) -> list:
    """The earn rules' and the member's tier's multipliers at a store: the same for every
    order there (a replay over many orders computes them once per store and tier)."""
    multipliers = [rule_multiplier(r) for r in rules if _for_store(r.store_codes, store_code)]
    tier = tiers.tier_by_code(tier_code)
    if tier is not None and tier.multiplier_percent > 100:
        multipliers.append(Multiplier(f"tier:{tier.code}", f"{tier.name} ×{tier.multiplier_percent / 100:g}",
                                      tier.multiplier_percent))
    return multipliers


def effects_at(standing, store_code: str, paid_at: datetime, weekday: int, lines, promotions,
               store_id=None):
    """`effects` given the standing multipliers and the order's ISO weekday in business time."""
    multipliers, bonuses = list(standing), []
    for p in promotions:
        effect = promotion_effect(p, store_code, paid_at, weekday, lines, store_id)
        if effect is not None:
            (multipliers if isinstance(effect, Multiplier) else bonuses).append(effect)
    return multipliers, bonuses


def rule_multiplier(r) -> Multiplier:
    return Multiplier(f"category:{r.category}", f"{r.category} ×{r.multiplier_percent / 100:g}",
                      r.multiplier_percent, frozenset([r.category]))


def promotion_effect(p, store_code, paid_at, weekday, lines,
                     store_id=None) -> Multiplier | Bonus | None:
    """What a promotion adds to an order paid at `paid_at` (ISO `weekday` in business time); a
    store's campaign (`p.store_id`) only at that store, funded by it."""
    own_store = getattr(p, "store_id", None)
    if not p.starts_at <= paid_at < p.ends_at:
        return None
    if not _for_store(p.store_codes, store_code) or (p.weekdays and weekday not in p.weekdays):
        return None
    if own_store is not None and own_store != store_id:
        return None
    categories = frozenset(p.categories or [])
    if qualifying_fen(lines, categories) < p.min_amount_fen:
        return None
    funder = store_code if own_store else None
    if p.multiplier_percent:
        return Multiplier(f"promotion:{p.id}", p.name, p.multiplier_percent, categories, funder)
    return Bonus(f"promotion:{p.id}", p.name, p.bonus_points, p.min_amount_fen, categories,
                 funder)


EARN_RULES = Crud("earn_rule", "earn rule", list_rules, get_rule, save_rule)
