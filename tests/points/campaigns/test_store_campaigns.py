"""Store managers run their own stores' campaigns through /admin/promotions, inside HQ's
guardrails (/admin/store-policy), with HQ's approval; a campaign applies only while approved."""
from datetime import timedelta

from sqlalchemy import select

from core import clock
from core.audit import AuditEntry
from core.db import db
from tests.points.campaigns.helpers import store_budget


def campaign(**body):
    now = clock.now()
    return {"name": "周三双倍", "store_codes": ["SH001"], "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(days=7)).isoformat(), **body}


def manager_and_hq(factory, staff_client):
    store = factory.store(code="SH001")
    return store, staff_client("store_manager", stores=[store]), staff_client("hq_admin")


def test_a_managers_campaign_is_a_draft_funded_by_the_store(factory, staff_client):
    _store, manager, _hq = manager_and_hq(factory, staff_client)
    response = manager.post("/admin/promotions", campaign(bonus_points=50))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "draft" and body["funded_by"] == "SH001"
    assert body["store_codes"] == ["SH001"]
    audit = db.session.scalars(select(AuditEntry).filter_by(action="promotion.save")).all()
    assert audit[-1].after["status"] == "draft" and audit[-1].actor_id == manager.staff.id


def test_a_manager_may_not_run_a_campaign_for_another_store_or_all_stores(factory, staff_client):
    _store, manager, _hq = manager_and_hq(factory, staff_client)
    factory.store(code="SH002")
    other = manager.post("/admin/promotions", campaign(bonus_points=50, store_codes=["SH002"]))
    assert other.status_code == 403
    everywhere = manager.post("/admin/promotions", campaign(bonus_points=50, store_codes=[]))
    assert everywhere.status_code == 422 and "store_codes" in everywhere.get_json()["error"]["details"]


def test_each_guardrail_refuses_with_the_limit_in_the_details(factory, staff_client):
    _store, manager, hq = manager_and_hq(factory, staff_client)
    assert hq.put("/admin/store-policy", {"max_multiplier": 1.5, "max_bonus_points": 80,
                                          "overrides": {"SH001": {"max_bonus_points": 60}}}).status_code == 200
    over = manager.post("/admin/promotions", campaign(multiplier=2))
    assert over.status_code == 422
    assert over.get_json()["error"]["details"]["limit"] == {"max_multiplier": 1.5}
    over = manager.post("/admin/promotions", campaign(bonus_points=61))  # its store's override
    assert over.status_code == 422
    assert over.get_json()["error"]["details"]["limit"] == {"max_bonus_points": 60}
    assert manager.post("/admin/promotions", campaign(bonus_points=60)).status_code == 201
    assert manager.post("/admin/promotions", campaign(multiplier=1.5)).status_code == 201


def test_the_approval_flow(factory, staff_client, pos_client):
    store, manager, hq = manager_and_hq(factory, staff_client)
    store_budget(1000)
    member = factory.member()
    pos = pos_client(store)

    def bonus(no):
        body = pos.post("/pos/orders", {"store_code": "SH001", "order_no": no, "amount_fen": 10000,
                                        "member_no": member.member_no}).get_json()
        return body["points_earned"] - 100

    promotion_id = manager.post("/admin/promotions", campaign(bonus_points=50)).get_json()["id"]
    assert bonus("O-1") == 0  # a draft does not apply
    assert hq.post(f"/admin/promotions/{promotion_id}/approve").status_code == 409  # not submitted
    submitted = manager.post(f"/admin/promotions/{promotion_id}/submit").get_json()
    assert submitted["status"] == "pending" and bonus("O-2") == 0
    assert [p["id"] for p in hq.get("/admin/promotions/pending").get_json()] == [promotion_id]
    rejected = hq.post(f"/admin/promotions/{promotion_id}/reject", {"reason": "太频繁"}).get_json()
    assert rejected["status"] == "rejected" and rejected["review_reason"] == "太频繁"
    assert bonus("O-3") == 0
    manager.patch(f"/admin/promotions/{promotion_id}", {"bonus_points": 40})
    manager.post(f"/admin/promotions/{promotion_id}/submit")
    approved = hq.post(f"/admin/promotions/{promotion_id}/approve").get_json()
    assert approved["status"] == "approved" and bonus("O-4") == 40
    changed = manager.patch(f"/admin/promotions/{promotion_id}", {"bonus_points": 45}).get_json()
    assert changed["status"] == "draft" and bonus("O-5") == 0  # a change needs approval again
    assert hq.get("/admin/promotions/pending").get_json() == []


def test_without_approval_required_a_submitted_campaign_goes_live(factory, staff_client):
    _store, manager, hq = manager_and_hq(factory, staff_client)
    hq.put("/admin/store-policy", {"approval_required": False})
    promotion_id = manager.post("/admin/promotions", campaign(bonus_points=5)).get_json()["id"]
    assert manager.post(f"/admin/promotions/{promotion_id}/submit").get_json()["status"] == "approved"


def test_managers_see_only_their_stores_campaigns(factory, staff_client):
    _store, manager, hq = manager_and_hq(factory, staff_client)
    hq_promotion = hq.post("/admin/promotions", campaign(bonus_points=500, store_codes=[])).get_json()
    assert hq_promotion["status"] == "approved" and hq_promotion["funded_by"] is None
    mine = manager.post("/admin/promotions", campaign(bonus_points=5)).get_json()
    other_manager = staff_client("store_manager", stores=[factory.store(code="SH002")])
    assert [p["id"] for p in manager.get("/admin/promotions").get_json()] == [mine["id"]]
    assert other_manager.get("/admin/promotions").get_json() == []
    assert other_manager.get(f"/admin/promotions/{mine['id']}").status_code == 404
    assert manager.get(f"/admin/promotions/{hq_promotion['id']}").status_code == 404
    assert {p["id"] for p in hq.get("/admin/promotions").get_json()} == {mine["id"], hq_promotion["id"]}


def test_budgets_used_per_store(factory, staff_client, pos_client):
    store, manager, hq = manager_and_hq(factory, staff_client)
    factory.store(code="SH002")
    hq.put("/admin/store-policy", {"monthly_budget_points": 100, "approval_required": False,
                                   "overrides": {"SH002": {"monthly_budget_points": 500}}})
    promotion_id = manager.post("/admin/promotions", campaign(bonus_points=30)).get_json()["id"]
    manager.post(f"/admin/promotions/{promotion_id}/submit")
    member = factory.member()
    pos_client(store).post("/pos/orders", {"store_code": "SH001", "order_no": "B-1",
                                           "amount_fen": 100, "member_no": member.member_no})
    mine = manager.get("/admin/store-budgets").get_json()
    assert [(b["store_code"], b["budget_points"], b["spent_points"]) for b in mine] == [("SH001", 100, 30)]
    every = {b["store_code"]: (b["budget_points"], b["spent_points"])
             for b in hq.get("/admin/store-budgets").get_json()}
    assert every == {"SH001": (100, 30), "SH002": (500, 0)}
    policy = hq.get("/admin/store-policy").get_json()
    assert policy["overrides"] == {"SH002": {"monthly_budget_points": 500}}
