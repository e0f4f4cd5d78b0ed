"""One-off tasks pay for what still stands: a first order not fully refunded, a first
redemption not cancelled; a reward paid for an action undone later is taken back."""
import uuid

import pytest

from core import clock
from core.db import db
from mall import cancellation
from tests.core.test_errors import assert_error


@pytest.fixture
def pos(factory, pos_client):
    return pos_client(factory.store(code="SH001"))


@pytest.fixture
def tasks(make_task):
    return {action: make_task("one_off", title=title, config={"action": action,
                                                             "reward_points": reward})
            for action, title, reward in (("first_order", "首次消费", 30),
                                          ("first_redemption", "首次积分兑换", 20))}


@pytest.fixture
def gift(staff_client):
    return staff_client("marketer").post("/admin/products", {
        "title": "帆布袋", "kind": "gift", "points_price": 300, "stock": 20}).get_json()


def order(pos, me, order_no, amount_fen=10000):
    return pos.post("/pos/orders", {"store_code": "SH001", "order_no": order_no,
                                    "amount_fen": amount_fen, "member_no": me.member.member_no})


def refund(pos, order_no, refund_no, amount_fen):
    return pos.post(f"/pos/orders/{order_no}/refunds",
                    {"store_code": "SH001", "refund_no": refund_no, "amount_fen": amount_fen})


def redeem(me, product):
    return me.post("/mall/redemptions", {"product_id": product["id"]},
                   headers={"Idempotency-Key": uuid.uuid4().hex}).get_json()


def status(me, task):
    return next(i["status"] for i in me.get("/me/tasks").get_json()["items"] if i["id"] == task.id)


def balance(me):
    return me.get("/me/points").get_json()["balance"]


def test_first_order_is_claimable_only_while_an_order_stands(member_client, pos, tasks):
    task, me = tasks["first_order"], member_client()
    order(pos, me, "A-1")
    assert refund(pos, "A-1", "RF-1", 4000).status_code == 201   # partly refunded: it stands
    assert status(me, task) == "claimable"
    refund(pos, "A-1", "RF-2", 6000)                              # fully refunded: it does not
    assert status(me, task) == "todo"
    refused = assert_error(me.post(f"/me/tasks/{task.id}/claim"), 409, "invalid_state")
    assert refused["details"] == {"action": "first_order"}
    order(pos, me, "A-2")                                         # a new order stands again
    assert me.post(f"/me/tasks/{task.id}/claim").get_json()["points"] == 30


def test_first_redemption_is_not_claimable_once_the_only_redemption_is_cancelled(
        member_client, tasks, gift):
    task, me = tasks["first_redemption"], member_client(points=500)
    made = redeem(me, gift)
    assert status(me, task) == "claimable"
    assert me.post(f"/me/redemptions/{made['id']}/cancel").status_code == 200
    assert status(me, task) == "todo"
    assert_error(me.post(f"/me/tasks/{task.id}/claim"), 409, "invalid_state")
    assert balance(me) == 500


def test_a_first_order_reward_is_taken_back_when_the_order_is_fully_refunded(member_client,
                                                                             pos, tasks):
    task, me = tasks["first_order"], member_client()
    order(pos, me, "A-1")
    order(pos, me, "A-2", 5000)
    assert me.post(f"/me/tasks/{task.id}/claim").status_code == 201
    assert balance(me) == 100 + 50 + 30
    refund(pos, "A-2", "RF-1", 5000)          # another order still stands: the reward too
    assert balance(me) == 100 + 30
    refund(pos, "A-1", "RF-2", 10000)         # nothing stands: the reward is taken back
    assert balance(me) == 0
    taken = me.get("/me/points/entries").get_json()["items"]
    assert [(e["kind"], e["delta"]) for e in taken[:2]] == [("reverse", -30), ("reverse", -100)]
    assert taken[0]["reason"] == "首次消费奖励扣回：订单已全额退款"
    assert status(me, task) == "claimed"
    assert_error(me.post(f"/me/tasks/{task.id}/claim"), 409, "limit_exceeded")
    order(pos, me, "A-3")
    refund(pos, "A-3", "RF-3", 10000)         # undone again: nothing more to take back
    assert balance(me) == 0


def test_a_first_order_reward_already_spent_is_taken_back_as_debt(member_client, pos, tasks,
                                                                  staff_client):
    task, me = tasks["first_order"], member_client()
    order(pos, me, "A-1", 1000)
    me.post(f"/me/tasks/{task.id}/claim")
    voucher = staff_client("marketer").post("/admin/products", {
        "title": "捐赠", "kind": "virtual", "points_price": 40, "stock": 5}).get_json()
    redeem(me, voucher)                       # the order's 10 and the reward's 30, spent
    assert balance(me) == 0
    refund(pos, "A-1", "RF-1", 1000)
    assert balance(me) == -40                 # debt, repaid first by what is earned next
    order(pos, me, "A-2", 5000)
    assert balance(me) == 10


@pytest.mark.parametrize("undo", ["member cancels", "unpicked gift expires"])
def test_a_first_redemption_reward_is_taken_back_when_the_redemption_is_undone(
        member_client, tasks, gift, undo):
    task, me = tasks["first_redemption"], member_client(points=500)
    made = redeem(me, gift)
    assert me.post(f"/me/tasks/{task.id}/claim").get_json()["points"] == 20
    assert balance(me) == 500 - 300 + 20
    if undo == "member cancels":
        assert me.post(f"/me/redemptions/{made['id']}/cancel").status_code == 200
    else:
        cancellation.expire_unpicked(made["id"], clock.now())
        db.session.commit()
    assert balance(me) == 500
    last = me.get("/me/points/entries").get_json()["items"][0]
    assert (last["kind"], last["delta"]) == ("reverse", -20)
    assert last["reason"] == "首次积分兑换奖励扣回：兑换已取消"


def test_a_reward_whose_points_expired_is_not_taken_again_and_the_refund_goes_through(
        member_client, pos, tasks, staff_client):
    from datetime import timedelta

    from points.ledger.jobs import expire_due_lots

    staff_client("marketer").put("/admin/settings", {"expiry": {"mode": "fixed_days", "days": 30}})
    task, me = tasks["first_order"], member_client()
    order(pos, me, "A-1")
    assert me.post(f"/me/tasks/{task.id}/claim").get_json()["points"] == 30
    clock.set(clock.now() + timedelta(days=45))
    expire_due_lots(clock.now())  # the order's 100 and the reward's 30 expired unused
    assert refund(pos, "A-1", "RF-1", 10000).status_code == 201  # was 409: nothing to reverse
    from points.ledger.models import PointsAccount  # (the member's 7-day token has run out)
    db.session.expire_all()
    assert db.session.get(PointsAccount, me.member.id).balance == 0
