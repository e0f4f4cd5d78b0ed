"""One-off tasks pay for what still stands: a first order not fully refunded, a first
redemption not cancelled."""
import uuid

import pytest

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
