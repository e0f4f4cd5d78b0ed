"""GET /me/export: a copy of every record the member has, rate-limited."""
import uuid

from core import clock
from core.db import db
from mall import catalog
from points.programme import tiers
from points.reminders.models import ExpiryReminder
from tasks import service as tasks_service
from wx import templates

SECTIONS = {"profile", "wechat", "consents", "subscriptions", "deletion_requests", "points",
            "orders", "redemptions", "coupons", "checkins", "task_claims", "invites",
            "reminders", "tier_history"}


def _task(kind, config, **fields):
    task = tasks_service.save_task({"kind": kind, "title": f"{kind} task", "config": config,
                                    **fields})
    db.session.commit()
    return task


def _member_with_everything(login, factory, pos_client, staff_client):
    staff_client("hq_admin").post("/admin/legal-documents", {
        "kind": "privacy", "version": "v1", "title": "Privacy", "text": "…"})
    referral = _task("referral", {"inviter_points": 10, "invitee_points": 5, "trigger": "register"})
    _task("checkin", {"schedule": [3]})
    manual = _task("one_off", {"reward_points": 7, "action": "manual"})
    tiers.create_tier("silver", "银卡", 500, 100)  # the order below reaches it
    templates.create_template({"purpose": "points_expiring", "template_id": "tpl-exp",
                               "fields": {"number2": "points"}}, check_wechat=False)
    db.session.commit()
    response, me = login("o-curious")
    member_id = response.get_json()["member"]["id"]
    me.post("/me/consents", {"document": "privacy", "version": "v1"})
    me.post("/me/phone", {"code": "fakephone:13655556666"})
    me.post("/me/subscriptions", {"template_id": "tpl-exp", "accepted": True})
    store = factory.store()
    pos = pos_client(store)
    pos.post("/pos/orders", {"store_code": store.code, "order_no": "E-1", "member_no":
                             me.get("/me").get_json()["member_no"], "amount_fen": 100000})
    pos.post("/pos/orders/E-1/refunds", {"store_code": store.code, "refund_no": "R-1",
                                         "amount_fen": 10000})
    me.post("/me/checkins")
    me.post(f"/me/tasks/{manual.id}/claim")
    coupon = catalog.create_product({"title": "券", "kind": "coupon", "points_price": 10,
                                     "stock": 5, "coupon": {"deduct_fen": 100,
                                                            "min_spend_fen": 0, "valid_days": 9}})
    db.session.commit()
    me.post("/mall/redemptions", {"product_id": coupon.id},
            headers={"Idempotency-Key": uuid.uuid4().hex})
    invite_code = me.get("/me").get_json()["invite_code"]
    friend = login("o-friend", invite_code=invite_code)[1]
    friend.post("/me/consents", {"document": "privacy", "version": "v1"})
    db.session.add(ExpiryReminder(member_id=member_id, expiry_date=clock.business_date(),
                                  template_id="tpl-exp", points=5, status="sent",
                                  created_at=clock.now()))
    db.session.commit()
    me.post("/me/deletion"), me.delete("/me/deletion")
    assert referral.id
    return me


def test_the_export_holds_every_kind_of_record(login, factory, pos_client, staff_client):
    me = _member_with_everything(login, factory, pos_client, staff_client)
    response = me.get("/me/export")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert SECTIONS <= set(data)
    empty = sorted(name for name in SECTIONS if not data[name])
    assert empty == []
    assert data["profile"]["phone"] == "+8613655556666"
    assert {e["kind"] for e in data["points"]["entries"]} >= {"earn", "reverse", "checkin",
                                                               "task", "referral", "spend"}
    assert data["orders"][0]["refunds"][0]["refund_no"] == "R-1"
    assert data["invites"][0]["role"] == "inviter"
    assert [{k: c[k] for k in ("from_code", "to_code", "reason")} for c in data["tier_history"]] \
        == [{"from_code": None, "to_code": "silver", "reason": "earned"}]
    assert data["tier_history"][0]["created_at"].endswith("+00:00")


def test_an_export_is_rate_limited_and_downloadable(login):
    _, me = login("o-twice")
    first = me.get("/me/export?download=true")
    assert first.status_code == 200
    assert first.headers["Content-Disposition"].startswith('attachment; filename="jifen-')
    again = me.get("/me/export")
    assert again.status_code == 429
    assert int(again.headers["Retry-After"]) > 0
    assert again.get_json()["error"]["code"] == "rate_limited"
