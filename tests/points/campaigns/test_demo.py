"""seed-demo's store campaigns: SH001's live campaign pays its bonus from SH001's budget, and
one waits in HQ's queue; seeding again adds nothing."""
from sqlalchemy import func, select

from core.cli import seed_demo_data
from core.db import db
from points.earning.models import Promotion


def test_seed_demo_has_a_live_store_campaign_and_one_waiting(app, monkeypatch, staff_client, pos_client):
    monkeypatch.setattr("members.demo.seed_demo", lambda: [])
    lines = seed_demo_data()
    assert any("Store campaigns" in line for line in lines)
    seed_demo_data()
    statuses = dict(db.session.execute(select(Promotion.status, func.count())
                                       .where(Promotion.store_id.is_not(None))
                                       .group_by(Promotion.status)).all())
    assert statuses == {"approved": 1, "pending": 1}
    hq = staff_client("hq_admin")
    assert [p["name"] for p in hq.get("/admin/promotions/pending").get_json()] == ["SH001 周末1.5倍积分"]
    assert hq.get("/admin/store-policy").get_json()["overrides"] == {"BJ001": {"monthly_budget_points": 20000}}
