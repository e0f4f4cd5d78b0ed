"""The audit log at the console: a store manager reads their stores' entries, HQ all of them,
a cashier none; filtered by date, staff and action, paged, the reason shown."""
import re
from datetime import datetime, timedelta, timezone

import pytest

from core import clock
from core.db import db
from points import ledger

SH = timezone(timedelta(hours=8))


@pytest.fixture
def stores(factory):
    sh, bj = factory.store("SH01", "上海测试店"), factory.store("BJ01", "北京测试店")
    return {"sh": sh, "bj": bj,
            "manager": factory.staff("store_manager", [sh], username="manager.sh.a"),
            "bj_manager": factory.staff("store_manager", [bj], username="manager.bj.a"),
            "hq": factory.staff("hq_admin", username="hq.a"),
            "member": factory.member(points=1000)}


def rows(response) -> list[str]:
    """The text of each row of the audit table (tags dropped)."""
    html = response.get_data(as_text=True)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in re.findall(r"<tr data-audit-id[^>]*>(.*?)</tr>", html, re.S)]


@pytest.fixture
def two_adjustments(stores):
    ledger.adjust(stores["member"].id, -50, reason="补录重复积分", operator=stores["manager"],
                  store_id=stores["sh"].id, key="audit-1")
    ledger.adjust(stores["member"].id, 20, reason="北京店补偿", operator=stores["bj_manager"],
                  store_id=stores["bj"].id, key="audit-2")
    db.session.commit()
    return stores


def test_a_store_manager_reads_their_stores_entries_with_the_reason(console, two_adjustments):
    page = console(two_adjustments["manager"])
    response = page.get("/console/audit?action=points.adjust")
    assert response.status_code == 200
    seen = rows(response)
    assert len(seen) == 1
    assert "manager.sh.a" in seen[0] and "补录重复积分" in seen[0] and "-50" in seen[0]
    assert "上海测试店" in seen[0] and "1000 → 950" in seen[0]
    assert two_adjustments["member"].member_no in seen[0]  # a link to the member's card


def test_hq_reads_every_stores_entries(console, two_adjustments):
    seen = rows(console(two_adjustments["hq"]).get("/console/audit?action=points.adjust"))
    assert len(seen) == 2 and "北京店补偿" in seen[0] and "补录重复积分" in seen[1]


def test_a_cashier_is_refused_and_not_offered_the_page(console, factory, two_adjustments):
    page = console(factory.staff("cashier", [two_adjustments["sh"]]))
    response = page.get("/console/audit")
    assert response.status_code == 403 and "补录重复积分" not in response.get_data(as_text=True)
    assert "/console/audit" not in page.get("/console/scan").get_data(as_text=True)
    manager_nav = console(two_adjustments["manager"]).get("/console/scan").get_data(as_text=True)
    assert "/console/audit" in manager_nav and "审计日志" in manager_nav


def test_filters_by_staff_and_by_date(console, stores):
    clock.set(datetime(2026, 11, 30, 10, tzinfo=SH))
    ledger.adjust(stores["member"].id, 5, reason="十一月三十日", operator=stores["manager"],
                  store_id=stores["sh"].id, key="audit-d1")
    clock.set(datetime(2026, 12, 2, 10, tzinfo=SH))
    ledger.adjust(stores["member"].id, 6, reason="十二月二日", operator=stores["hq"],
                  store_id=stores["sh"].id, key="audit-d2")
    db.session.commit()
    page = console(stores["hq"])
    by_date = rows(page.get("/console/audit?date_from=2026-12-01&date_to=2026-12-02"
                            "&action=points.adjust"))
    assert len(by_date) == 1 and "十二月二日" in by_date[0]
    by_staff = rows(page.get("/console/audit?staff=manager.sh.a"))
    assert len(by_staff) == 1 and "十一月三十日" in by_staff[0]
    refused = page.get("/console/audit?date_from=30/11/2026")
    assert refused.status_code == 422 and rows(refused) == []


def test_the_log_is_paged_newest_first(console, stores):
    for n in range(30):
        ledger.adjust(stores["member"].id, 1, reason=f"第{n}次", operator=stores["manager"],
                      store_id=stores["sh"].id, key=f"audit-p{n}")
    db.session.commit()
    page = console(stores["manager"])
    first = page.get("/console/audit?action=points.adjust")
    assert len(rows(first)) == 25 and "第29次" in rows(first)[0]
    older = re.search(r'href="([^"]+)" rel="next"', first.get_data(as_text=True)).group(1)
    second = rows(page.get(older.replace("&amp;", "&")))
    assert len(second) == 5 and "第4次" in second[0] and "第0次" in second[-1]


def test_an_adjustment_sent_twice_is_audited_once(console, stores):
    page = console(stores["manager"])
    for _ in range(2):
        response = page.post(f"/console/members/{stores['member'].member_no}/adjustments",
                             {"delta": "25", "reason": "补录积分", "key": "same-form"})
        assert response.status_code == 302
    assert len(rows(page.get("/console/audit?action=points.adjust"))) == 1
