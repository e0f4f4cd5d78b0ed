"""Who may call each route (API.md), for the tests that call every route: by blueprint, with
the endpoints that differ. A new blueprint must be added here."""
ANYONE, MEMBER, POS = "anyone", "member", "pos"
STAFF = frozenset({"hq_admin", "marketer", "store_manager", "cashier"})
MARKETING = frozenset({"hq_admin", "marketer"})
HQ = frozenset({"hq_admin"})
#: the staff roles, least privileged first
ROLE_ORDER = ("cashier", "store_manager", "marketer", "hq_admin")

WHO = {
    "member_auth": ANYONE, "staff_auth": ANYONE, "health": ANYONE, "metrics": ANYONE,
    "api-docs": ANYONE, "swagger_ui": ANYONE, "static": ANYONE,
    "me": MEMBER, "mall": MEMBER, "mall_me": MEMBER, "points_me": MEMBER, "tasks_me": MEMBER,
    "staff_me": STAFF, "staff_members": STAFF, "staff_orders": STAFF, "mall_staff": STAFF,
    "points_staff": frozenset({"hq_admin", "store_manager"}),
    "pos_points": POS, "pos_ping": POS,
    "admin_stores": HQ, "earning_admin": MARKETING, "mall_admin": MARKETING,
    "points_admin": MARKETING, "subscribe_templates": MARKETING, "tasks_admin": MARKETING,
    # launch readiness (#24)
    "legal": ANYONE, "stores_public": ANYONE, "tiers_public": ANYONE, "media": ANYONE,
    "banners": ANYONE, "subscribe_templates_public": ANYONE,
    "privacy_me": MEMBER, "earning_me": MEMBER,
    "legal_admin": MARKETING, "banners_admin": MARKETING,
    "media_admin": frozenset({"hq_admin", "marketer", "store_manager"}),
    # the lottery (#21)
    "lottery": MEMBER, "lottery_me": MEMBER, "lottery_admin": MARKETING,
    "analytics_admin": MARKETING, "analytics_tags": MARKETING,
    "campaigns_admin": MARKETING, "campaigns_me": MEMBER, "campaigns_staff": STAFF,
    "points_imports_admin": HQ,  # bulk points (#19)
    # the dashboard (#19)
    "dashboard_admin": MARKETING, "pos_day_totals": POS,
}
#: endpoints whose callers differ from their blueprint's
WHO_EXCEPTIONS = {
    "admin_stores.list_stores": MARKETING, "admin_stores.get_store": MARKETING,
    "earning_admin.settlement_report": HQ, "legal_admin.publish": HQ,
    # a store manager runs their store's own campaigns (points.campaigns)
    **{f"earning_admin.{view}_promotion": MARKETING | {"store_manager"}
       for view in ("list", "create", "get", "update", "deactivate")},
    "campaigns_admin.submit_promotion": MARKETING | {"store_manager"},
    "campaigns_admin.store_budgets": MARKETING | {"store_manager"},
    "campaigns_admin.get_store_policy": HQ, "campaigns_admin.put_store_policy": HQ,
    # … and their stores' own products (mall.store_products)
    **{f"mall_admin.{view}": MARKETING | {"store_manager"}
       for view in ("list_products", "create_product", "get_product", "update_product",
                    "deactivate_product", "adjust_stock", "stock_history")},
}


def who_may(endpoint):
    """ANYONE, MEMBER, POS, or the set of staff roles that may call the endpoint."""
    blueprint = endpoint.split(".")[0]
    assert blueprint in WHO, f"{endpoint}: add its blueprint to tests/callers.py (who may call it?)"
    return WHO_EXCEPTIONS.get(endpoint, WHO[blueprint])


def least_privileged(roles):
    return next(role for role in ROLE_ORDER if role in roles)
