"""On MariaDB with real threads: the mall never oversells, never pays points back twice, never
hands a gift over twice, and no deadlock reaches a caller."""
import threading
import uuid
from collections import Counter

import pytest
from sqlalchemy import func, select

from core.db import db
from core.errors import Conflict
from mall import cancellation, fulfilment, service, stock_gate
from mall.models import Coupon, MemberProductCount, Product, Redemption
from points.ledger.models import PointsEntry
from points.ledger import InsufficientPoints
from tests.concurrency import race
from tests.helpers import ApiClient
from tests.mall.conftest import redeem
from tests.mall.test_redemption import balance, stock_left
from tests.mall.test_stock_gate import gate
from tests.points.ledger_checks import assert_ledger_consistent

pytestmark = [pytest.mark.mariadb, pytest.mark.committing]


def hammer(app, factory, calls):
    """Run each `(member, call)` in its own thread with its own test client, all at once;
    `call(client)` returns a response. Returns [(member, status, body)] in order."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)
    clients = [ApiClient(app.test_client(), token=factory.member_token(m)) for m, _ in calls]

    def run(i):
        barrier.wait()
        response = calls[i][1](clients[i])
        results[i] = (calls[i][0], response.status_code, response.get_json())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def codes(results):
    return Counter(body["error"]["code"] if status >= 400 else status
                   for _m, status, body in results)


def count(model, **filters):
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**filters))


def spent():
    return -int(db.session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0))
                                  .where(PointsEntry.kind == "spend")))


def test_200_requests_from_40_members_for_20_units_sell_exactly_20(app, factory, product):
    gift = product(stock=20, points_price=100)
    members = [factory.member(points=1000) for _ in range(40)]
    calls, keys = [], []
    for m in members:  # five taps each: two double taps and a single one
        mine = [uuid.uuid4().hex for _ in range(3)]
        for key in (mine[0], mine[0], mine[1], mine[1], mine[2]):
            calls.append((m, lambda c, k=key: redeem(c, gift.id, key=k)))
            keys.append(key)
    results = hammer(app, factory, calls)
    assert set(codes(results)) <= {201, "out_of_stock", "request_in_progress"}, codes(results)
    by_key = {}
    for key, (_m, status, body) in zip(keys, results):
        if status == 201:
            by_key.setdefault(key, set()).add(body["id"])
    assert all(len(ids) == 1 for ids in by_key.values())  # a double tap replays, never re-buys
    sold = {body["id"] for _m, status, body in results if status == 201}
    assert len(sold) == 20 == len(by_key) and count(Redemption) == 20
    assert stock_left(gift) == 0 and gate(gift) == 0
    assert sum(1000 - balance(m) for m in members) == 20 * 100 == spent()
    assert_ledger_consistent()


def test_64_claims_of_a_one_unit_coupon_issue_one(app, factory, product):
    offer = product("coupon", stock=1, points_price=10)
    members = [factory.member(points=100) for _ in range(64)]
    results = hammer(app, factory, [(m, lambda c: redeem(c, offer.id)) for m in members])
    assert codes(results) == Counter({201: 1, "out_of_stock": 63})
    assert count(Coupon) == 1 and count(Redemption) == 1 and stock_left(offer) == 0
    assert sum(100 - balance(m) for m in members) == 10


def test_ten_redemptions_on_a_balance_for_one_one_succeeds(app, factory, product):
    gift = product(stock=100, points_price=100)
    me = factory.member(points=150)
    results = race(app, lambda i: service.redeem(me, gift.id, 1), 10)
    assert len([r for r in results if isinstance(r, Redemption)]) == 1
    assert len([r for r in results if isinstance(r, InsufficientPoints)]) == 9
    assert balance(me) == 50 and stock_left(gift) == 99 and gate(gift) == 99
    assert_ledger_consistent()


def test_the_per_member_limit_holds_under_concurrency(app, factory, product):
    gift = product(stock=100, per_member_limit=2)
    members = [factory.member(points=10_000) for _ in range(3)]
    calls = [(m, lambda c: redeem(c, gift.id)) for m in members for _ in range(8)]
    results = hammer(app, factory, calls)
    assert codes(results) == Counter({201: 6, "limit_exceeded": 18})
    for m in members:
        assert balance(m) == 10_000 - 200
        assert db.session.get(MemberProductCount, (gift.id, m.id)).units == 2
    assert stock_left(gift) == 94


def test_ten_cancels_return_the_points_once(app, factory, product):
    gift = product(stock=5, points_price=300)
    me = factory.member(points=1000)
    rid = race(app, lambda i: service.redeem(me, gift.id, 2).id, 1)[0]
    assert balance(me) == 400
    results = race(app, lambda i: cancellation.cancel(rid, by="member", member_id=me.id), 10)
    assert len([r for r in results if isinstance(r, Redemption)]) == 1
    assert all(isinstance(r, Conflict) and r.code == "invalid_state"
               for r in results if not isinstance(r, Redemption))
    assert balance(me) == 1000 and stock_left(gift) == 5 and gate(gift) == 5
    assert count(PointsEntry, kind="reverse") == 1
    assert_ledger_consistent()


def test_ten_pickup_verifications_hand_over_once(app, factory, product):
    store, admin = factory.store(), factory.staff("hq_admin")
    me = factory.member(points=1000)
    code = race(app, lambda i: service.redeem(me, product().id, 1).pickup_code, 1)[0]
    results = race(app, lambda i: fulfilment.verify_pickup(code, store.code, admin), 10)
    assert len([r for r in results if isinstance(r, Redemption)]) == 1
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, Redemption))


def test_cancel_and_pickup_racing_on_one_gift_one_wins(app, factory, product):
    gift = product(stock=5, points_price=100)
    store, admin = factory.store(), factory.staff("hq_admin")
    me = factory.member(points=100)
    made = race(app, lambda i: service.redeem(me, gift.id, 1), 1)[0]

    def work(i):
        if i % 2:
            return fulfilment.verify_pickup(made.pickup_code, store.code, admin)
        return cancellation.cancel(made.id, by="member", member_id=me.id)

    results = race(app, work, 10)
    winners = [r for r in results if isinstance(r, Redemption)]
    assert len(winners) == 1
    status = db.session.scalar(select(Redemption.status).where(Redemption.id == made.id))
    assert (balance(me), stock_left(gift)) == ((100, 5) if status == "cancelled" else (0, 4))


def test_ten_write_offs_of_one_coupon_use_it_once(app, factory, product):
    store, admin = factory.store(), factory.staff("hq_admin")
    me = factory.member(points=1000)
    made = race(app, lambda i: service.redeem(me, product("coupon").id, 1), 1)[0]
    code = made.coupons[0].code
    results = race(app, lambda i: fulfilment.use_coupon(code, store.code, admin, 6000), 10)
    assert len([r for r in results if isinstance(r, Coupon)]) == 1


def test_a_gate_that_says_5_while_the_database_says_0_never_oversells(app, factory, product):
    gift = product(stock=0)
    stock_gate.set_stock(gift.id, 5)
    members = [factory.member(points=1000) for _ in range(20)]
    results = hammer(app, factory, [(m, lambda c: redeem(c, gift.id)) for m in members])
    assert codes(results) == Counter({"out_of_stock": 20})
    assert count(Redemption) == 0 and stock_left(gift) == 0 and gate(gift) in (0, None)
    assert all(balance(m) == 1000 for m in members)


def test_redemptions_and_cancellations_interleaved_keep_stock_and_points_true(app, factory,
                                                                             product):
    products = [product(stock=15, points_price=50, per_member_limit=4) for _ in range(2)]
    members = [factory.member(points=1000) for _ in range(4)]
    made = race(app, lambda i: service.redeem(members[i % 4], products[i % 2].id, 1), 8)
    made = [r for r in made if isinstance(r, Redemption)]
    assert len(made) == 8

    def work(i):
        if i < len(made):
            return cancellation.cancel(made[i].id, by="member")
        return service.redeem(members[i % 4], products[i % 2].id, 1 + i % 2)

    results = race(app, work, 24)
    leaked = [r for r in results if isinstance(r, Exception) and not isinstance(r, Conflict)]
    assert leaked == []  # no deadlock or lock-wait timeout reaches a caller
    for p in products:
        held = db.session.scalar(select(func.coalesce(func.sum(Redemption.quantity), 0)).where(
            Redemption.product_id == p.id, Redemption.status.in_(("pending", "fulfilled"))))
        assert stock_left(p) == 15 - held
        counted = db.session.scalar(select(func.coalesce(func.sum(MemberProductCount.units), 0))
                                    .where(MemberProductCount.product_id == p.id))
        assert counted == held
    assert_ledger_consistent()
    assert db.session.scalar(select(func.count()).select_from(Product)) == 2
