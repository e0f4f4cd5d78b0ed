"""The member's pages: 消费记录 (GET /me/orders), 积分明细 with titles, sources and the in/out
tabs (GET /me/points/entries), 会员等级 (GET /tiers, the review date on GET /me/points)."""
import uuid
from datetime import date, datetime, timedelta, timezone

from core import clock
from core.db import db
from mall import catalog
from members.models import ORIGIN_STORE
from tasks import service as tasks_service

SH = timezone(timedelta(hours=8))


def _order(pos, store, member_no, order_no, amount_fen):
    response = pos.post("/pos/orders", {"store_code": store.code, "order_no": order_no,
                                        "member_no": member_no, "amount_fen": amount_fen,
                                        "items": [{"sku": "tea", "amount_fen": amount_fen}]})
    assert response.status_code == 201, response.get_json()


def test_my_orders_are_paged_with_store_items_and_refunds(member_client, factory, pos_client):
    me = member_client()
    store = factory.store(name="人民广场店")
    pos = pos_client(store)
    for n in range(3):
        _order(pos, store, me.member.member_no, f"O-{n}", 1000 * (n + 1))
    pos.post("/pos/orders/O-0/refunds", {"store_code": store.code, "refund_no": "R-1",
                                         "amount_fen": 500})
    first = me.get("/me/orders?limit=2").get_json()
    assert [o["order_no"] for o in first["items"]] == ["O-2", "O-1"]
    assert first["items"][0]["store"] == {"code": store.code, "name": "人民广场店"}
    assert first["items"][0]["items"] == [{"sku": "tea", "amount_fen": 3000, "quantity": 1}]
    rest = me.get(f"/me/orders?limit=2&cursor={first['next_cursor']}").get_json()
    refunded = rest["items"][0]
    assert (refunded["order_no"], refunded["refunded_fen"], refunded["points_earned"]) == \
        ("O-0", 500, 10)
    assert [r["refund_no"] for r in refunded["refunds"]] == ["R-1"]
    assert rest["next_cursor"] is None


def test_my_orders_include_a_merged_till_customers_but_never_anothers(
        member_client, factory, pos_client):
    me, other = member_client(), member_client()
    till = factory.member()
    till.origin, till.status, till.merged_into_id = ORIGIN_STORE, "merged", me.member.id
    db.session.commit()
    store = factory.store()
    pos = pos_client(store)
    _order(pos, store, till.member_no, "T-1", 800)
    _order(pos, store, other.member.member_no, "X-1", 900)
    assert [o["order_no"] for o in me.get("/me/orders").get_json()["items"]] == ["T-1"]
    assert me.get("/me/orders?limit=0").status_code == 422


def test_entries_have_titles_sources_and_in_out_tabs(member_client, factory, pos_client,
                                                     staff_client):
    me = member_client()
    store = factory.store(name="静安店")
    _order(pos_client(store), store, me.member.member_no, "E-1", 12800)
    tasks_service.save_task({"kind": "checkin", "title": "签到", "config": {"schedule": [5]}})
    task = tasks_service.save_task({"kind": "one_off", "title": "关注公众号",
                                    "config": {"reward_points": 7, "action": "manual"}})
    product = catalog.create_product({"title": "帆布袋", "kind": "virtual", "points_price": 20,
                                      "stock": 5})
    db.session.commit()
    me.post("/me/checkins")
    me.post(f"/me/tasks/{task.id}/claim")
    me.post("/mall/redemptions", {"product_id": product.id},
            headers={"Idempotency-Key": uuid.uuid4().hex})
    staff_client("hq_admin").post(f"/staff/members/{me.member.member_no}/adjustments",
                                  {"delta": -3, "reason": "重复积分更正"})
    entries = me.get("/me/points/entries").get_json()["items"]
    shown = {e["kind"]: (e["title"], e["source"]) for e in entries}
    assert shown["earn"][0] == "静安店 消费 ¥128.00"
    assert shown["earn"][1]["type"] == "order"
    assert shown["checkin"] == ("签到 · 连续第1天", {"type": "checkin", "id": shown["checkin"][1]["id"],
                                                  "title": "签到 · 连续第1天"})
    assert shown["task"][0] == "关注公众号" and shown["task"][1]["id"] == str(task.id)
    assert shown["spend"][0] == "兑换 帆布袋" and shown["spend"][1]["type"] == "redemption"
    assert shown["adjust"][1] == {"type": "adjustment", "id": None, "title": "重复积分更正"}
    incoming = me.get("/me/points/entries?direction=in").get_json()["items"]
    outgoing = me.get("/me/points/entries?direction=out").get_json()["items"]
    assert {e["kind"] for e in incoming} == {"earn", "checkin", "task"}
    assert {e["kind"] for e in outgoing} == {"spend", "adjust"}
    assert me.get("/me/points/entries?direction=sideways").status_code == 422


def test_tiers_are_public_and_the_review_date_is_on_my_points(staff_client, client, member_client):
    hq = staff_client("hq_admin")
    hq.post("/admin/tiers", {"code": "silver", "name": "银卡", "threshold_points": 100,
                             "multiplier": 1.2, "benefits": "生日双倍积分\n专属优惠券",
                             "icon_url": "https://cdn.example.com/silver.png"})
    hq.post("/admin/tiers", {"code": "gold", "name": "金卡", "threshold_points": 1000})
    hq.delete("/admin/tiers/gold")
    response = client.get("/tiers")
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.get_json()["items"] == [{
        "code": "silver", "name": "银卡", "threshold_points": 100, "multiplier": 1.2,
        "benefits": "生日双倍积分\n专属优惠券", "icon_url": "https://cdn.example.com/silver.png"}]
    clock.set(datetime(2026, 5, 20, 12, tzinfo=SH))
    me = member_client(points=150)
    assert me.get("/me/points").get_json()["tier_review_on"] == date(2026, 6, 1).isoformat()
    assert member_client().get("/me/points").get_json()["tier_review_on"] is None
