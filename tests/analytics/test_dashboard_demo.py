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


def test_members_the_history_gives_a_tier_have_the_changes_that_raised_them(factory):
    from points.programme import tiers
    from points.programme.demo import DEMO_TIERS
    from points.programme.models import TierChange

    for code, name, threshold, percent in DEMO_TIERS:
        tiers.create_tier(code, name, threshold, percent)
    stores = [factory.store("HA").id]
    demo_history.seed_history(stores, members=150, days=120)
    db.session.flush()
    held = dict(db.session.execute(select(Member.id, Member.tier_code)
                                   .where(Member.invite_code.like("DH%"))).all())
    history: dict[int, list] = {}
    for change in db.session.scalars(select(TierChange).order_by(TierChange.id)):
        history.setdefault(change.member_id, []).append(change)
    assert {m for m, code in held.items() if code} == set(history)
    assert "silver" in held.values()
    for member_id, changes in history.items():
        codes = [None] + [c.to_code for c in changes]
        assert [c.from_code for c in changes] == codes[:-1]  # each from the one before
        assert codes[-1] == held[member_id]
        assert all(c.reason == "earned" for c in changes)
        assert [c.created_at for c in changes] == sorted(c.created_at for c in changes)
        assert changes[-1].created_at <= clock.now()
