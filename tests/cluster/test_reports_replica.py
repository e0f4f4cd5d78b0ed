"""Reports read an asynchronous replica (REPORTS_DATABASE_URL) and say how fresh they are: a
report read while the replica lags is labelled stale, never silently old."""
import tempfile
import time
from datetime import date

import pytest
from sqlalchemy import select

from analytics import liability, preview, reports as analytics_reports
from analytics.dashboard import figures, rollup, sources
from analytics.dashboard.models import DashboardDay
from core import clock
from core.db import db
from core.replica import reports_read
from points.earning import settlement
from tests.galera import Servers, connect, create_database, need_servers, url, use_databases

pytestmark = [pytest.mark.cluster, pytest.mark.committing]


@pytest.fixture(scope="module")
def replicated(app):
    need_servers()
    servers = Servers(tempfile.mkdtemp(prefix="jifen-replica-"))
    servers.run("replica", "start")
    ports = servers.ports()
    name = create_database(ports["PRIMARY_PORT"])
    try:
        with use_databases(app, [url(ports["PRIMARY_PORT"], name)],
                           url(ports["REPLICA_PORT"], name)):
            yield ports
    finally:
        servers.run("destroy")


@pytest.fixture(autouse=True)
def on_replica(replicated):  # before the suite's own isolation fixture empties the tables
    yield


def replica_sql(ports, statement):
    with connect(ports["REPLICA_PORT"]) as conn, conn.cursor() as cur:
        cur.execute(statement)


def wait_caught_up():
    for _ in range(100):
        with reports_read() as freshness:
            if freshness.lag_seconds == 0:
                return
        time.sleep(0.05)
    raise AssertionError("the replica did not catch up")


def test_a_caught_up_replica_serves_the_reports_fresh(app, factory, replicated):
    factory.member(points=300)
    db.session.commit()
    wait_caught_up()
    report = liability.liability(date.today())
    assert report["freshness"]["source"] == "replica"
    assert report["freshness"]["stale"] is False and report["freshness"]["lag_seconds"] == 0
    assert report["points_outstanding"] == 300


def test_a_report_under_replication_lag_is_labelled_stale(app, factory, replicated):
    factory.member(points=100)
    db.session.commit()
    wait_caught_up()
    replica_sql(replicated, "STOP SLAVE SQL_THREAD")
    try:
        factory.member(points=50)  # on the primary; the replica does not apply it
        db.session.commit()
        time.sleep(0.3)  # the replica's IO thread has it, its SQL thread does not
        report = liability.liability(date.today())
        assert report["points_outstanding"] == 100  # what the replica holds …
        assert report["freshness"] == {"source": "replica", "as_of": None,
                                       "lag_seconds": None, "stale": True}  # … labelled
        assert settlement.settlement(date(2000, 1, 1), date(2100, 1, 1))["freshness"]["stale"]
        assert analytics_reports.segment_summary()["freshness"]["stale"]  # the analytics reads,
        assert preview.preview(preview.EARN_RULE, {"category": "tea", "multiplier_percent": 200, "store_codes": []},
                               date(2026, 1, 1), date(2026, 1, 28))["freshness"]["stale"]
        with reports_read(must_see_primary=True, wait_seconds=0.5) as freshness:
            assert freshness.source == "primary"  # could not wait for it: the primary's answer
            assert liability.liability(date.today())["points_outstanding"] == 150
    finally:
        replica_sql(replicated, "START SLAVE SQL_THREAD")
    wait_caught_up()
    assert liability.liability(date.today())["freshness"]["stale"] is False



def built_issued(day):
    rollup.build_day(day)
    db.session.commit()
    return db.session.scalar(select(DashboardDay.points_issued).where(DashboardDay.day == day))


def issued_on(day):
    stores, _active = sources.day_figures(day)
    return sum(row["points_issued"] for row in stores.values())


def test_the_dashboard_reads_the_replica_and_says_when_it_is_behind(app, factory, replicated):
    factory.member(points=100)
    db.session.commit()
    wait_caught_up()
    today = clock.business_date()
    fresh = figures.dashboard(today, today)
    assert fresh["freshness"]["source"] == "replica" and fresh["freshness"]["stale"] is False
    replica_sql(replicated, "STOP SLAVE SQL_THREAD")
    try:
        factory.member(points=50)
        db.session.commit()
        time.sleep(0.3)
        assert figures.dashboard(today, today)["freshness"]["stale"] is True  # labelled
        with reports_read() as freshness:
            on_replica = issued_on(today)
        on_primary = issued_on(today)
        assert freshness.stale and on_primary == on_replica + 50  # the replica lacks the 50
        assert built_issued(today) == on_primary  # the rollup read the primary instead
    finally:
        replica_sql(replicated, "START SLAVE SQL_THREAD")
    wait_caught_up()
