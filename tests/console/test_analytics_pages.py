"""The analytics pages: segments with the movement chart, drilling down to members, churn with
its CSV, the tag builder's live count, an automation's results, the liability. HQ and
marketers only. In headless Chromium against a live server; screenshots to artefacts/."""
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from core.db import db
from analytics import jobs
from analytics.tags import automations, service as tags
from tests.analytics.conftest import buy, members  # noqa: F401 (fixtures)
from tests.console.conftest import screenshot
from tests.console.test_till_in_browser import sign_in

AS_OF = date(2026, 6, 30)


@pytest.fixture
def scored(factory, buy, members):
    store = factory.store("AN01", "分析测试店")
    big, small, quiet = members(3)
    for i in range(3):
        buy(big, store, AS_OF - timedelta(days=10 + 30 * i), amount_fen=50000)
    buy(small, store, AS_OF - timedelta(days=100), amount_fen=1000)
    jobs.score("2026-05-31")
    jobs.nightly(AS_OF.isoformat())
    factory.credit(big, 250, store=store, expires_at=None)
    return {"big": big, "small": small, "quiet": quiet,
            "marketer": factory.staff("marketer", username="marketer.an"),
            "cashier": factory.staff("cashier", [store], username="cashier.an")}


def test_analytics_pages_need_a_marketer_or_hq(console, scored):
    cashier = console(scored["cashier"])
    for path in ("/console/analytics/segments", "/console/analytics/members",
                 "/console/analytics/liability", "/console/analytics/tags"):
        assert cashier.get(path).status_code == 403, path
    marketer = console(scored["marketer"])
    csv = marketer.get("/console/analytics/members?churn=at_risk&format=csv")
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert len(lines) == 2 and lines[1].startswith(scored["small"].member_no)


@pytest.mark.committing
def test_a_marketer_reads_segments_churn_tags_and_liability(live_server, browser_page, scored):
    tag = tags.save_tag({"name": "大客户", "kind": "manual"})
    automation = automations.save_automation({"name": "欢迎积分", "tag_id": tag.id,
                                              "action": "points", "points": 10, "budget": 100,
                                              "holdout_percent": 0})
    db.session.commit()
    tags.add_members(tag.id, [scored["big"].member_no], scored["marketer"])
    db.session.commit()
    jobs.tags_and_automations(AS_OF.isoformat())
    page = browser_page()
    sign_in(page, live_server, "marketer.an")
    page.goto(live_server + "/console/analytics/segments")
    expect(page.locator("table.segments")).to_contain_text("重要价值客户")
    expect(page.locator("table.month-counts tbody tr")).to_have_count(2)  # May and June
    expect(page.locator(".chart-box canvas")).to_have_count(1)  # ECharts drew the movement
    page.locator(".chart-box").scroll_into_view_if_needed()
    screenshot(page, "analytics-segments")
    page.click("text=重要价值客户")
    page.wait_for_load_state("networkidle")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text(scored["big"].member_no)
    page.click("nav.tabs >> text=流失预警")
    page.wait_for_load_state("networkidle")
    expect(page.locator("tbody")).to_contain_text(scored["small"].member_no)
    screenshot(page, "analytics-churn")
    page.click("nav.tabs >> text=标签与自动化")
    expect(page.locator("h1")).to_have_text("标签与自动化")
    # the tab swapped the page in (hx-boost): its form's live count listens once htmx has
    # settled the new content, which a loaded machine may not have done when the field is
    # typed into; a fresh load of the page has it ready
    page.goto(page.url)
    page.select_option("select[name=field-0]", "spend_fen")  # the yuan widget: 10 yuan
    expect(page.locator("input[name=value-0]")).to_be_visible()
    page.fill("input[name=value-0]", "10")
    expect(page.locator("#rule-count")).to_contain_text("2")
    page.select_option("select[name=field-1]", "segment")  # a list of the segments
    page.select_option("select[name=choice-1][data-choices=segment]", "important_value")
    expect(page.locator("#rule-count")).to_contain_text("1")
    page.locator("select[name=field-3]").scroll_into_view_if_needed()
    screenshot(page, "analytics-tags")
    page.click("text=欢迎积分")
    page.wait_for_load_state("networkidle")
    expect(page.locator("table.results").first).to_contain_text("1")
    screenshot(page, "analytics-automation")
    page.click("nav.tabs >> text=积分负债")
    expect(page.locator(".outstanding")).to_have_text("260")  # and the automation's 10
    # a boosted swap: the chart is drawn by the htmx:load listener, not the page load
    expect(page.locator(".chart-box canvas")).to_have_count(1)
    page.locator(".chart-box").scroll_into_view_if_needed()
    screenshot(page, "analytics-liability")
    assert automation.id


@pytest.mark.committing
def test_a_marketer_builds_a_tag_and_a_message_automation(live_server, browser_page, scored):
    page = browser_page()
    sign_in(page, live_server, "marketer.an")
    page.goto(live_server + "/console/analytics/tags")
    page.select_option("select[name=field-0]", "coupon_unused_days")
    page.fill("input[name=value-0]", "14")
    page.select_option("select[name=combine]", "any")
    page.select_option("select[name=field-1]", "favourite_category")
    page.fill("input[name=value-1]", "tea, cake")
    page.select_option("select[name=field-2]", "expiring_points")
    expect(page.locator("input[name=days-2]")).to_be_visible()  # points expiring within N days
    page.fill("input[name=value-2]", "100")
    page.fill("input[name=days-2]", "30")
    expect(page.locator("#rule-count")).to_contain_text("0")
    page.fill("input[name=name]", "沉睡券")
    page.click("text=保存标签")
    expect(page.locator("table").first).to_contain_text("沉睡券")
    tag = next(t for t in tags.list_tags() if t.name == "沉睡券")
    assert tag.rule == {"any": [
        {"field": "coupon_unused_days", "op": "gte", "value": 14},
        {"field": "favourite_category", "op": "in", "value": ["tea", "cake"]},
        {"field": "expiring_points", "op": "gte", "value": 100, "days": 30}]}
    page.select_option("select[name=action]", "message")
    expect(page.locator("select[name=template_id]")).to_be_visible()
    expect(page.locator("input[name=points]")).to_be_hidden()
    page.locator(".automation-builder").scroll_into_view_if_needed()
    screenshot(page, "analytics-builder")
    page.fill(".automation-builder input[name=name]", "提醒用券")
    page.fill(".automation-builder input[name=budget]", "100")
    page.click("text=创建自动化")
    # no automation_message template yet: refused, saying what is missing
    expect(page.locator("p.refused")).to_contain_text("template_id")
    page.select_option("select[name=action]", "points")
    page.fill("input[name=points]", "20")
    page.click("text=创建自动化")
    expect(page.locator("h1")).to_have_text("提醒用券")
