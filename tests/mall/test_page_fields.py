"""What the mall's pages show besides the basics: categories, the required tier's name, my
units of a product, where a coupon can be used."""

from core.db import db
from points.programme import tiers
from tests.mall.conftest import redeem


def test_categories_count_the_products_on_show(product, member_client):
    product(category="茶饮"), product(category="茶饮"), product(category="周边")
    product(category="下架", active=False)
    product()  # no category
    me = member_client()
    assert me.get("/mall/categories").get_json() == {"items": [
        {"category": "周边", "products": 1}, {"category": "茶饮", "products": 2}]}


def test_products_show_the_tier_name_and_my_units(product, member_client):
    tiers.create_tier("gold", "金卡", 0, 100)
    db.session.commit()
    cup = product(tier_required="gold", per_member_limit=3)
    me = member_client(points=1000)
    redeem(me, cup.id, quantity=2)
    shown = me.get(f"/mall/products/{cup.id}").get_json()
    assert (shown["tier_required_name"], shown["my_redeemed"]) == ("金卡", 2)
    listed = {p["id"]: p for p in me.get("/mall/products").get_json()["items"]}
    assert listed[cup.id]["my_redeemed"] == 2
    assert member_client().get(f"/mall/products/{cup.id}").get_json()["my_redeemed"] == 0


def test_a_coupon_says_where_it_can_be_used(product, member_client, factory):
    store = factory.store(name="徐家汇店")
    anywhere = product("coupon")
    here_only = product("coupon", store_codes=[store.code])
    me = member_client(points=1000)
    redeem(me, anywhere.id), redeem(me, here_only.id)
    coupons = me.get("/me/coupons").get_json()["items"]
    assert [c["usable_stores"] for c in coupons] == [[{"code": store.code, "name": "徐家汇店"}], []]
