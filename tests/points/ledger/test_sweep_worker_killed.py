"""An RQ worker SIGKILLed in the middle of the expiry sweep (some chunks committed, one in
flight) and the sweep run again: every due lot expires exactly once, the ledger reconciles.
The test holds one member's account row locked, so the sweep is surely mid-way (waiting at
that member's chunk) when it is killed."""
from collections import Counter

import pytest
from sqlalchemy import func, select

from core import clock
from core.db import db
from core.worker import enqueue
from points.ledger.models import PointsAccount, PointsAllocation, PointsEntry, PointsLot
from tests.points.ledger_checks import assert_ledger_consistent
from tests.reminder_fixtures import EXPIRY_DAY, reminder_clock
from tests.worker_process import kill_hard, run_burst, start_worker, wait_until

pytestmark = [pytest.mark.committing, pytest.mark.mariadb, pytest.mark.faults]
LOTS = 300
_ = reminder_clock  # a fixture


def expired_lots():
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(PointsLot)
                             .where(PointsLot.expires_at.is_not(None), PointsLot.remaining == 0))


def test_a_worker_killed_mid_sweep_and_rerun_expires_each_lot_once(app, factory, reminder_clock):
    due = clock.end_of_business_day(EXPIRY_DAY)  # a week after the (test's) clock
    members = [factory.member() for _ in range(LOTS // 3)]
    for member in members:
        for points in (5, 7, 11):
            factory.credit(member, points, expires_at=due)
        factory.credit(member, 3, expires_at=None)
    middle = members[len(members) // 2]

    with db.engine.connect() as holder, holder.begin():  # the sweep waits at `middle`
        holder.execute(select(PointsAccount).where(PointsAccount.member_id == middle.id)
                       .with_for_update())
        enqueue("points.ledger.jobs:expiry_sweep", EXPIRY_DAY.isoformat(), chunk=2)
        worker = start_worker(app, "--burst")
        wait_until(lambda: expired_lots() >= LOTS // 2 - 3, timeout=60)
        kill_hard(worker)
    first_run = expired_lots()
    assert LOTS // 2 - 3 <= first_run < LOTS  # killed mid-sweep, its chunk in flight undone

    enqueue("points.ledger.jobs:expiry_sweep", EXPIRY_DAY.isoformat(), chunk=50)
    run_burst(app)

    db.session.remove()
    per_lot = Counter(db.session.scalars(
        select(PointsAllocation.lot_id).join(PointsEntry, PointsEntry.id == PointsAllocation.entry_id)
        .where(PointsEntry.kind == "expire")))
    assert len(per_lot) == LOTS and set(per_lot.values()) == {1}
    assert db.session.scalar(select(func.sum(PointsLot.remaining))) == 3 * len(members)
    assert_ledger_consistent()
