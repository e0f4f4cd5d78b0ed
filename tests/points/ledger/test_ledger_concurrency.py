"""On MariaDB with real threads: no lost update, no double credit, no deadlock reaching a caller."""
import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import clock
from core.db import db
from points import ledger
from points.ledger import sweep
from points.ledger.models import PointsAccount, PointsEntry
from tests.concurrency import race
from tests.points.ledger_checks import assert_ledger_consistent

pytestmark = [pytest.mark.mariadb, pytest.mark.committing]


def test_twenty_debits_of_ten_against_fifty_exactly_five_succeed(app, factory):
    m = factory.member(points=50)
    results = race(app, lambda i: ledger.debit(m.id, 10, kind="spend", key=f"d:{m.id}:{i}"), 20)
    succeeded = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, ledger.InsufficientPoints)]
    assert len(succeeded) == 5 and len(refused) == 15
    assert db.session.get(PointsAccount, m.id).balance == 0
    assert_ledger_consistent()


def test_same_key_from_ten_threads_makes_one_entry(app, factory):
    m = factory.member()
    results = race(app, lambda i: ledger.credit(m.id, 30, kind="earn", key=f"order:{m.id}"), 10)
    assert not [r for r in results if isinstance(r, Exception)]
    assert len({r.id for r in results}) == 1
    count = db.session.scalar(select(func.count()).select_from(PointsEntry)
                              .where(PointsEntry.member_id == m.id))
    assert count == 1 and db.session.get(PointsAccount, m.id).balance == 30


def test_credit_debit_expire_and_merge_interleaved_keep_the_invariants(app, factory):
    members = [factory.member(points=200) for _ in range(3)]
    for m in members:
        factory.credit(m, 100, expires_at=clock.now() - timedelta(seconds=1))
    rng = random.Random(7)
    plan = [(rng.choice(["credit", "debit", "expire", "clawback"]), rng.choice(members))
            for _ in range(24)]

    def work(i):
        op, m = plan[i]
        if op == "credit":
            return ledger.credit(m.id, 15, kind="earn", key=f"c:{m.id}:{i}")
        if op == "debit":
            return ledger.debit(m.id, 20, kind="spend", key=f"s:{m.id}:{i}")
        if op == "clawback":
            return ledger.clawback(m.id, 25, key=f"k:{m.id}:{i}")
        return sweep.expire_chunk(clock.now(), None, limit=2)

    results = race(app, work, len(plan))
    leaked = [r for r in results if isinstance(r, Exception)
              and not isinstance(r, ledger.InsufficientPoints)]
    assert leaked == []  # no deadlock or lock-wait error reaches a caller
    assert_ledger_consistent()
