"""The dashboard's rollup against the ledger's own sums: per business day and store, points
issued, spent and expired; a late entry picked up when the job runs again; today live; the job
idempotent and resuming; orders with a member against the POS's count."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core import clock
from core.db import db
from analytics.dashboard import figures, jobs, pos_totals, rollup
from analytics.dashboard.models import DashboardDay, DashboardStoreDay, PosDayTotal
from points import ledger
from points.earning import orders
from points.ledger import kinds
from points.ledger import jobs as ledger_jobs
from points.ledger.models import PointsEntry
from tests.concurrency import race

DAY1 = date(2026, 11, 2)


def at(day: date, hour: int) -> datetime:
    """`hour` o'clock business time (Asia/Shanghai) on `day`, in UTC."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc) - timedelta(hours=8)


def ledger_sums() -> dict:
    """{(business day, store id): (issued, spent, expired)} straight from the journal."""
    sums: dict = {}
    for entry in db.session.scalars(select(PointsEntry)):
        key = (clock.business_date(entry.created_at), entry.store_id)
        issued, spent, expired = sums.get(key, (0, 0, 0))
        if entry.kind in (*kinds.EARNING, *kinds.UNEARNED_CREDITS) and entry.delta > 0:
            issued += entry.delta
        elif entry.kind in kinds.SPENDING:
            spent -= entry.delta
        elif entry.kind == "expire":
            expired -= entry.delta
        sums[key] = (issued, spent, expired)
    return sums


def shown(report) -> dict:
    return {d["date"]: (d["points_issued"], d["points_spent"], d["points_expired"])
            for d in report["days"]}


def expected(sums, days, store_id=None) -> dict:
    picked = {d: [0, 0, 0] for d in days}
    for (day, store), values in sums.items():
        if day in picked and (store_id is None or store == store_id):
            picked[day] = [a + b for a, b in zip(picked[day], values)]
    return {d: tuple(v) for d, v in picked.items()}


def history(factory):
    """Three business days at two stores: earning, a bonus, spending, lots that expire."""
    a, b = factory.store("DA"), factory.store("DB")
    x, y = factory.member(), factory.member()
    clock.set(at(DAY1, 10))
    factory.credit(x, 100, store=a)
    factory.credit(y, 50, store=b, expires_at=at(DAY1 + timedelta(days=1), 20))
    factory.credit(x, 20, kind="bonus", store=b)
    clock.set(at(DAY1, 23))  # late in the business day (15:00 UTC)
    factory.credit(y, 5, store=a)
    clock.set(at(DAY1 + timedelta(days=1), 11))
    ledger.debit(x.id, 30, kind="spend", key="dash:spend:1", store_id=b.id)
    ledger.debit(y.id, 10, kind="deduct", key="dash:deduct:1", store_id=a.id)
    db.session.commit()
    clock.set(at(DAY1 + timedelta(days=2), 0) + timedelta(minutes=5))  # the expiry sweep
    ledger_jobs.expire_due_lots(clock.now())
    clock.set(at(DAY1 + timedelta(days=2), 15))
    factory.credit(x, 40, store=b)
    return a, b, x, y


def test_the_rollup_equals_the_ledger_per_day_and_store(factory):
    a, b, x, _y = history(factory)
    clock.set(at(DAY1 + timedelta(days=3), 9))
    result = jobs.rollup_job()
    assert result["days"] == 3 and result["first"] == DAY1.isoformat()

    days = [DAY1 + timedelta(days=i) for i in range(3)]
    sums = ledger_sums()
    report = figures.dashboard(DAY1, DAY1 + timedelta(days=2))
    assert shown(report) == expected(sums, days)
    assert shown(report)[DAY1 + timedelta(days=2)] == (40, 0, 40)  # y's 40 left expired
    for store in (a, b):
        assert shown(figures.dashboard(DAY1, days[-1], store.id)) == expected(sums, days, store.id)
    assert report["totals"]["points_issued"] == 100 + 50 + 20 + 5 + 40
    assert report["missing_days"] == [] and not report["live_today"]


def test_a_late_entry_is_counted_when_the_job_runs_again_and_today_is_live(factory):
    a, b, x, _y = history(factory)
    clock.set(at(DAY1 + timedelta(days=3), 9))
    jobs.rollup_job()
    clock.set(at(DAY1 + timedelta(days=1), 18))  # an entry written late, dated the day before
    factory.credit(x, 9, store=a)
    clock.set(at(DAY1 + timedelta(days=3), 9))
    day2 = DAY1 + timedelta(days=1)
    assert shown(figures.dashboard(day2, day2))[day2][0] == 0  # the rollup: not yet
    factory.credit(x, 7, store=b)  # today, live
    today = clock.business_date()

    jobs.rollup_job()
    sums = ledger_sums()
    days = [DAY1 + timedelta(days=i) for i in range(4)]
    report = figures.dashboard(DAY1, today)
    assert shown(report) == expected(sums, days)
    assert shown(report)[day2][0] == 9 and shown(report)[today] == (7, 0, 0)
    assert report["live_today"] and db.session.get(DashboardDay, today) is None  # not rolled up
    assert shown(figures.dashboard(today, today, b.id))[today] == (7, 0, 0)
    assert shown(figures.dashboard(today, today, a.id))[today] == (0, 0, 0)


def rollup_rows():
    return sorted((r.day, r.store_key, r.points_issued, r.points_spent, r.points_expired,
                   r.members_active) for r in db.session.scalars(select(DashboardStoreDay)))


def test_the_job_is_idempotent_and_resumes_after_the_last_built_day(factory):
    history(factory)
    clock.set(at(DAY1 + timedelta(days=3), 9))
    assert rollup.days_due() == [DAY1 + timedelta(days=i) for i in range(3)]
    assert len(figures.dashboard(DAY1, DAY1 + timedelta(days=2))["missing_days"]) == 3
    jobs.build([DAY1])  # a run killed after its first day
    assert figures.dashboard(DAY1 - timedelta(days=5), DAY1 + timedelta(days=2))[
        "missing_days"] == [DAY1 + timedelta(days=1), DAY1 + timedelta(days=2)]
    assert rollup.days_due() == [DAY1 + timedelta(days=i) for i in range(3)]  # DAY1 again: late
    jobs.rollup_job()
    once = rollup_rows()
    assert jobs.rollup_job()["days"] == 3  # the last 3 days again, nothing new
    assert rollup_rows() == once
    jobs.rebuild(DAY1, DAY1 + timedelta(days=2))
    assert rollup_rows() == once
    clock.set(at(DAY1 + timedelta(days=10), 9))  # the job missed a week: it catches up
    assert rollup.days_due()[0] == DAY1 and rollup.days_due()[-1] == DAY1 + timedelta(days=9)


def test_orders_with_a_member_and_their_share_of_the_pos_orders(factory):
    store = factory.store("DO")
    member = factory.member()
    clock.set(at(DAY1, 12))
    for n in range(3):
        orders.record_order(store, {"order_no": f"DO-{n}", "amount_fen": 2000 + n,
                                    "items": [], "member_no": member.member_no}, source="pos")
    db.session.add(PosDayTotal(store_id=store.id, day=DAY1, orders=12, amount_fen=30000,
                               reported_at=clock.now()))
    db.session.commit()
    clock.set(at(DAY1 + timedelta(days=1), 9))
    jobs.rollup_job()
    report = figures.dashboard(DAY1, DAY1 + timedelta(days=1), store.id)
    day = report["days"][0]
    assert (day["orders"], day["orders_fen"], day["pos_orders"]) == (3, 6003, 12)
    assert report["totals"]["member_order_share"] == 0.25
    assert report["totals"]["members_registered"] == 0  # registered online, not at DO
    assert report["totals"]["members_active_peak"] == 1


def test_the_api_gives_the_dashboards_figures_and_the_pos_reports_its_day(
        factory, staff_client, pos_client):
    store = factory.store("DP")
    member = factory.member()
    clock.set(at(DAY1, 12))
    orders.record_order(store, {"order_no": "DP-1", "amount_fen": 5000, "items": [],
                                "member_no": member.member_no}, source="pos")
    db.session.commit()
    pos = pos_client(store)
    answer = pos.post("/pos/day-totals", {"store_code": "DP", "date": "2026-11-02",
                                          "orders": 5, "amount_fen": 20000})
    assert answer.status_code == 200 and answer.get_json()["orders"] == 5
    pos.post("/pos/day-totals", {"store_code": "DP", "date": "2026-11-02",
                                 "orders": 4, "amount_fen": 18000})  # recounted
    tomorrow = pos.post("/pos/day-totals", {"store_code": "DP", "date": "2026-11-03",
                                            "orders": 1, "amount_fen": 100})
    assert tomorrow.status_code == 422
    clock.set(at(DAY1 + timedelta(days=1), 9))
    jobs.rollup_job()

    marketer = staff_client("marketer")
    body = marketer.get("/admin/reports/dashboard?from=2026-11-02&to=2026-11-03"
                        "&store_code=DP").get_json()
    assert body["days"][0]["date"] == "2026-11-02" and body["days"][0]["points_issued"] == 50
    assert (body["totals"]["orders"], body["totals"]["pos_orders"]) == (1, 4)
    assert body["totals"]["member_order_share"] == "0.2500" and body["live_today"] is True
    wrong_way = marketer.get("/admin/reports/dashboard?from=2026-11-03&to=2026-11-02")
    assert wrong_way.status_code == 422
    assert staff_client("cashier", [store]).get(
        "/admin/reports/dashboard?from=2026-11-02&to=2026-11-03").status_code == 403


def test_the_liability_and_what_expires_in_the_next_three_months(factory):
    a, b = factory.store("DL"), factory.store("DM")
    member = factory.member()
    clock.set(at(DAY1, 12))  # 2 November
    factory.credit(member, 30, store=a, expires_at=at(date(2026, 11, 20), 23))
    factory.credit(member, 40, store=b, expires_at=at(date(2027, 1, 31), 23))
    factory.credit(member, 50, store=a, expires_at=at(date(2027, 2, 1), 12))  # 4th month: no
    factory.credit(member, 60, store=a)  # never expires
    chain, at_b = figures.liability(), figures.liability(b.id, "DM")
    assert chain["points_outstanding"] == 180
    assert chain["expiring"] == [{"month": "2026-11", "points": 30},
                                 {"month": "2027-01", "points": 40}]
    assert (at_b["points_outstanding"], at_b["expiring"]) == (40, [{"month": "2027-01",
                                                                     "points": 40}])


@pytest.mark.committing
@pytest.mark.mariadb
def test_a_days_first_reports_sent_at_once_land_on_one_row(app, factory):
    """Two tills (or a retry) reporting a store's day for the first time at the same moment:
    each is answered, one row holds the day (the later count), none is a 500."""
    store = factory.store("DR")
    db.session.commit()
    clock.set(at(DAY1, 22))
    results = race(app, lambda i: pos_totals.report_day(
        db.session.get(type(store), store.id), DAY1, 10 + i, 1000), 8)
    assert all(isinstance(r, dict) for r in results), results
    db.session.remove()
    rows = db.session.scalars(select(PosDayTotal).filter_by(store_id=store.id)).all()
    assert len(rows) == 1 and rows[0].orders in range(10, 18)
