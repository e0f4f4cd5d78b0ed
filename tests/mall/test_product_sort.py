"""GET /mall/products?sort=: the mall page's orders, paged through ties without a product
repeated or skipped."""
import pytest

from core.db import db
from mall import catalog
from tests.core.test_errors import assert_error
from tests.mall.conftest import redeem


def walk(client, query, limit):
    """Every page of /mall/products with `query`, following next_cursor: the ids in order."""
    ids, cursor, pages = [], None, 0
    while True:
        page = client.get(f"/mall/products?limit={limit}&{query}"
                          + (f"&cursor={cursor}" if cursor else "")).get_json()
        ids += [p["id"] for p in page["items"]]
        cursor, pages = page["next_cursor"], pages + 1
        if not cursor:
            return ids
        assert pages < 20


@pytest.fixture
def priced(product):
    """Eight products, prices with ties that straddle page borders: id → price."""
    prices = [300, 100, 300, 200, 100, 300, 100, 500]
    return {product(points_price=price).id: price for price in prices}


@pytest.mark.parametrize("limit", [1, 2, 3, 100])
def test_points_orders_page_through_ties_newest_first(member_client, priced, limit):
    me = member_client()
    cheap_first = sorted(priced, key=lambda i: (priced[i], -i))
    dear_first = sorted(priced, key=lambda i: (-priced[i], -i))
    assert walk(me, "sort=points_asc", limit) == cheap_first
    assert walk(me, "sort=points_desc", limit) == dear_first
    assert walk(me, "sort=newest", limit) == walk(me, "", limit) == sorted(priced, reverse=True)
    assert [priced[i] for i in cheap_first] == [100, 100, 100, 200, 300, 300, 300, 500]


def test_popular_is_units_redeemed_net_of_cancellations_not_restocking(member_client, product):
    tea, mug, bag, pen, cap = (product(points_price=10) for _ in range(5))
    me = member_client(points=10_000)
    for item, quantity in ((mug, 3), (tea, 1), (bag, 3), (cap, 2)):
        assert redeem(me, item.id, quantity=quantity).status_code == 201
    cancelled = redeem(me, pen.id, quantity=5).get_json()["id"]
    assert me.post(f"/me/redemptions/{cancelled}/cancel").status_code == 200
    catalog.adjust_stock(tea.id, 50, "restocked")  # more on the shelf, no more popular
    db.session.commit()
    expected = [bag.id, mug.id, cap.id, tea.id, pen.id]  # 3, 3 (bag newer), 2, 1, 0
    assert walk(me, "sort=popular", 2) == walk(me, "sort=popular", 100) == expected


def test_a_cursor_belongs_to_its_sort(member_client, priced):
    me = member_client()
    by_price = me.get("/mall/products?limit=2&sort=points_asc").get_json()["next_cursor"]
    newest = me.get("/mall/products?limit=2").get_json()["next_cursor"]
    for query in (f"sort=points_desc&cursor={by_price}", f"cursor={by_price}",
                  f"sort=points_asc&cursor={newest}", "sort=points_asc&cursor=bm9wZQ"):
        assert_error(me.get(f"/mall/products?{query}"), 422, "validation_error")
    response = me.get("/mall/products?sort=cheapest")
    assert_error(response, 422, "validation_error")
    assert "sort" in response.get_json()["error"]["details"]
