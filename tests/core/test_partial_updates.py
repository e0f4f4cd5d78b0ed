"""A PATCH (and the settings PUT) changes only what it sends, at every depth — checked on every
admin endpoint that edits nested objects or lists (the subscribe templates' in
tests/wx/test_subscribe_templates.py, beside the WeChat account they are checked against)."""
from core.auth import issue_member_token
from core.patching import merge_patch

MAKEUP = {"enabled": True, "cost_points": 20, "per_month": 2}


def test_merge_patch_merges_objects_at_every_depth_and_null_removes():
    target = {"a": {"b": 1, "c": 2}, "d": [1, 2], "e": 3}
    assert merge_patch(target, {"a": {"c": 5}, "d": [9], "e": None}) == {"a": {"b": 1, "c": 5},
                                                                        "d": [9]}
    assert target == {"a": {"b": 1, "c": 2}, "d": [1, 2], "e": 3}


def test_a_task_patch_of_one_makeup_field_keeps_the_others(staff_client, member_client):
    marketer = staff_client("marketer")
    task = marketer.post("/admin/tasks", {"kind": "checkin", "schedule": [5, 5, 30],
                                          "makeup": MAKEUP}).get_json()
    changed = marketer.patch(f"/admin/tasks/{task['id']}", {"makeup": {"per_month": 3}})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["config"] == {"schedule": [5, 5, 30],
                                            "makeup": {**MAKEUP, "per_month": 3}}
    assert changed.get_json()["title"] == task["title"]
    me = member_client()
    me.token = issue_member_token(me.member.id)
    makeup = me.get("/me/checkins").get_json()["makeup"]
    assert makeup["enabled"] is True and makeup["cost_points"] == 20
    assert makeup["left_this_month"] == 3


def test_a_referral_patch_keeps_the_rest_of_its_config(staff_client):
    marketer = staff_client("marketer")
    task = marketer.post("/admin/tasks", {"kind": "referral", "inviter_points": 200,
                                          "invitee_points": 100, "trigger": "first_order",
                                          "monthly_cap": 5}).get_json()
    config = marketer.patch(f"/admin/tasks/{task['id']}",
                            {"inviter_points": 300}).get_json()["config"]
    assert config == {"inviter_points": 300, "invitee_points": 100, "trigger": "first_order",
                      "monthly_cap": 5}


def test_a_coupon_patch_of_one_term_keeps_the_others(staff_client):
    marketer = staff_client("marketer")
    coupon = marketer.post("/admin/products", {
        "title": "10元券", "kind": "coupon", "points_price": 500, "stock": 100,
        "coupon": {"deduct_fen": 1000, "min_spend_fen": 5000, "valid_days": 7}}).get_json()
    path = f"/admin/products/{coupon['id']}"
    changed = marketer.patch(path, {"coupon": {"deduct_fen": 800}})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["coupon"] == {"deduct_fen": 800, "min_spend_fen": 5000,
                                            "valid_days": 7}
    renamed = marketer.patch(path, {"title": "8元券"}).get_json()
    assert renamed["coupon"]["min_spend_fen"] == 5000 and renamed["points_price"] == 500


def test_a_gift_patch_keeps_its_defaults_as_they_were(staff_client):
    marketer = staff_client("marketer")
    gift = marketer.post("/admin/products", {"title": "帆布袋", "kind": "gift", "points_price": 300,
                                             "stock": 20, "cash_price_fen": 990,
                                             "per_member_limit": 2}).get_json()
    changed = marketer.patch(f"/admin/products/{gift['id']}", {"points_price": 250}).get_json()
    assert (changed["cash_price_fen"], changed["per_member_limit"]) == (990, 2)


def test_a_settings_put_of_one_field_keeps_the_sections_other_fields(staff_client):
    marketer = staff_client("marketer")
    marketer.put("/admin/settings", {"expiry": {"mode": "fixed_days", "days": 30},
                                     "deduction": {"points_per_yuan": 50, "max_ratio_percent": 10}})
    body = marketer.put("/admin/settings", {"expiry": {"birthday_extension_days": 5}}).get_json()
    assert body["expiry"]["mode"] == "fixed_days" and body["expiry"]["days"] == 30
    assert body["expiry"]["birthday_extension_days"] == 5
    assert body["deduction"] == {"points_per_yuan": 50, "max_ratio_percent": 10}


def test_a_promotion_patch_keeps_its_lists_and_kind(staff_client, factory):
    store = factory.store()
    marketer = staff_client("marketer")
    promo = marketer.post("/admin/promotions", {
        "name": "周末双倍", "multiplier": 2, "store_codes": [store.code], "categories": ["饮品"],
        "weekdays": [6, 7], "min_amount_fen": 1000, "starts_at": "2026-12-01T00:00:00+08:00",
        "ends_at": "2026-12-31T00:00:00+08:00"}).get_json()
    promo = marketer.get(f"/admin/promotions/{promo['id']}").get_json()
    changed = marketer.patch(f"/admin/promotions/{promo['id']}", {"weekdays": [5]}).get_json()
    assert changed == {**promo, "weekdays": [5]}


def test_an_earn_rule_patch_keeps_its_stores(staff_client, factory):
    store = factory.store()
    marketer = staff_client("marketer")
    rule = marketer.post("/admin/earn-rules", {"category": "饮品", "multiplier": 2,
                                               "store_codes": [store.code]}).get_json()
    changed = marketer.patch(f"/admin/earn-rules/{rule['id']}", {"multiplier": 3}).get_json()
    assert changed == {**rule, "multiplier": 3}
