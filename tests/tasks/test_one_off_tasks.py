"""One-off tasks: verified automatically, claimed once, budgets, windows; admin validation."""
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import clock
from core.auth import issue_member_token
from core.db import db
from points.ledger.models import PointsEntry
from tests.helpers import ApiClient


@pytest.fixture
def one_off(make_task):
    def make(action="bind_phone", reward=30, **fields):
        return make_task("one_off", title=f"do {action}",
                         config={"action": action, "reward_points": reward}, **fields)
    return make


def status(me, task):
    return next(i["status"] for i in me.get("/me/tasks").get_json()["items"] if i["id"] == task.id)


def test_a_verified_action_becomes_claimable_and_pays_once(member_client, one_off):
    task = one_off("bind_phone")
    me = member_client()
    assert status(me, task) == "todo"
    refused = me.post(f"/me/tasks/{task.id}/claim")
    assert refused.status_code == 409 and refused.get_json()["error"]["details"] == {
        "action": "bind_phone"}
    phoned = member_client(phone="13600000009")
    assert status(phoned, task) == "claimable"
    assert phoned.post(f"/me/tasks/{task.id}/claim").get_json() == {"task_id": task.id, "points": 30}
    assert status(phoned, task) == "claimed"
    again = phoned.post(f"/me/tasks/{task.id}/claim")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "limit_exceeded"
    assert phoned.get("/me/points").get_json()["balance"] == 30


def test_a_manual_task_is_claimable_on_the_members_word(member_client, one_off):
    task = one_off("manual", reward=10)
    me = member_client()
    assert status(me, task) == "claimable"
    assert me.post(f"/me/tasks/{task.id}/claim").status_code == 201


def test_inactive_and_out_of_window_tasks_do_not_pay(member_client, one_off, staff_client):
    later = one_off("manual", starts_at=clock.now() + timedelta(days=1))
    me = member_client()
    assert me.post(f"/me/tasks/{later.id}/claim").get_json()["error"]["code"] == "invalid_state"
    task = one_off("manual")
    assert staff_client("marketer").delete(f"/admin/tasks/{task.id}").status_code == 200
    assert me.post(f"/me/tasks/{task.id}/claim").status_code == 409
    assert all(i["id"] != later.id for i in me.get("/me/tasks").get_json()["items"])


def test_a_spent_budget_ends_the_task(member_client, one_off):
    task = one_off("manual", reward=10, budget_points=20)
    for _ in range(2):
        assert member_client().post(f"/me/tasks/{task.id}/claim").status_code == 201
    late = member_client()
    response = late.post(f"/me/tasks/{task.id}/claim")
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "limit_exceeded"
    assert status(late, task) == "ended"


@pytest.mark.committing
@pytest.mark.mariadb
def test_concurrent_claims_never_overspend_the_budget(app, factory, one_off):
    task = one_off("manual", reward=10, budget_points=50)
    tokens = [issue_member_token(factory.member().id) for _ in range(12)]

    def claim(token):
        return ApiClient(app.test_client(), token=token).post(f"/me/tasks/{task.id}/claim").status_code

    with ThreadPoolExecutor(12) as pool:
        statuses = sorted(pool.map(claim, tokens))
    assert statuses == [201] * 5 + [409] * 7
    db.session.remove()
    paid = db.session.scalar(select(func.sum(PointsEntry.delta)).where(PointsEntry.kind == "task"))
    assert paid == 50


def test_admin_validation_and_audit(staff_client):
    marketer = staff_client("marketer")
    bad_schedule = marketer.post("/admin/tasks", {"kind": "checkin", "schedule": [5, 0]})
    assert bad_schedule.status_code == 422 and "schedule" in bad_schedule.get_json()["error"]["details"]
    window = marketer.post("/admin/tasks", {"kind": "one_off", "title": "x", "reward_points": 5,
                                            "action": "manual",
                                            "starts_at": "2026-12-02T00:00:00+08:00",
                                            "ends_at": "2026-12-01T00:00:00+08:00"})
    assert "ends_at" in window.get_json()["error"]["details"]
    missing = marketer.post("/admin/tasks", {"kind": "referral", "inviter_points": 5})
    assert set(missing.get_json()["error"]["details"]) >= {"invitee_points", "trigger"}
    ok = marketer.post("/admin/tasks", {"kind": "checkin", "schedule": [5, 5, 30]})
    assert ok.status_code == 201 and ok.get_json()["config"]["schedule"] == [5, 5, 30]
    second = marketer.post("/admin/tasks", {"kind": "checkin", "schedule": [1]})
    assert second.status_code == 409
    log = staff_client("hq_admin").get("/admin/audit-log").get_json()["items"]
    assert any(e["action"] == "task.save" for e in log)
    assert staff_client("cashier").post("/admin/tasks", {"kind": "checkin",
                                                         "schedule": [5]}).status_code == 403
