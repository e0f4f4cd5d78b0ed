"""On MariaDB with real threads: a lottery never awards more than its stock, never lets a member
past a limit, never draws twice for one Idempotency-Key, and no deadlock reaches a caller."""
import uuid
from collections import Counter

import pytest
from sqlalchemy import func, select

from core.db import db
from core.errors import Conflict
from lottery import drawing
from lottery.models import LotteryDraw, LotteryPrize
from points.ledger.models import PointsEntry
from tests.concurrency import race
from tests.lottery.conftest import draw, none_prize, points_prize, product_prize
from tests.lottery.test_drawing import balance, count
from tests.mall.test_mall_concurrency import codes, hammer
from tests.points.ledger_checks import assert_ledger_consistent

pytestmark = [pytest.mark.mariadb, pytest.mark.committing]


def outcomes(results):
    return Counter(type(r).__name__ if isinstance(r, Exception) and not isinstance(r, Conflict)
                   else (r.code if isinstance(r, Conflict) else r.draw.status) for r in results)


def spent(kind="draw"):
    return -int(db.session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0))
                                  .where(PointsEntry.kind == kind)))


def test_300_draws_by_50_members_for_a_stock_of_5_award_exactly_5(app, factory, lottery,
                                                                  product):
    game = lottery([product_prize(product("gift", stock=100), stock=5)], cost_points=10)
    members = [factory.member(points=1000) for _ in range(50)]
    results = race(app, lambda i: drawing.draw(members[i % 50], game.id, f"k-{i:06d}"), 300)
    assert outcomes(results) == Counter({"won": 5, "out_of_stock": 295})
    assert db.session.scalar(select(LotteryPrize.stock_left)
                             .where(LotteryPrize.id == game.prizes[0].id)) == 0
    assert count(LotteryDraw) == 5 and spent() == 5 * 10
    assert sum(1000 - balance(m) for m in members) == 50  # only the winners paid
    assert_ledger_consistent()


def test_once_the_stock_of_5_is_won_the_rest_are_drawn_among_what_is_left(app, factory, lottery):
    game = lottery([points_prize(points=100, weight=1000, stock=5), none_prize(weight=1)],
                   cost_points=10)
    members = [factory.member(points=1000) for _ in range(50)]
    results = race(app, lambda i: drawing.draw(members[i % 50], game.id, f"k-{i:06d}"), 300)
    assert sum(outcomes(results).values()) == 300 and set(outcomes(results)) <= {"won", "lost"}
    won = db.session.scalar(select(func.count()).select_from(LotteryDraw)
                            .where(LotteryDraw.prize_id == game.prizes[0].id))
    assert won <= 5 and won == outcomes(results)["won"]
    assert spent() == 300 * 10 and spent("prize") == -100 * won
    assert_ledger_consistent()


def test_a_daily_limit_of_3_under_20_concurrent_taps_draws_3_times(app, factory, lottery):
    game = lottery(daily_limit=3, cost_points=10)
    me = factory.member(points=1000)
    results = race(app, lambda i: drawing.draw(me, game.id, f"tap-{i:04d}"), 20)
    assert sum(outcomes(results)[s] for s in ("won", "lost")) == 3
    assert outcomes(results)["limit_exceeded"] == 17
    assert count(LotteryDraw, member_id=me.id) == 3
    assert count(PointsEntry, member_id=me.id, kind="draw") == 3
    assert_ledger_consistent()


def test_20_taps_with_one_idempotency_key_draw_once(app, factory, lottery):
    game = lottery(cost_points=10)
    me = factory.member(points=1000)
    key = uuid.uuid4().hex
    results = hammer(app, factory, [(me, lambda c: draw(c, game.id, key=key))] * 20)
    assert set(codes(results)) <= {201, "request_in_progress"}, codes(results)
    assert len({body["id"] for _m, status, body in results if status == 201}) == 1
    assert count(LotteryDraw) == 1 and count(PointsEntry, kind="draw") == 1


def test_draws_and_gift_cancellations_interleaved_keep_stock_true(app, factory, lottery,
                                                                  product):
    from mall import cancellation

    game = lottery([product_prize(product("gift"), stock=6), none_prize(weight=1)])
    members = [factory.member(points=1000) for _ in range(4)]
    first = [r for r in race(app, lambda i: drawing.draw(members[i], game.id, f"a-{i}"), 4)
             if not isinstance(r, Exception) and r.draw.redemption_id]

    def work(i):
        if i < len(first):
            return cancellation.cancel(first[i].draw.redemption_id, by="member")
        return drawing.draw(members[i % 4], game.id, f"b-{i}")

    results = race(app, work, 16)
    leaked = [r for r in results if isinstance(r, Exception) and not isinstance(r, Conflict)]
    assert leaked == []
    held = db.session.scalar(select(func.count()).select_from(LotteryDraw).where(
        LotteryDraw.prize_id == game.prizes[0].id, LotteryDraw.status == "won"))
    left = db.session.scalar(select(LotteryPrize.stock_left)
                             .where(LotteryPrize.id == game.prizes[0].id))
    assert held + left == 6
    assert_ledger_consistent()


def test_a_draw_waiting_for_the_account_reads_what_the_draw_before_it_committed(app, factory,
                                                                              lottery):
    """The counter, stock and budget reads ride on the statement that takes the account lock;
    each is correlated with the account row, so it is evaluated after the wait (an
    uncorrelated one would be evaluated, and the snapshot taken, before it)."""
    import threading
    import time

    from core import clock
    from core.db import run_in_transaction
    from points import ledger

    game = lottery(cost_points=10)
    me = factory.member(points=100)
    holding, seen = threading.Event(), {}

    def first():
        with app.app_context():
            def work():
                drawing.draw(me, game.id, "first-draw")
                holding.set()
                time.sleep(0.5)  # the second waits for the account meanwhile
            run_in_transaction(work)

    def second():
        holding.wait(10)
        with app.app_context():
            seen.update(run_in_transaction(lambda: ledger.hold_account(
                me.id, clock.now(), reads=drawing.HOLD_READS,
                params={"lottery_id": game.id}).reads))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert seen["count_total"] == 1 and seen["count_today"] == 1
