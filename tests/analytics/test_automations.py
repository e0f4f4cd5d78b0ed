"""Automations: once per member (rerun and concurrent workers), within the budget, with a stable
hashed holdout; results with lift."""
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.db import db, run_in_transaction
from analytics import jobs
from analytics.tags import automations, service
from analytics.tags.models import Automation, AutomationAction
from mall import catalog
from points.ledger.models import PointsAccount, PointsEntry

AS_OF = date(2026, 6, 30)


def vip_tag(client, members_):
    tag = client.post("/admin/tags", {"name": f"vip-{members_[0].id}", "kind": "manual"}).get_json()
    client.post(f"/admin/tags/{tag['id']}/members", {"member_nos": [m.member_no for m in members_]})
    return tag["id"]


def actions(automation_id):
    return db.session.scalars(select(AutomationAction).filter_by(automation_id=automation_id)).all()


def test_points_once_per_member_even_when_run_again(factory, staff_client):
    client = staff_client("marketer")
    people = [factory.member() for _ in range(6)]
    tag_id = vip_tag(client, people)  # in the tag before the automation: not "entering" it
    auto = client.post("/admin/automations", {"name": "welcome", "tag_id": tag_id,
                                              "action": "points", "points": 50, "budget": 10000,
                                              "holdout_percent": 0}).get_json()
    assert auto["status"] == "active" and auto["holdout_percent"] == 0
    jobs.tags_and_automations()
    assert actions(auto["id"]) == []  # only members entering after it exists
    newcomers = [factory.member() for _ in range(3)]
    client.post(f"/admin/tags/{tag_id}/members", {"member_nos": [m.member_no for m in newcomers]})
    assert jobs.tags_and_automations()["automation_actions"] == 3
    assert jobs.tags_and_automations()["automation_actions"] == 0
    db.session.expire_all()
    assert [db.session.get(PointsAccount, m.id).balance for m in newcomers] == [50, 50, 50]
    assert client.get(f"/admin/automations/{auto['id']}").get_json()["spent"] == 150


def test_the_budget_is_never_passed(factory, staff_client):
    client = staff_client("marketer")
    tag_id = vip_tag(client, [factory.member()])
    auto = client.post("/admin/automations", {"name": "capped", "tag_id": tag_id,
                                              "action": "points", "points": 40, "budget": 100,
                                              "holdout_percent": 0}).get_json()
    people = [factory.member() for _ in range(4)]
    client.post(f"/admin/tags/{tag_id}/members", {"member_nos": [m.member_no for m in people]})
    jobs.tags_and_automations()
    outcomes = sorted(a.outcome for a in actions(auto["id"]))
    assert outcomes == ["done", "done", "over_budget", "over_budget"]
    assert client.get(f"/admin/automations/{auto['id']}").get_json()["spent"] == 80
    # raising the budget does not pay the members recorded over budget a second time round
    client.patch(f"/admin/automations/{auto['id']}", {"budget": 1000})
    assert jobs.tags_and_automations()["automation_actions"] == 0


def test_a_paused_automation_waits_and_resumes(factory, staff_client):
    client = staff_client("marketer")
    tag_id = vip_tag(client, [factory.member()])
    auto = client.post("/admin/automations", {"name": "p", "tag_id": tag_id, "action": "points",
                                              "points": 5, "budget": 100,
                                              "holdout_percent": 0}).get_json()
    client.patch(f"/admin/automations/{auto['id']}", {"status": "paused"})
    newcomer = factory.member()
    client.post(f"/admin/tags/{tag_id}/members", {"member_nos": [newcomer.member_no]})
    assert jobs.tags_and_automations()["automation_actions"] == 0
    client.patch(f"/admin/automations/{auto['id']}", {"status": "active"})
    assert jobs.tags_and_automations()["automation_actions"] == 1


def test_the_holdout_is_stable_and_about_its_share(factory, staff_client):
    assert [automations.held_out(7, m, 10) for m in range(2000)] == \
        [automations.held_out(7, m, 10) for m in range(2000)]
    share = sum(automations.held_out(7, m, 10) for m in range(20000)) / 20000
    assert 0.09 < share < 0.11
    assert not any(automations.held_out(7, m, 0) for m in range(2000))
    client = staff_client("marketer")
    tag_id = vip_tag(client, [factory.member()])
    auto = client.post("/admin/automations", {"name": "h", "tag_id": tag_id, "action": "points",
                                              "points": 5, "budget": 10000,
                                              "holdout_percent": 50}).get_json()
    people = [factory.member() for _ in range(40)]
    client.post(f"/admin/tags/{tag_id}/members", {"member_nos": [m.member_no for m in people]})
    jobs.tags_and_automations()
    db.session.expire_all()
    for action in actions(auto["id"]):
        expected = automations.held_out(auto["id"], action.member_id, 50)
        assert (action.arm == "holdout") == expected
        balance = db.session.get(PointsAccount, action.member_id).balance
        assert balance == (0 if expected else 5)
    assert 5 < sum(a.arm == "holdout" for a in actions(auto["id"])) < 35


def test_results_compare_treated_and_held_out_members(factory, staff_client, buy):
    client = staff_client("marketer")
    tag_id = vip_tag(client, [factory.member()])
    auto = client.post("/admin/automations", {"name": "r", "tag_id": tag_id, "action": "points",
                                              "points": 5, "budget": 10000,
                                              "holdout_percent": 30}).get_json()
    people = [factory.member() for _ in range(30)]
    client.post(f"/admin/tags/{tag_id}/members", {"member_nos": [m.member_no for m in people]})
    jobs.tags_and_automations()
    db.session.expire_all()
    rows = actions(auto["id"])
    entered = rows[0].entered_on
    store = factory.store()
    by_id = {m.id: m for m in people}
    treated = [a.member_id for a in rows if a.arm == "treated"]
    held = [a.member_id for a in rows if a.arm == "holdout"]
    for member_id in treated:  # every treated member orders 100 yuan within a week
        buy(by_id[member_id], store, entered + timedelta(days=3), amount_fen=10000)
    buy(by_id[held[0]], store, entered + timedelta(days=20), amount_fen=4000)
    body = client.get(f"/admin/automations/{auto['id']}/results").get_json()
    n1, n2 = len(treated), len(held)
    assert body["treated"] == {"members": n1, "reordered_7d_pct": 100.0,
                               "reordered_30d_pct": 100.0, "spend_per_member_fen": 10000}
    assert body["holdout"]["members"] == n2
    assert body["holdout"]["reordered_7d_pct"] == 0.0
    assert body["holdout"]["reordered_30d_pct"] == round(100 / n2, 2)
    assert body["holdout"]["spend_per_member_fen"] == 4000 // n2
    p2 = 1 / n2
    se = (p2 * (1 - p2) / n2) ** 0.5
    assert body["lift"]["value"] == round(100 * (1 - p2), 2)
    assert body["lift"]["ci_low"] == round(100 * (1 - p2 - 1.96 * se), 2)
    assert body["by_segment"][0]["segment"] == "unscored"


@pytest.mark.mariadb
@pytest.mark.committing
def test_two_workers_at_once_act_once_per_member(app, factory):
    tag = run_in_transaction(lambda: service.save_tag({"name": "race", "kind": "manual"}))
    staff = factory.staff("hq_admin")
    people = [factory.member() for _ in range(30)]
    automation = run_in_transaction(lambda: automations.save_automation({
        "name": "race", "tag_id": tag.id, "action": "points", "points": 7, "budget": 140,
        "holdout_percent": 0}))
    run_in_transaction(lambda: service.add_members(tag.id, [m.member_no for m in people], staff))
    barrier, errors = threading.Barrier(3), []

    def worker():
        with app.app_context():
            barrier.wait()
            try:
                jobs.fire(automation.id, chunk=5)
            except Exception as exc:  # collected for the assertion
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    db.session.remove()
    rows = actions(automation.id)
    assert len(rows) == 30 and len({r.member_id for r in rows}) == 30
    assert sum(r.outcome == "done" for r in rows) == 20  # 140 points / 7
    assert db.session.get(Automation, automation.id).spent == 140
    credited = db.session.scalar(select(func.sum(PointsEntry.delta)).where(
        PointsEntry.idempotency_key.like(f"automation:{automation.id}:%")))
    assert credited == 140


def test_a_coupon_once_per_member_within_a_budget_of_coupons(factory, staff_client,
                                                             coupon_product):
    from mall.models import Coupon

    client = staff_client("marketer")
    product = coupon_product(valid_days=14)
    tag_id = vip_tag(client, [factory.member()])
    body = {"name": "coupon", "tag_id": tag_id, "action": "coupon", "budget": 3,
            "holdout_percent": 0}
    assert client.post("/admin/automations", body).status_code == 422  # which product?
    assert client.post("/admin/automations", {**body, "product_id": 999999}).status_code == 404
    gift = catalog.create_product({"title": "mug", "kind": "gift", "points_price": 1, "stock": 1})
    assert client.post("/admin/automations", {**body, "product_id": gift.id}).status_code == 422
    auto = client.post("/admin/automations", {**body, "product_id": product.id}).get_json()
    assert auto["action"] == "coupon" and auto["product_id"] == product.id
    people = [factory.member() for _ in range(5)]
    client.post(f"/admin/tags/{tag_id}/members",
                {"member_nos": [m.member_no for m in people]})
    assert jobs.tags_and_automations()["automation_actions"] == 5
    assert jobs.tags_and_automations()["automation_actions"] == 0  # a rerun issues nothing
    held = {m: db.session.scalars(select(Coupon).filter_by(member_id=m.id)).all()
            for m in people}
    assert sorted(len(c) for c in held.values()) == [0, 0, 1, 1, 1]  # the budget: 3 coupons
    coupons = [c for cs in held.values() for c in cs]
    assert {(c.product_id, c.status, c.deduct_fen) for c in coupons} == \
        {(product.id, "unused", 1000)}
    outcomes = sorted(a.outcome for a in actions(auto["id"]))
    assert outcomes == ["done"] * 3 + ["over_budget"] * 2
    assert client.get(f"/admin/automations/{auto['id']}").get_json()["spent"] == 3
    db.session.expire_all()  # no points were spent on them
    assert {db.session.get(PointsAccount, m.id).balance for m in people} == {0}


def test_a_coupon_automation_respects_the_holdout(factory, staff_client, coupon_product):
    from mall.models import Coupon

    client = staff_client("marketer")
    product = coupon_product()
    tag_id = vip_tag(client, [factory.member()])
    auto = client.post("/admin/automations", {"name": "c", "tag_id": tag_id, "action": "coupon",
                                              "product_id": product.id, "budget": 1000,
                                              "holdout_percent": 50}).get_json()
    people = [factory.member() for _ in range(20)]
    client.post(f"/admin/tags/{tag_id}/members", {"member_nos": [m.member_no for m in people]})
    jobs.tags_and_automations()
    held_out = {m.id for m in people if automations.held_out(auto["id"], m.id, 50)}
    assert 0 < len(held_out) < 20
    with_coupon = set(db.session.scalars(select(Coupon.member_id).filter_by(
        product_id=product.id)))
    assert with_coupon == {m.id for m in people} - held_out


@pytest.mark.mariadb
@pytest.mark.committing
def test_two_workers_at_once_issue_one_coupon_per_member_within_budget(app, factory,
                                                                       coupon_product):
    from mall.models import Coupon

    product = coupon_product()
    tag = run_in_transaction(lambda: service.save_tag({"name": "race c", "kind": "manual"}))
    staff = factory.staff("hq_admin")
    people = [factory.member() for _ in range(30)]
    automation = run_in_transaction(lambda: automations.save_automation({
        "name": "race c", "tag_id": tag.id, "action": "coupon", "product_id": product.id,
        "budget": 12, "holdout_percent": 0}))
    run_in_transaction(lambda: service.add_members(tag.id, [m.member_no for m in people], staff))
    barrier, errors = threading.Barrier(3), []

    def worker():
        with app.app_context():
            barrier.wait()
            try:
                jobs.fire(automation.id, chunk=5)
            except Exception as exc:  # collected for the assertion
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    db.session.remove()
    holders = list(db.session.scalars(select(Coupon.member_id).filter_by(product_id=product.id)))
    assert len(holders) == 12 and len(set(holders)) == 12
    assert db.session.get(Automation, automation.id).spent == 12
    assert len(actions(automation.id)) == 30
