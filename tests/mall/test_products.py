"""Products: the console's CRUD and audited stock; what members see."""
from datetime import datetime, timedelta, timezone

import pytest

from core import clock
from tests.core.test_errors import assert_error

SH = timezone(timedelta(hours=8))
GIFT = {"title": "帆布袋", "kind": "gift", "points_price": 300, "stock": 20}


def test_marketer_creates_each_kind_and_reads_it_back(staff_client, factory):
    store = factory.store()
    marketer = staff_client("marketer")
    gift = marketer.post("/admin/products", {**GIFT, "cash_price_fen": 990, "per_member_limit": 2,
                                             "store_codes": [store.code], "category": "周边",
                                             "image_urls": ["https://img.example.com/bag.png"]})
    assert gift.status_code == 201, gift.get_json()
    body = gift.get_json()
    assert body["stock_left"] == body["stock_total"] == 20 and body["store_codes"] == [store.code]
    assert body["cash_price_fen"] == 990 and body["pickup_days"] == 30 and body["coupon"] is None
    coupon = marketer.post("/admin/products", {
        "title": "10元券", "kind": "coupon", "points_price": 500, "stock": 100,
        "coupon": {"deduct_fen": 1000, "min_spend_fen": 5000, "valid_days": 7}}).get_json()
    assert coupon["coupon"] == {"deduct_fen": 1000, "min_spend_fen": 5000, "valid_days": 7}
    virtual = marketer.post("/admin/products", {"title": "捐赠", "kind": "virtual",
                                                "points_price": 10, "stock": 5}).get_json()
    assert virtual["pickup_days"] is None
    assert marketer.get(f"/admin/products/{body['id']}").get_json()["title"] == "帆布袋"
    listed = marketer.get("/admin/products?kind=coupon").get_json()["items"]
    assert [p["id"] for p in listed] == [coupon["id"]]


@pytest.mark.parametrize("change, field", [
    ({"kind": "coupon"}, "coupon"),
    ({"kind": "virtual", "coupon": {"deduct_fen": 100, "valid_days": 3}}, "coupon"),
    ({"kind": "virtual", "cash_price_fen": 100}, "cash_price_fen"),
    ({"tier_required": "nosuchtier"}, "tier_required"),
    ({"store_codes": ["NOPE"]}, "store_codes"),
    ({"starts_at": "2026-05-02T10:00:00+08:00", "ends_at": "2026-05-01T10:00:00+08:00"}, "ends_at"),
    ({"starts_at": "2026-05-02T10:00:00"}, "starts_at"),
    ({"points_price": 0}, "points_price"),
    ({"stock": -1}, "stock"),
    ({"kind": "ticket"}, "kind"),
])
def test_bad_products_are_refused_with_the_field(staff_client, change, field):
    response = staff_client("hq_admin").post("/admin/products", {**GIFT, **change})
    assert_error(response, 422, "validation_error")
    assert field in response.get_json()["error"]["details"]


def test_only_hq_and_marketers_manage_the_chains_products(staff_client):
    """A store manager runs only their stores' own gifts (tests/mall/test_store_products.py):
    a product for every store is refused, naming store_codes; a cashier manages none."""
    refused = staff_client("store_manager").post("/admin/products", GIFT)
    assert_error(refused, 422, "validation_error")
    assert "store_codes" in refused.get_json()["error"]["details"]
    assert_error(staff_client("cashier").get("/admin/products"), 403, "forbidden")


def test_updates_and_stock_adjustments_are_audited(staff_client):
    admin = staff_client("hq_admin")
    pid = admin.post("/admin/products", GIFT).get_json()["id"]
    patched = admin.patch(f"/admin/products/{pid}", {"points_price": 350, "category": "热门"})
    assert patched.status_code == 200 and patched.get_json()["points_price"] == 350
    added = admin.post(f"/admin/products/{pid}/stock", {"delta": 5, "reason": "到货 5 件"})
    assert added.get_json()["stock_left"] == 25 and added.get_json()["stock_total"] == 25
    removed = admin.post(f"/admin/products/{pid}/stock", {"delta": -24, "reason": "盘点损耗"})
    assert removed.get_json()["stock_left"] == 1
    too_many = admin.post(f"/admin/products/{pid}/stock", {"delta": -2, "reason": "盘点"})
    assert_error(too_many, 409, "invalid_state")
    assert too_many.get_json()["error"]["details"] == {"stock_left": 1}
    assert_error(admin.post(f"/admin/products/{pid}/stock", {"delta": 0, "reason": "x y"}), 422,
                 "validation_error")
    log = admin.get("/admin/audit-log?target_type=product").get_json()["items"]
    assert [e["action"] for e in log] == ["product.stock", "product.stock", "product.update",
                                          "product.create"]
    assert log[0]["reason"] == "盘点损耗" and log[0]["after"] == {"stock_left": 1, "delta": -24}
    assert log[2]["before"]["points_price"] == 300 and log[2]["after"]["points_price"] == 350


def test_members_see_active_products_in_window_by_store_and_category(member_client, staff_client,
                                                                    factory, product):
    clock.set(datetime(2026, 5, 1, 12, tzinfo=SH))
    sh, bj = factory.store(), factory.store()
    everywhere = product(category="周边")
    only_sh = product(store_codes=[sh.code], category="周边")
    coupon = product("coupon", category="券")
    product(starts_at=datetime(2026, 5, 1, 20, tzinfo=SH))  # tonight's flash sale
    product(ends_at=datetime(2026, 5, 1, 11, tzinfo=SH))    # over
    gone = product()
    staff_client("hq_admin").delete(f"/admin/products/{gone.id}")
    me = member_client()

    def ids(query=""):
        return [p["id"] for p in me.get(f"/mall/products{query}").get_json()["items"]]

    assert ids() == [coupon.id, only_sh.id, everywhere.id]
    assert ids(f"?store_code={bj.code}") == [coupon.id, everywhere.id]
    assert ids(f"?store_code={sh.code}&category=周边") == [only_sh.id, everywhere.id]
    assert len(ids("?upcoming=true")) == 4
    assert_error(me.get("/mall/products?store_code=NOPE"), 404, "not_found")
    first = me.get("/mall/products?limit=2").get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    shown = me.get(f"/mall/products/{everywhere.id}").get_json()
    assert shown["stock_left"] == 10 and shown["points_price"] == 100
    assert_error(me.get(f"/mall/products/{gone.id}"), 404, "not_found")
    assert_error(client_without_token(me).get("/mall/products"), 401, "unauthenticated")


def client_without_token(client):
    from tests.helpers import ApiClient

    return ApiClient(client.raw)
