"""The dashboard and the reports at the console: who may see them, where marketers land, the
figures shown, and the downloads — CSV with a BOM that decodes to Chinese, XLSX that openpyxl
reads, the settlement for HQ only, the audit log's export with the page's filters."""
import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from core import clock
from core.db import db
from analytics.dashboard import jobs
from core.audit import record
from core.redis import get_redis, rkey
from points import ledger
from tests.console.conftest import _fresh_g


@pytest.fixture
def shop(factory):
    a, b = factory.store("RA", "上海测试店"), factory.store("RB", "北京测试店")
    x = factory.member()
    clock.set(clock.now() - timedelta(days=2))
    factory.credit(x, 120, store=a)
    ledger.debit(x.id, 20, kind="spend", key="report:spend", store_id=b.id)
    db.session.commit()
    clock.set(None)
    factory.credit(x, 7, store=b)  # today
    jobs.rollup_job()
    return {"a": a, "b": b, "member": x}


def download(page, path):
    """A binary download (the Console helper reads every page as text)."""
    _fresh_g()
    return page.client.get(path)


def totals(html: str) -> dict:
    return {k: v for k, v in re.findall(r'data-total="(\w+)">([^<]*)<', html)}


def test_a_marketer_lands_on_the_dashboard_and_sees_the_ledgers_totals(console, factory, shop):
    marketer = factory.staff("marketer")
    page = console()
    assert page.sign_in(marketer.username).headers["Location"] == "/console/dashboard"
    html = page.get("/console/dashboard").get_data(as_text=True)
    shown = totals(html)
    assert (shown["points_issued"], shown["points_spent"]) == ("127", "20")
    assert "数据看板" in html and 'data-chart="' in html and "echarts-6.1.0.min.js" in html
    at_b = totals(page.get("/console/dashboard?store=RB").get_data(as_text=True))
    assert (at_b["points_issued"], at_b["points_spent"]) == ("7", "20")


def test_viewers_share_the_page_for_half_a_minute_in_their_own_language(console, factory, shop):
    page = console(factory.staff("marketer"))
    assert totals(page.get("/console/dashboard").get_data(as_text=True))["points_issued"] == "127"
    factory.credit(shop["member"], 5, store=shop["a"])
    db.session.commit()
    other = console(factory.staff("hq_admin"))
    html = other.get("/console/dashboard").get_data(as_text=True)
    assert totals(html)["points_issued"] == "127"  # the page of 30 s ago, and it says so
    assert "至多 30 秒前" in html or "30 秒" in html
    page.get("/console/lang/en")
    english = page.get("/console/dashboard").get_data(as_text=True)
    assert "Dashboard" in english and "数据看板" not in english  # its own language,
    assert totals(english)["points_issued"] == "127"  # with today's figures of the same moment
    get_redis().delete(*get_redis().keys(rkey("dashboard", "*")))  # what 30 s of Redis TTL do
    assert totals(other.get("/console/dashboard").get_data(as_text=True))[
        "points_issued"] == "132"


def test_a_range_the_wrong_way_round_is_refused_with_a_message(console, factory):
    page = console(factory.staff("hq_admin"))
    response = page.get("/console/dashboard?date_from=2026-11-10&date_to=2026-11-01")
    assert response.status_code == 422 and "结束日期早于开始日期" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["cashier", "store_manager"])
def test_till_staff_cannot_open_the_dashboard_or_the_reports(console, factory, role):
    store = factory.store()
    page = console(factory.staff(role, [store]))
    for path in ("/console/dashboard", "/console/reports", "/console/reports/liability.csv",
                 "/console/reports/redemptions.xlsx"):
        assert download(page, path).status_code == 403, path


def test_the_settlement_is_for_hq_only_as_in_the_api(console, factory, shop):
    marketer = console(factory.staff("marketer"))
    assert marketer.get("/console/reports/settlement.csv").status_code == 403
    assert "跨店结算" not in marketer.get("/console/reports").get_data(as_text=True)
    hq = console(factory.staff("hq_admin"))
    response = hq.get("/console/reports/settlement.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["结算"]
    assert rows[1] == ["发放门店", "出资方", "消耗门店", "积分", "价值（分）"]
    assert rows[2] == ["RA", "总部", "RB", "20", "20"]


def test_csv_has_the_bom_and_chinese_and_xlsx_reads_back(console, factory, shop):
    page = console(factory.staff("hq_admin"))
    today = clock.business_date()
    query = f"date_from={(today - timedelta(days=5)).isoformat()}&date_to={today.isoformat()}"
    response = page.get(f"/console/reports/points-by-store-month.csv?{query}")
    body = response.get_data()
    assert response.mimetype == "text/csv" and body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["月份", "门店", "发放积分", "消耗积分", "过期积分"]
    assert {r[1] for r in rows[1:]} == {"RA", "RB"}
    assert sum(int(r[2]) for r in rows[1:]) == 127 and sum(int(r[3]) for r in rows[1:]) == 20

    response = download(page, f"/console/reports/points-by-store-month.xlsx?{query}")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    sheet = book[book.sheetnames[0]]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == rows[0]
    assert [[str(v) for v in r] for r in values[1:]] == rows[1:]

    liability = download(page, "/console/reports/liability.xlsx")
    assert load_workbook(io.BytesIO(liability.get_data())).sheetnames == [
        "按发放门店", "按出资方", "按到期月份"]


def test_the_audit_export_keeps_the_pages_filters_and_store_scope(console, factory):
    a, b = factory.store("AA"), factory.store("AB")
    manager = factory.staff("store_manager", [a])
    for store, action, reason in ((a, "points.adjust", "补录小票"), (b, "points.adjust", "B 店"),
                                  (a, "product.stock", "盘点")):
        record(action, "member", "1", actor=("staff", manager.id, manager.username), store_id=store.id, reason=reason)
    db.session.commit()
    page = console(manager)
    rows = list(csv.reader(io.StringIO(page.get(
        "/console/audit/export.csv?action=points.adjust").get_data().decode("utf-8-sig"))))
    assert rows[0][:3] == ["时间", "员工", "操作"]
    assert [r[-1] for r in rows[1:]] == ["补录小票"]  # not B's, not the other action
    hq = console(factory.staff("hq_admin"))
    book = load_workbook(io.BytesIO(download(
        hq, f"/console/audit/export.xlsx?staff={manager.username}").get_data()))
    assert sorted(r[-1] for r in list(book.active.iter_rows(values_only=True))[1:]) == [
        "B 店", "盘点", "补录小票"]
    assert console(factory.staff("marketer")).get("/console/audit/export.csv").status_code == 403
