"""A store's own products: its manager puts a gift on sale, picked up at that store only, when
HQ's store policy allows it; through the same catalog and audit as HQ's products."""
from sqlalchemy import select

from core.audit import AuditEntry
from core.db import db
from tests.mall.conftest import redeem


def gift(**body):
    return {"title": "门店自制月饼", "kind": "gift", "points_price": 300, "stock": 5,
            "store_codes": ["SH001"], **body}


def test_a_manager_puts_a_gift_of_their_store_on_sale_when_the_policy_allows(
        factory, staff_client, member_client):
    sh, bj = factory.store(code="SH001"), factory.store(code="BJ001")
    manager, hq = staff_client("store_manager", stores=[sh]), staff_client("hq_admin")
    refused = manager.post("/admin/products", gift())
    assert refused.status_code == 422
    assert refused.get_json()["error"]["details"]["limit"] == {"store_products_allowed": False}
    hq.put("/admin/store-policy", {"overrides": {"SH001": {"store_products_allowed": True}}})
    created = manager.post("/admin/products", gift())
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["funded_by"] == "SH001" and body["store_codes"] == ["SH001"]
    audit = db.session.scalars(select(AuditEntry).filter_by(action="product.create")).all()[-1]
    assert audit.actor_id == manager.staff.id and audit.after["store_id"] == sh.id
    me = member_client(points=1000)
    code = redeem(me, body["id"]).get_json()["pickup_code"]
    elsewhere = staff_client("hq_admin").post("/staff/redemptions/verify",
                                              {"pickup_code": code, "store_code": bj.code})
    assert elsewhere.status_code == 409  # picked up at its store only
    here = staff_client("cashier", stores=[sh]).post("/staff/redemptions/verify",
                                                     {"pickup_code": code, "store_code": "SH001"})
    assert here.status_code == 200


def test_a_manager_runs_only_their_stores_gifts(factory, staff_client, product):
    sh, bj = factory.store(code="SH001"), factory.store(code="BJ001")
    hq = staff_client("hq_admin")
    hq.put("/admin/store-policy", {"store_products_allowed": True})
    manager = staff_client("store_manager", stores=[sh])
    assert manager.post("/admin/products", gift(store_codes=["BJ001"])).status_code == 403
    assert manager.post("/admin/products", gift(kind="virtual")).status_code == 422
    mine = manager.post("/admin/products", gift()).get_json()
    hq_product = product()
    others = staff_client("store_manager", stores=[bj])
    assert [p["id"] for p in manager.get("/admin/products").get_json()["items"]] == [mine["id"]]
    assert others.get("/admin/products").get_json()["items"] == []
    assert others.get(f"/admin/products/{mine['id']}").status_code == 404
    assert manager.patch(f"/admin/products/{hq_product.id}", {"title": "x"}).status_code == 404
    assert manager.post(f"/admin/products/{mine['id']}/stock",
                        {"delta": 3, "reason": "补货"}).get_json()["stock_left"] == 8
    assert manager.patch(f"/admin/products/{mine['id']}",
                         {"store_codes": ["BJ001"]}).status_code == 403
    assert {p["id"] for p in hq.get("/admin/products").get_json()["items"]} == {mine["id"], hq_product.id}
