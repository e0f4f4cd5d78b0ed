"""GET /admin/reports/liability against a hand-computed ledger."""
from datetime import datetime, timezone

from core import clock
from core.db import db
from points import ledger
from points.ledger import jobs as ledger_jobs
from points.programme.settings import update_settings


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def test_outstanding_points_by_store_and_month_with_the_expected_breakage(factory, staff_client):
    update_settings({"point_value_fen": 2})
    a_store, b_store = factory.store("LA"), factory.store("LB")
    x, y, z = factory.member(), factory.member(), factory.member()
    # history: 100 points at LA, 40 spent at 151 days old, 60 expired at 183 days old
    clock.set(utc(2025, 12, 1, 4))
    factory.credit(x, 100, store=a_store, expires_at=utc(2026, 6, 1, 4))
    clock.set(utc(2026, 5, 1, 4))
    ledger.debit(x.id, 40, kind="spend", key="liability-test-spend", store_id=b_store.id)
    db.session.commit()
    clock.set(utc(2026, 6, 2, 4))
    ledger_jobs.expire_due_lots(clock.now())
    # outstanding: HQ's 30 (166 days old by 30 June), LA's 100 (20 days), LB's 50 (never expire)
    clock.set(utc(2026, 1, 15, 4))
    factory.credit(y, 30, expires_at=utc(2026, 8, 15, 4))
    clock.set(utc(2026, 6, 10, 4))
    factory.credit(z, 100, store=a_store, expires_at=utc(2026, 9, 15, 4))
    factory.credit(z, 50, store=b_store, expires_at=None)
    clock.set(utc(2026, 7, 1, 4))

    body = staff_client("marketer").get("/admin/reports/liability?as_of=2026-06-30").get_json()
    assert (body["points_outstanding"], body["value_fen"]) == (180, 360)
    assert body["by_store"] == [{"store_code": "LA", "points": 100, "value_fen": 200},
                                {"store_code": "LB", "points": 50, "value_fen": 100},
                                {"store_code": None, "points": 30, "value_fen": 60}]
    assert body["by_expiry_month"] == [{"month": "2026-08", "points": 30},
                                       {"month": "2026-09", "points": 100},
                                       {"month": "never", "points": 50}]
    # lots ≥ 0 and ≥ 90 days old: 60 of 100 consumed points expired; ≥ 180: 60 of 60
    shares = {r["min_age_days"]: r["expired_share"] for r in body["breakage_rates"]}
    assert shares == {0: 0.6, 90: 0.6, 180: 1.0, 365: 0.0}
    assert body["expected_breakage_points"] == 100 * 0.6 + 30 * 0.6
    assert body["expected_breakage_fen"] == 156


def test_lots_due_by_the_as_of_date_are_not_outstanding(factory, staff_client):
    member = factory.member()
    clock.set(utc(2026, 6, 1, 4))
    factory.credit(member, 70, expires_at=utc(2026, 6, 20, 4))
    factory.credit(member, 5)
    client = staff_client("hq_admin")
    report = "/admin/reports/liability?as_of="
    assert client.get(report + "2026-06-19").get_json()["points_outstanding"] == 75
    assert client.get(report + "2026-06-20").get_json()["points_outstanding"] == 5


def test_the_liability_by_store_as_csv(factory, staff_client):
    store = factory.store("LC")
    factory.credit(factory.member(), 12, store=store)
    response = staff_client("marketer").get("/admin/reports/liability",
                                            headers={"Accept": "text/csv"})
    assert response.mimetype == "text/csv"
    assert response.get_data(as_text=True).splitlines() == ["store_code,points,value_fen",
                                                            "LC,12,12"]
