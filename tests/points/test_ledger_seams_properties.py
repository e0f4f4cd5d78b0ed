"""A hypothesis state machine over the till and its seams: orders (by member number, by phone,
by a merged customer's number), points as cash, partial and full refunds, till customers
merged into WeChat members, expiry sweeps, tier reviews and threshold changes, with the clock
moving — and the whole reconciliation (each account, and across accounts) after every step."""
import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from hypothesis.stateful import run_state_machine_as_test
from sqlalchemy import select

from core import clock
from core.db import db
from core.errors import Conflict
from members import service as members_service
from members.lookup import member_with_phone
from members.models import ORIGIN_STORE, STATUS_MERGED, Member
from points.earning import deductions, orders
from points.ledger import reconcile, sweep
from points.programme import tiers
from points.programme.settings import update_settings

EXAMPLES = int(os.environ.get("TILL_MACHINE_EXAMPLES") or (200 if os.environ.get("CI") else 60))
START = datetime(2026, 1, 1, 4, tzinfo=timezone.utc)


class TillMachine(RuleBasedStateMachine):
    factory = None  # set by the test

    def __init__(self):
        super().__init__()
        clock.set(START)
        self.run = uuid.uuid4().hex[:8]  # order numbers must not repeat across examples
        self.store = self.factory.store(code=f"S{self.run}")
        self.members = [self.factory.member(), self.factory.member()]
        self.first_id = self.members[0].id
        self.phones = [f"139{self.run_digits()}{k}" for k in range(3)]
        self.orders = []  # order numbers recorded
        self.n = 0

    def run_digits(self):
        return str(int(self.run, 16) % 10**7).zfill(7)

    def next_no(self, what):
        self.n += 1
        return f"{what}-{self.run}-{self.n}"

    def payer(self, who, k, i):
        if who == "phone":
            return {"phone": self.phones[k]}
        if who == "customer":
            customer = db.session.scalars(select(Member).where(
                Member.registered_store_id == self.store.id).order_by(Member.id)).all()
            return {"member_no": customer[k % len(customer)].member_no} if customer else None
        return {"member_no": self.members[i].member_no}

    @rule(who=st.sampled_from(["phone", "member", "customer"]), k=st.integers(0, 2),
          i=st.integers(0, 1), yuan=st.integers(1, 400))
    def order(self, who, k, i, yuan):
        payer = self.payer(who, k, i)
        if payer is None:
            return
        order_no = self.next_no("O")
        orders.record_order(self.store, {"store_code": self.store.code, "order_no": order_no,
                                         "amount_fen": yuan * 100, **payer}, source="pos")
        self.orders.append(order_no)

    @rule(who=st.sampled_from(["member", "customer"]), k=st.integers(0, 2), i=st.integers(0, 1),
          yuan=st.integers(5, 400), hundreds=st.integers(1, 8))
    def deduct(self, who, k, i, yuan, hundreds):
        payer = self.payer(who, k, i)
        if payer is None:
            return
        order_no = self.next_no("D")
        try:
            deductions.deduct(self.store, {"store_code": self.store.code, "order_no": order_no,
                                           "amount_fen": yuan * 100, "points": hundreds * 100,
                                           **payer})
        except Conflict as exc:  # over the cap, or too few points: nothing written
            assert exc.code in ("limit_exceeded", "insufficient_points")
            return
        orders.record_order(self.store, {"store_code": self.store.code, "order_no": order_no,
                                         "amount_fen": yuan * 100, **payer}, source="pos")
        self.orders.append(order_no)

    @precondition(lambda self: self.orders)
    @rule(pick=st.integers(0, 10_000), percent=st.sampled_from([10, 33, 50, 100]))
    def refund(self, pick, percent):
        order_no = self.orders[pick % len(self.orders)]
        order = orders.existing_order(self.store.id, order_no)
        amount = max(order.amount_fen * percent // 100, 1)
        try:
            orders.refund(self.store, order_no, self.next_no("RF"), amount)
        except Conflict as exc:
            assert exc.code == "invalid_state"  # more than is left of the order

    @rule(k=st.integers(0, 2), i=st.integers(0, 1))
    def bind_phone(self, k, i):
        """A member binds the phone a till customer was registered with: the customer merges in."""
        member = db.session.get(Member, self.members[i].id)
        holder = member_with_phone(self.phones[k])
        if member.phone is not None or holder is None or holder.origin != ORIGIN_STORE:
            return  # only a till customer merges; another member's phone is phone_taken
        phone = holder.phone
        members_service.merge_customer(holder, member, phone)
        member.phone = phone
        db.session.flush()

    @rule()
    def sweep(self):
        cursor = None
        while True:
            _n, cursor = sweep.expire_chunk(clock.now(), cursor, limit=5)
            if cursor is None:
                break

    @rule()
    def review_tiers(self):
        cursor = self.first_id - 1
        while cursor is not None:
            _n, cursor = tiers.review_chunk(clock.now(), cursor, 50)

    @rule(threshold=st.integers(100, 1500))
    def silver_threshold(self, threshold):
        """A marketer moves silver's threshold; a lower one raises members at once (the job the
        change enqueues, run here)."""
        tiers.update_tier("silver", {"threshold_points": threshold})
        cursor = self.first_id - 1
        while cursor is not None:
            _n, cursor = tiers.review_chunk(clock.now(), cursor, 50, raise_only=True)

    @rule(days=st.integers(0, 45))
    def time_passes(self, days):
        clock.advance(timedelta(days=days))

    @invariant()
    def the_ledger_reconciles(self):
        _n, problems, _cursor = reconcile.check_chunk(self.first_id - 1, 1000)
        assert problems == []

    @invariant()
    def merged_customers_hold_nothing_and_keep_no_tier(self):
        merged = db.session.scalars(select(Member).where(
            Member.id >= self.first_id, Member.status == STATUS_MERGED)).all()
        assert all(m.tier_code is None for m in merged)

    def teardown(self):
        clock.set(None)


@pytest.mark.timeout(1500)  # 200 examples in CI: several minutes on a shared 2-core machine
def test_the_till_and_its_seams_keep_every_point_accounted_for(factory):
    update_settings({"expiry": {"mode": "fixed_days", "days": 30},
                     "deduction": {"points_per_yuan": 100, "max_ratio_percent": 20}})
    tiers.create_tier("silver", "银卡", 300, 150)
    tiers.create_tier("gold", "金卡", 2000, 200)
    TillMachine.factory = factory
    run_state_machine_as_test(TillMachine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=20, deadline=None, database=None,
        suppress_health_check=list(HealthCheck)))
