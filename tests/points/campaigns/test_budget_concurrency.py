"""A store's budget under concurrency, on MariaDB: 50 orders at once at a store whose budget
has room for 10 bonuses → exactly 10 bonuses; every order still earns its base points."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from core import clock
from core.db import db
from points.campaigns import budget
from points.ledger.models import PointsLot
from tests.helpers import PosClient
from tests.points.campaigns.helpers import store_budget, store_campaign


@pytest.mark.committing
@pytest.mark.mariadb
def test_fifty_orders_at_once_with_room_for_ten_bonuses_get_exactly_ten(app, factory):
    store = factory.store(code="SH001")
    key_id, secret = factory.api_key(store)
    store_budget(300)
    store_campaign(store, bonus_points=30)
    members = [factory.member() for _ in range(50)]

    def post(i):
        return PosClient(app.test_client(), key_id, secret).post("/pos/orders", {
            "store_code": "SH001", "order_no": f"C-{i}", "amount_fen": 5000,
            "member_no": members[i].member_no})

    with ThreadPoolExecutor(25) as pool:
        responses = list(pool.map(post, range(50)))
    assert [r.status_code for r in responses] == [201] * 50, [r.get_json() for r in responses
                                                               if r.status_code != 201][:3]
    earned = sorted(r.get_json()["points_earned"] for r in responses)
    assert earned == [50] * 40 + [80] * 10
    db.session.remove()
    assert budget.spent(budget.month_of(clock.now()))[store.id] == 300
    store_lots = db.session.scalar(select(func.count()).select_from(PointsLot)
                                   .where(PointsLot.funder_store_id == store.id))
    assert store_lots == 10
