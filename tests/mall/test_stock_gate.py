"""The Redis stock gate: a fast copy of the stock that may be wrong only safely."""
from datetime import timedelta

import redis as redis_lib

from core import clock
from core.redis import get_redis, get_store, rkey
from mall import stock_gate
from tests.core.test_errors import assert_error
from tests.helpers import statements
from tests.mall.conftest import redeem
from tests.mall.test_redemption import balance, stock_left


def gate(product):
    value = get_redis().get(stock_gate.key(product.id))
    return None if value is None else int(value)


def test_keys_carry_a_cluster_hash_tag(app):
    assert "{product:42}" in stock_gate.key(42)


def test_a_missing_gate_is_built_from_the_database_on_first_use(member_client, product):
    gift = product(stock=7)
    assert gate(gift) is None
    assert redeem(member_client(points=1000), gift.id).status_code == 201
    assert gate(gift) == 6 == stock_left(gift)


def test_sold_out_is_answered_from_the_gate_without_the_database(member_client, product):
    gift = product(stock=3)
    me = member_client(points=1000)
    stock_gate.set_stock(gift.id, 0)  # e.g. a crash between gate and commit: the gate is low
    with statements() as seen:
        refused = redeem(me, gift.id)
    assert_error(refused, 409, "out_of_stock")
    assert seen == []  # not one statement: the gate and Redis's Idempotency-Key markers answer
    assert stock_left(gift) == 3  # under-selling until the rebuild...


def test_the_rebuild_restores_a_gate_that_is_too_low(app, member_client, product):
    gift = product(stock=3)
    me = member_client(points=1000)
    stock_gate.set_stock(gift.id, 0)
    assert_error(redeem(me, gift.id), 409, "out_of_stock")
    result = app.test_cli_runner().invoke(args=["mall", "rebuild-gate"])
    assert result.exit_code == 0 and "rebuilt for" in result.output
    assert gate(gift) == 3
    assert redeem(me, gift.id).status_code == 201


def test_a_gate_that_is_too_high_never_oversells_and_heals(member_client, product):
    gift = product(stock=1)
    me = member_client(points=1000)
    assert redeem(me, gift.id).status_code == 201
    stock_gate.set_stock(gift.id, 5)  # the gate says 5, the database 0
    refused = redeem(me, gift.id)
    assert_error(refused, 409, "out_of_stock")
    assert stock_left(gift) == 0 and balance(me.member) == 900
    assert gate(gift) is None  # the database's refusal dropped it...
    assert_error(redeem(me, gift.id), 409, "out_of_stock")
    assert gate(gift) == 0  # ...and the next request rebuilt it from the truth


def test_units_taken_from_the_gate_come_back_when_the_transaction_fails(member_client, factory,
                                                                        product):
    gift = product(stock=4, points_price=100)
    me = member_client()
    # points past their expiry that the nightly sweep has not removed: the balance column still
    # shows them (the early check passes), the debit expires them first and refuses
    factory.credit(me.member, 150, expires_at=clock.now() + timedelta(seconds=1))
    clock.set(clock.now() + timedelta(seconds=2))
    stock_gate.set_stock(gift.id, 4)
    assert_error(redeem(me, gift.id), 409, "insufficient_points")
    assert gate(gift) == 4 and stock_left(gift) == 4


def test_cancellation_and_restock_move_the_gate(member_client, staff_client, product):
    gift = product(stock=2)
    me = member_client(points=1000)
    rid = redeem(me, gift.id).get_json()["id"]
    assert gate(gift) == 1
    me.post(f"/me/redemptions/{rid}/cancel")
    assert gate(gift) == 2
    staff_client("hq_admin").post(f"/admin/products/{gift.id}/stock", {"delta": 3,
                                                                       "reason": "到货"})
    assert gate(gift) == 5 == stock_left(gift)


def test_a_sold_out_answer_waits_for_a_running_request_with_the_same_key(app, member_client,
                                                                         product):
    gift = product(stock=1)
    me = member_client(points=1000)
    stock_gate.set_stock(gift.id, 0)
    scope = f"mall.redeem:{me.member.id}"  # core.idempotency's scope: endpoint and caller
    get_redis().set(rkey("idem", scope, "tap-000000009"), "first request", ex=60)
    assert_error(redeem(me, gift.id, key="tap-000000009"), 409, "request_in_progress")


class DeadRedis:
    def __getattr__(self, name):
        def fail(*_args, **_kwargs):
            raise redis_lib.ConnectionError("Redis is down")

        return fail


def test_without_redis_the_gate_steps_aside(app, product, monkeypatch):
    gift = product(stock=2)
    monkeypatch.setattr(get_store(), "client", DeadRedis())
    assert stock_gate.take(gift.id, 1, lambda: 2) is None
    assert stock_gate.peek(gift.id) is None
