"""HQ's guardrails for store campaigns (/admin/store-policy): one programme settings section,
a default for every store and per-store overrides."""
from core.errors import ValidationFailed
from points.programme.settings import get_settings, update_settings

FIELDS = ("max_multiplier_percent", "max_bonus_points", "store_products_allowed",
          "approval_required", "monthly_budget_points", "visit_points")


def store_policy() -> dict:
    """The whole section: the defaults and `overrides` {store_code: {field: value}}."""
    return get_settings()["store_policy"]


def policy_for(store_code: str) -> dict:
    """What this store may do: the defaults with its overrides."""
    section = store_policy()
    return {**{k: section[k] for k in FIELDS}, **section["overrides"].get(store_code, {})}


def save_store_policy(data: dict) -> dict:
    """Change the fields sent; `overrides` merge by store and field (a store sent with {}
    loses its overrides, a field sent as null its override). Audited as a settings section."""
    patch = dict(data)
    if "overrides" in data:
        patch["overrides"] = {code: (value or None) for code, value in data["overrides"].items()}
    update_settings({"store_policy": patch})
    return store_policy()


def check_promotion(promotion, store_code: str) -> None:
    """A store's campaign inside its guardrails, or 422 whose details name the limit."""
    limits = policy_for(store_code)
    if promotion.multiplier_percent and promotion.multiplier_percent > limits["max_multiplier_percent"]:
        raise ValidationFailed("The multiplier is above the store policy's limit.", details={
            "multiplier": [f"At most {limits['max_multiplier_percent'] / 100:g}."],
            "limit": {"max_multiplier": limits["max_multiplier_percent"] / 100}})
    if promotion.bonus_points and promotion.bonus_points > limits["max_bonus_points"]:
        raise ValidationFailed("The bonus is above the store policy's limit.", details={
            "bonus_points": [f"At most {limits['max_bonus_points']}."],
            "limit": {"max_bonus_points": limits["max_bonus_points"]}})


def check_store_product(store_code: str) -> None:
    if not policy_for(store_code)["store_products_allowed"]:
        raise ValidationFailed("The store policy does not allow store products.", details={
            "store_codes": ["This store may not offer its own products."],
            "limit": {"store_products_allowed": False}})
