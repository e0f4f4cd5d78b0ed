"""The dashboard's demo history: written as the ledger writes (the reconciliation finds
nothing), the rollup built from it equals the ledger's sums, and writing it again adds nothing."""
from datetime import timedelta

from sqlalchemy import func, select

from core import clock
from core.db import db
from analytics.dashboard import demo_history, figures, rollup, sources
from mall import catalog
from mall.models import Redemption
from members.models import Member
from points.ledger import kinds, reconcile
from points.ledger.models import PointsEntry
from tasks import service as tasks_service
from tasks.demo import DEMO_TASKS
from tasks.models import CheckIn


def test_the_history_reconciles_and_the_rollup_equals_the_ledger(factory):
    stores = [factory.store("HA").id, factory.store("HB").id]
    for task in DEMO_TASKS[:2]:  # the check-in and the referral task
        tasks_service.save_task(dict(task))
    catalog.create_product({"title": "品牌帆布袋", "kind": "gift", "points_price": 300,
                            "stock": 200})
    assert demo_history.seed_history(stores, members=150, days=60) == 150
    db.session.flush()
    assert demo_history.seed_history(stores, members=150, days=60) == 0  # once
    _checked, problems, _cursor = reconcile.check_chunk(0, 10_000)
    assert problems == []
    counts = {kind: n for kind, n in db.session.execute(
        select(PointsEntry.kind, func.count()).group_by(PointsEntry.kind))}
    assert counts.get("earn", 0) > 150 and counts.get("spend", 0) > 0
    assert db.session.scalar(select(func.count()).select_from(Member)) >= 150
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) > 0
    assert db.session.scalar(select(func.count()).select_from(Redemption)) == counts["spend"]

    today = clock.business_date()
    first = sources.first_day()
    day = first
    while day < today:
        rollup.build_day(day)
        day += timedelta(days=1)
    report = figures.dashboard(first, today)
    issued = db.session.scalar(select(func.sum(PointsEntry.delta)).where(
        PointsEntry.kind.in_((*kinds.EARNING, *kinds.UNEARNED_CREDITS)), PointsEntry.delta > 0))
    spent = db.session.scalar(select(func.sum(PointsEntry.delta)).where(
        PointsEntry.kind.in_(kinds.SPENDING)))
    assert report["totals"]["points_issued"] == issued
    assert report["totals"]["points_spent"] == -spent
    assert report["missing_days"] == []
    assert report["totals"]["member_order_share"] is not None
