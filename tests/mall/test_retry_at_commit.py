"""A redemption refused at its COMMIT (1213: on Galera, a certification conflict) is run again
whole: the first attempt's stock-gate unit goes back to Redis, so one gift takes one unit."""
import pytest
from sqlalchemy import func, select

from core.db import db
from mall.models import Redemption
from tests.concurrency import first_commits_refused
from tests.helpers import ApiClient
from tests.mall.conftest import redeem
from tests.mall.test_redemption import balance, stock_left
from tests.mall.test_stock_gate import gate

pytestmark = pytest.mark.committing


def test_a_redemption_refused_at_commit_takes_one_unit_of_the_gate_not_two(app, factory,
                                                                           product):
    gift = product(stock=5, points_price=100)
    member = factory.member(points=1000)
    db.session.commit()
    client = ApiClient(app.test_client(), token=factory.member_token(member))
    with first_commits_refused(1) as refused:
        response = redeem(client, gift.id)
    assert len(refused) == 1 and response.status_code == 201, response.get_json()
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Redemption)) == 1
    assert stock_left(gift) == 4 and gate(gift) == 4  # the first attempt's unit came back
    assert balance(member) == 900
