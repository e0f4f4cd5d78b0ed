"""A hypothesis state machine over draws, cancellations of prize gifts, prize stock changes and
time passing: after every step no prize has been awarded beyond its stock, every member's
draws stay within their limits, and the ledger reconciles."""
import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from core import clock
from core.db import db
from core.errors import Conflict
from lottery import catalog, drawing
from lottery.models import WON, LotteryDraw, LotteryMemberCount, LotteryPrize
from mall import cancellation
from points.ledger import reconcile
from points.ledger.models import PointsEntry
from tests.lottery.conftest import none_prize, points_prize, product_prize

EXAMPLES = 25  # each step is a real draw on the database: bounded to seconds


class LotteryMachine(RuleBasedStateMachine):
    make_lottery = make_product = factory = None  # set by the test

    def __init__(self):
        super().__init__()
        bag, offer = self.make_product("gift"), self.make_product("coupon")
        self.game = self.make_lottery(
            [product_prize(bag, weight=3, stock=2), product_prize(offer, weight=2, stock=3),
             points_prize(points=15, weight=2, stock=4), none_prize(weight=2)],
            cost_points=10, daily_limit=4, total_limit=9)
        self.members = [self.factory.member(points=60), self.factory.member(points=200)]
        self.gifts = []  # redemption ids of prize gifts
        self.run = uuid.uuid4().hex  # keys must not repeat across examples (one transaction)

    def attempt(self, action):
        """As a request would: all of it, or (on a refusal) none of it."""
        try:
            with db.session.begin_nested():
                return action()
        except Conflict:
            return None

    @rule(i=st.integers(0, 1))
    def draw(self, i):
        drawn = self.attempt(lambda: drawing.draw(self.members[i], self.game.id,
                                                  f"{self.run}-{uuid.uuid4().hex[:8]}"))
        if drawn and drawn.draw.prize_kind == "gift":
            self.gifts.append(drawn.draw.redemption_id)

    @rule(pick=st.integers(0, 100))
    def cancel_gift(self, pick):
        if not self.gifts:  # what was won depends on the draw ids: no precondition on it
            return
        redemption_id = self.gifts[pick % len(self.gifts)]
        self.attempt(lambda: cancellation.cancel(redemption_id, by="member"))

    @rule(line=st.integers(0, 2), delta=st.integers(-3, 3).filter(bool))
    def change_stock(self, line, delta):
        prize = self.game.prizes[line]
        self.attempt(lambda: catalog.adjust_prize_stock(self.game.id, prize.id, delta, "test"))

    @rule(hours=st.integers(1, 30))
    def time_passes(self, hours):
        clock.advance(timedelta(hours=hours))

    @invariant()
    def no_prize_is_awarded_beyond_its_stock(self):
        for prize in db.session.scalars(select(LotteryPrize).where(
                LotteryPrize.lottery_id == self.game.id, LotteryPrize.stock_total.is_not(None))
                .execution_options(populate_existing=True)):
            held = db.session.scalar(select(func.count()).select_from(LotteryDraw).where(
                LotteryDraw.prize_id == prize.id, LotteryDraw.status == WON))
            assert 0 <= prize.stock_left and held + prize.stock_left == prize.stock_total

    @invariant()
    def draws_keep_to_the_limits_and_the_ledger_reconciles(self):
        for member in self.members:
            made = db.session.scalar(select(func.count()).select_from(LotteryDraw)
                                     .where(LotteryDraw.member_id == member.id))
            counted = db.session.scalar(select(LotteryMemberCount.total).filter_by(
                lottery_id=self.game.id, member_id=member.id)) or 0
            paid = -db.session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0))
                                      .where(PointsEntry.member_id == member.id,
                                             PointsEntry.kind == "draw"))
            assert made == counted <= 9 and paid == 10 * made
        first = min(m.id for m in self.members)
        _n, problems, _cursor = reconcile.check_chunk(first - 1, len(self.members))
        assert problems == []

    def teardown(self):
        clock.set(None)


@pytest.mark.timeout(600)
def test_prizes_stock_and_ledger_hold_under_random_draws_cancels_and_stock_changes(
        factory, lottery, product):
    LotteryMachine.factory, LotteryMachine.make_lottery = factory, staticmethod(lottery)
    LotteryMachine.make_product = staticmethod(lambda kind: product(kind, stock=100))
    run_state_machine_as_test(LotteryMachine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=12, deadline=None, database=None,
        suppress_health_check=list(HealthCheck)))
