"""The operator's commands, run as an operator would (flask CLI runner, real commits)."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from core import clock
from core.db import db
from points.ledger.models import PointsAccount

SH = timezone(timedelta(hours=8))
pytestmark = pytest.mark.committing


def test_reconcile_passes_on_a_sound_ledger_and_fails_loudly_on_a_corrupt_one(app, factory):
    m = factory.member(points=40)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["points", "reconcile"])
    assert ok.exit_code == 0 and "mismatches: 0" in ok.output
    db.session.execute(update(PointsAccount).where(PointsAccount.member_id == m.id)
                       .values(balance=45))
    db.session.commit()
    bad = runner.invoke(args=["points", "reconcile"])
    assert bad.exit_code == 1
    assert f'"member_id": {m.id}' in bad.output and "45" in bad.output


def test_expire_as_of_a_date(app, factory):
    clock.set(datetime(2026, 1, 1, 12, tzinfo=SH))
    m = factory.member()
    factory.credit(m, 10, expires_at=datetime(2026, 1, 31, 23, 59, 59, tzinfo=SH))
    factory.credit(m, 5, expires_at=datetime(2026, 2, 1, 0, 0, 1, tzinfo=SH))
    runner = app.test_cli_runner()
    assert "expired 0 lots" in runner.invoke(args=["points", "expire", "--as-of", "2026-01-30"]).output
    assert "expired 1 lots" in runner.invoke(args=["points", "expire", "--as-of", "2026-01-31"]).output
    assert "expired 0 lots" in runner.invoke(args=["points", "expire", "--as-of", "2026-01-31"]).output
    db.session.expire_all()
    assert db.session.get(PointsAccount, m.id).balance == 5


def test_backfill_re_dates_live_lots_by_the_new_policy(app, factory):
    from points.ledger.models import PointsLot
    from points.programme.settings import update_settings
    from sqlalchemy import select

    clock.set(datetime(2026, 1, 10, 12, tzinfo=SH))
    m = factory.member(points=30)  # earned under "never"
    update_settings({"expiry": {"mode": "fixed_days", "days": 30}})
    db.session.commit()
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["points", "backfill-expiry", "--dry-run"])
    assert "would re-date 1 lots" in dry.output
    db.session.expire_all()
    assert db.session.scalars(select(PointsLot).filter_by(member_id=m.id)).one().expires_at is None
    assert "re-dated 1 lots" in runner.invoke(args=["points", "backfill-expiry"]).output
    db.session.expire_all()
    lot = db.session.scalars(select(PointsLot).filter_by(member_id=m.id)).one()
    assert lot.expires_at.astimezone(SH).date().isoformat() == "2026-02-09"
