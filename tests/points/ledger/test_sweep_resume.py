"""The expiry sweep killed mid-way (an exception injected after k committed chunks) and rerun:
every due lot expires exactly once and the ledger stays consistent."""
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from core import clock
from core.db import db
from points.ledger import sweep
from points.ledger.jobs import expire_due_lots as run_expiry_sweep
from points.ledger.models import PointsAllocation, PointsEntry, PointsLot
from tests.points.ledger_checks import assert_ledger_consistent

SH = timezone(timedelta(hours=8))
pytestmark = pytest.mark.committing


class Killed(Exception):
    pass


@pytest.mark.parametrize("k", [0, 1, 3, 8])
def test_a_sweep_killed_after_k_chunks_and_rerun_expires_each_lot_once(factory, monkeypatch, k):
    clock.set(datetime(2026, 1, 1, 12, tzinfo=SH))
    due_at, later = datetime(2026, 1, 31, 23, 59, tzinfo=SH), datetime(2026, 6, 1, tzinfo=SH)
    members = [factory.member() for _ in range(30)]
    for i, member in enumerate(members):
        factory.credit(member, 10 + i, expires_at=due_at)
        factory.credit(member, 5, expires_at=due_at + timedelta(minutes=i))
        factory.credit(member, 7, expires_at=later)
    clock.set(datetime(2026, 2, 1, 1, tzinfo=SH))

    real, calls = sweep.expire_chunk, Counter()

    def dies_in_chunk_k_plus_1(*args, **kwargs):
        calls["n"] += 1
        result = real(*args, **kwargs)
        if calls["n"] == k + 1:
            raise Killed()  # after its writes, before its commit: this chunk is rolled back
        return result

    monkeypatch.setattr(sweep, "expire_chunk", dies_in_chunk_k_plus_1)
    with pytest.raises(Killed):
        run_expiry_sweep(clock.now(), chunk=7)
    monkeypatch.setattr(sweep, "expire_chunk", real)
    assert run_expiry_sweep(clock.now(), chunk=7) == 60 - 7 * k

    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(PointsLot).where(
        PointsLot.expires_at <= clock.now(), PointsLot.remaining > 0)) == 0
    expired_per_lot = Counter(db.session.scalars(
        select(PointsAllocation.lot_id).join(PointsEntry, PointsEntry.id == PointsAllocation.entry_id)
        .where(PointsEntry.kind == "expire")))
    assert len(expired_per_lot) == 60 and set(expired_per_lot.values()) == {1}
    expired = -db.session.scalar(select(func.sum(PointsEntry.delta)).where(
        PointsEntry.kind == "expire"))
    assert expired == sum(10 + i for i in range(30)) + 30 * 5
    assert db.session.scalar(select(func.sum(PointsLot.remaining))) == 30 * 7
    assert_ledger_consistent()
