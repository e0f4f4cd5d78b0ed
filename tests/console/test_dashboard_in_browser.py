"""The dashboard in headless Chromium against a live server: a marketer signs in and lands on
it, its totals equal the ledger's own sums for the seeded data, the charts are drawn (a canvas
each, also after a boosted navigation), a store filter narrows the figures, and a report
downloads as CSV and XLSX. Screenshots at 1024×768 go to artefacts/."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import func, select

from core import clock
from core.db import db
from analytics.dashboard import jobs
from points import ledger
from points.ledger import kinds
from points.ledger.models import PointsEntry
from tests.console.conftest import screenshot
from tests.console.test_till_in_browser import sign_in

pytestmark = pytest.mark.committing


@pytest.fixture
def seeded(factory):
    """Ten days at two stores: earning every day, spending every other day, one expiry."""
    a, b = factory.store("DSA", "上海看板店"), factory.store("DSB", "北京看板店")
    members = [factory.member() for _ in range(4)]
    start = clock.now() - timedelta(days=9)
    for day in range(10):
        clock.set(start + timedelta(days=day))
        for n, member in enumerate(members):
            store = a if (day + n) % 3 else b
            factory.credit(member, 10 * (n + 1) + day, store=store,
                           expires_at=clock.now() + timedelta(days=2) if day == 1 and n == 0
                           else None)
            if day % 2 and n % 2:
                ledger.debit(member.id, 5 + day, kind="spend", key=f"dash-b:{day}:{n}",
                             store_id=(b if n == 1 else a).id)
        db.session.commit()
        if day == 4:
            from points.ledger import jobs as ledger_jobs
            ledger_jobs.expire_due_lots(clock.now())
    clock.set(None)
    jobs.rollup_job()
    db.session.commit()
    return {"a": a, "b": b, "start": clock.business_date(start)}


def ledger_total(kind_filter, store=None, since=None) -> int:
    query = select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(kind_filter)
    if store is not None:
        query = query.where(PointsEntry.store_id == store.id)
    if since is not None:
        query = query.where(PointsEntry.created_at >= clock.start_of_business_day(since))
    return abs(int(db.session.scalar(query)))


ISSUED = PointsEntry.kind.in_((*kinds.EARNING, *kinds.UNEARNED_CREDITS)) & (PointsEntry.delta > 0)
SPENT = PointsEntry.kind.in_(kinds.SPENDING)
EXPIRED = PointsEntry.kind == "expire"


def figure(page, key) -> int:
    return int(page.locator(f"[data-total={key}]").inner_text())


def test_a_marketer_reads_the_dashboard_and_downloads_a_report(live_server, browser_page,
                                                               factory, seeded):
    factory.staff("marketer", username="marketer.dash")
    page = browser_page()
    sign_in(page, live_server, "marketer.dash")
    expect(page.locator("h1")).to_have_text("数据看板")
    assert page.url.endswith("/console/dashboard")
    since = seeded["start"]
    assert (figure(page, "points_issued"), figure(page, "points_spent"),
            figure(page, "points_expired")) == (
        ledger_total(ISSUED, since=since), ledger_total(SPENT, since=since),
        ledger_total(EXPIRED, since=since))
    assert ledger_total(EXPIRED) > 0 and ledger_total(SPENT) > 0
    expect(page.locator("#chart-points canvas")).to_have_count(1)
    expect(page.locator(".echart canvas")).to_have_count(6)
    screenshot(page, "30-dashboard")
    page.click("details.days summary")  # the per-day table, loaded when opened
    rows = page.locator("#days tbody tr")
    expect(rows.first).to_be_visible()
    assert sum(int(n) for n in rows.locator("td:nth-child(2)").all_inner_texts()) == figure(
        page, "points_issued")  # the days add up to the total

    page.select_option("select[name=store]", "DSB")
    page.click("button:has-text('显示')")
    expect(page.locator("hgroup p")).to_contain_text("北京看板店")
    at_b = (figure(page, "points_issued"), figure(page, "points_spent"))
    assert at_b == (ledger_total(ISSUED, seeded["b"], since), ledger_total(SPENT, seeded["b"], since))
    assert at_b[0] < ledger_total(ISSUED, since=since)
    expect(page.locator("#chart-points canvas")).to_have_count(1)  # drawn after the swap too
    screenshot(page, "31-dashboard-one-store")

    page.click("header a:has-text('报表')")  # the menu's Reports link
    expect(page.locator("h1")).to_have_text("报表")
    card = page.locator("[data-report=points-by-store-month]")
    with page.expect_download() as csv_download:
        card.locator("a:has-text('CSV')").click()
    body = open(csv_download.value.path(), "rb").read()
    assert body.startswith(b"\xef\xbb\xbf") and "发放积分" in body.decode("utf-8-sig")
    with page.expect_download() as xlsx_download:
        card.locator("a:has-text('XLSX')").click()
    book = load_workbook(io.BytesIO(open(xlsx_download.value.path(), "rb").read()))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("月份", "门店", "发放积分")
    assert sum(r[2] for r in rows[1:]) == ledger_total(ISSUED)  # the last 31 days: all of it
    screenshot(page, "32-reports")
