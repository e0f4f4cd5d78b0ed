"""A POS retry storm on MariaDB: 40 identical reports at once → one order, one credit."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from core.db import db
from points.earning.models import Order
from points.ledger.models import PointsAccount, PointsEntry
from tests.helpers import PosClient


@pytest.mark.committing
@pytest.mark.mariadb
@pytest.mark.parametrize("by", ["member_no", "phone"])
def test_a_storm_of_identical_orders_credits_once(app, factory, by):
    store = factory.store(code="SH001")
    key_id, secret = factory.api_key(store)
    member = factory.member(phone="13700000000") if by == "member_no" else None
    body = {"store_code": "SH001", "order_no": "STORM-1", "amount_fen": 8800,
            by: member.member_no if member else "13811112222"}

    def post(_):
        return PosClient(app.test_client(), key_id, secret).post("/pos/orders", body)

    with ThreadPoolExecutor(40) as pool:
        responses = list(pool.map(post, range(40)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 39 + [201], [(r.status_code, r.get_data()[:200]) for r in responses
                                            if r.status_code != 200]
    assert len({r.get_data() for r in responses}) == 1   # every retry got the same answer
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)) == 1
    assert db.session.scalar(select(func.sum(PointsAccount.balance))) == 88


@pytest.mark.committing
@pytest.mark.mariadb
def test_refunds_and_retries_of_one_order_at_once_never_deadlock(app, factory):
    """Both lock the member's account before the order row, so neither needs the deadlock
    retry: every request succeeds on its first attempt (retries are switched off here)."""
    store = factory.store(code="SH001")
    key_id, secret = factory.api_key(store)
    member = factory.member()
    body = {"store_code": "SH001", "order_no": "RACE-1", "amount_fen": 10000,
            "member_no": member.member_no}
    db.session.commit()
    assert PosClient(app.test_client(), key_id, secret).post("/pos/orders", body).status_code == 201
    app.config["TX_RETRIES"] = 0
    try:
        def call(i):
            client = PosClient(app.test_client(), key_id, secret)
            if i % 2:
                return client.post("/pos/orders", body)
            return client.post("/pos/orders/RACE-1/refunds", {
                "store_code": "SH001", "refund_no": f"R{i}", "amount_fen": 1000})

        with ThreadPoolExecutor(20) as pool:
            responses = list(pool.map(call, range(20)))
    finally:
        app.config["TX_RETRIES"] = 3
    assert sorted(r.status_code for r in responses) == [200] * 10 + [201] * 10, \
        [r.get_data()[:200] for r in responses if r.status_code >= 400]
    db.session.remove()
    assert db.session.scalar(select(PointsAccount.balance)
                             .where(PointsAccount.member_id == member.id)) == 0
