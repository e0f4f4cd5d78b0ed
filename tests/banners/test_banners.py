"""Banners: marketers manage them; GET /banners?store_code= shows what is on now, in order."""
from datetime import timedelta

import pytest

from core import clock
from core.db import db
from mall import catalog

IMAGE = "https://cdn.example.com/b.jpg"


@pytest.fixture
def marketer(staff_client):
    return staff_client("marketer")


def create(marketer, **fields):
    response = marketer.post("/admin/banners", {"title": "t", "image_url": IMAGE, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def titles(client, query=""):
    response = client.get("/banners" + query)
    assert response.status_code == 200, response.get_json()
    return [b["title"] for b in response.get_json()["items"]]


def test_what_shows_depends_on_window_store_order_and_activity(marketer, client, factory):
    sh, bj = factory.store(code="SHB"), factory.store(code="BJB")
    now = clock.now()
    create(marketer, title="second", sort_order=2)
    create(marketer, title="first", sort_order=1, store_codes=[sh.code])
    create(marketer, title="later", sort_order=3, starts_at=(now + timedelta(days=1)).isoformat())
    create(marketer, title="over", ends_at=(now - timedelta(seconds=1)).isoformat())
    off = create(marketer, title="off")
    marketer.delete(f"/admin/banners/{off['id']}")
    assert titles(client, f"?store_code={sh.code}") == ["first", "second"]
    assert titles(client, f"?store_code={bj.code}") == ["second"]
    assert titles(client) == ["second"]
    clock.set(now + timedelta(days=1, seconds=1))
    assert titles(client, f"?store_code={bj.code}") == ["second", "later"]
    assert client.get("/banners?store_code=NOPE").status_code == 404


def test_a_banner_links_to_a_product_a_task_or_a_page(marketer, client):
    product = catalog.create_product({"title": "杯", "kind": "virtual", "points_price": 1,
                                      "stock": 1})
    db.session.commit()
    body = create(marketer, link_type="product", link_target=str(product.id))
    assert client.get("/banners").get_json()["items"][0]["link"] == \
        {"type": "product", "target": str(product.id)}
    assert body["link"]["type"] == "product"
    for link, target in (("product", "999999"), ("task", "abc"), ("page", "https://x.com"),
                         ("none", "pages/x")):
        bad = marketer.post("/admin/banners", {"title": "t", "image_url": IMAGE,
                                               "link_type": link, "link_target": target})
        assert bad.status_code == 422 and "link_target" in bad.get_json()["error"]["details"]
    assert create(marketer, link_type="page", link_target="pages/checkin/index")


@pytest.mark.parametrize("fields", [
    {"image_url": "http://cdn.example.com/b.jpg"}, {"title": ""}, {"store_codes": ["NOPE"]},
    {"starts_at": "2026-01-02T00:00:00+08:00", "ends_at": "2026-01-01T00:00:00+08:00"},
])
def test_bad_banners_are_422(marketer, fields):
    response = marketer.post("/admin/banners", {"title": "t", "image_url": IMAGE, **fields})
    assert response.status_code == 422, response.get_json()


def test_only_marketing_manages_banners(staff_client, client):
    body = {"title": "t", "image_url": IMAGE}
    assert client.post("/admin/banners", body).status_code == 401
    assert staff_client("store_manager").post("/admin/banners", body).status_code == 403
    assert staff_client("hq_admin").post("/admin/banners", body).status_code == 201


def test_a_patch_changes_only_what_it_sends(marketer):
    banner = create(marketer, title="old", sort_order=5)
    changed = marketer.patch(f"/admin/banners/{banner['id']}", {"title": "new"}).get_json()
    assert (changed["title"], changed["sort_order"], changed["image_url"]) == ("new", 5, IMAGE)
