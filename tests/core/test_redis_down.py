"""Redis stopped under load: requests that need it answer 503 `unavailable` within 2 s and
write nothing half (no credit without its order, no stock without its redemption); when Redis
comes back (empty), the service recovers by itself — the nonces, the stock gate (rebuilt from
the database) and the configuration cache — with no restart."""
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from core.db import db
from core.redis import connect, get_store
from mall import catalog
from mall.models import Product, Redemption
from points.earning.models import Order
from points.ledger.models import PointsEntry
from tests.faults import REDIS_SERVER, OwnRedis, need
from tests.helpers import ApiClient
from tests.points.ledger_checks import assert_ledger_consistent

pytestmark = [pytest.mark.committing, pytest.mark.faults]


@pytest.fixture
def own_redis(app, tmp_path, monkeypatch):
    need(REDIS_SERVER, "redis-server")
    server = OwnRedis(tmp_path).start()
    monkeypatch.setattr(get_store(), "client", connect(server.url, app.config["REDIS_TIMEOUT"]))
    yield server
    server.stop()


@pytest.fixture
def shop(app, factory, pos_client):
    store = factory.store()
    gift = catalog.create_product({"title": "Mug", "kind": "gift", "points_price": 10,
                                   "stock": 100})
    db.session.commit()
    member = factory.member(points=5000)
    me = ApiClient(app.test_client(), token=factory.member_token(member), member=member)
    return {"store": store, "pos": pos_client(store), "me": me, "gift_id": gift.id,
            "member_no": member.member_no}


def order(shop):
    return lambda: shop["pos"].post("/pos/orders", {
        "store_code": shop["store"].code, "order_no": uuid.uuid4().hex[:20], "amount_fen": 1000,
        "member_no": shop["member_no"]})


def redemption(shop):
    return lambda: shop["me"].post("/mall/redemptions", {"product_id": shop["gift_id"]},
                                   headers={"Idempotency-Key": uuid.uuid4().hex})


def member_code(shop):
    return lambda: shop["me"].get("/me/member-code")


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_redis_stopped_under_load_is_503_within_2s_and_nothing_half_written(own_redis, shop):
    calls = [order(shop), redemption(shop), member_code(shop)]
    assert [call().status_code for call in calls] == [201, 201, 200]  # warm: keys, gate, codes
    with ThreadPoolExecutor(4) as pool:
        during = pool.submit(lambda: [timed(calls[n % 3]) for n in range(30)])
        time.sleep(0.05)
        own_redis.stop()
        answered = during.result() + [timed(calls[n % 3]) for n in range(30)]
    down = [(r, s) for r, s in answered if r.status_code == 503]
    assert len(down) >= 30  # at least every request made once it was stopped
    for response, seconds in answered:
        assert response.status_code in (200, 201, 503), response.get_data(as_text=True)
        assert seconds < 2.0
    for response, _ in down:
        assert response.get_json()["error"]["code"] == "unavailable"
    assert_nothing_half_written(shop)


def test_the_service_recovers_by_itself_when_redis_returns(own_redis, shop):
    calls = [order(shop), redemption(shop), member_code(shop)]
    assert [call().status_code for call in calls] == [201, 201, 200]
    own_redis.stop()
    assert [call().status_code for call in calls] == [503, 503, 503]
    own_redis.start()  # the same port, empty: no nonces, no stock gate, no cache generation
    assert [call().status_code for call in calls] == [201, 201, 200]
    db.session.remove()
    left = db.session.get(Product, shop["gift_id"]).stock_left
    assert left == 98  # the gate was rebuilt from the database, not from zero
    assert_nothing_half_written(shop)


def assert_nothing_half_written(shop):
    db.session.remove()
    orders = db.session.scalar(select(func.count()).select_from(Order))
    credits = db.session.scalar(select(func.count()).select_from(PointsEntry)
                                .where(PointsEntry.kind == "earn"))
    assert orders == credits - 1  # the member's starting points were one credit
    gift = db.session.get(Product, shop["gift_id"])
    redeemed = db.session.scalar(select(func.coalesce(func.sum(Redemption.quantity), 0))
                                 .where(Redemption.product_id == gift.id))
    spent = db.session.scalar(select(func.count()).select_from(PointsEntry)
                              .where(PointsEntry.kind == "spend"))
    assert gift.stock_total - gift.stock_left == redeemed == spent
    assert_ledger_consistent()
