"""Store campaigns in the console, in headless Chromium against a live server: a store manager
creates their store's campaign and submits it, HQ approves it from the queue and sees every
store side by side, the till then pays the store's bonus and the manager sees the results.
Screenshots at 1024×768 go to artefacts/ (looked at; not committed)."""
import pytest
import requests
from playwright.sync_api import expect

from core import clock
from core.db import db
from points.campaigns import policy
from tests.console.conftest import screenshot
from tests.console.test_till_in_browser import sign_in
from tests.helpers import PosClient

pytestmark = pytest.mark.committing


@pytest.fixture
def chain(factory):
    sh, bj = factory.store("SH01", "上海测试店"), factory.store("BJ01", "北京测试店")
    policy.save_store_policy({"monthly_budget_points": 500, "max_bonus_points": 50,
                              "overrides": {"BJ01": {"monthly_budget_points": 200}}})
    db.session.commit()
    return {"sh": sh, "bj": bj,
            "manager": factory.staff("store_manager", [sh], username="manager.c"),
            "hq": factory.staff("hq_admin", username="hq.c"),
            "member": factory.member()}


def test_a_manager_runs_a_campaign_hq_approves_it_and_the_till_pays_it(
        live_server, browser_page, app, factory, chain):
    page = browser_page()
    sign_in(page, live_server, "manager.c")
    page.goto(live_server + "/console/campaigns")
    expect(page.locator("h1")).to_contain_text("本店活动")
    expect(page.locator("article.budget")).to_contain_text("0 / 500")
    page.locator("summary", has_text="新建活动").click()
    today = clock.business_date().isoformat()
    page.fill("input[name=name]", "周末加送")
    page.select_option("select[name=kind]", "bonus")
    page.fill("input[name=value]", "80")  # over HQ's 50
    page.fill("input[name=starts]", today)
    page.fill("input[name=ends]", today)
    page.click("button:has-text('保存为草稿')")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".refused")).to_be_visible()
    expect(page.locator(".refused")).to_contain_text("50")  # the limit is named
    page.fill("input[name=value]", "30")
    page.click("button:has-text('保存为草稿')")
    page.wait_for_load_state("networkidle")
    expect(page.locator("table.campaigns .status")).to_contain_text("草稿")
    page.click("button:has-text('提交审批')")
    page.wait_for_load_state("networkidle")
    expect(page.locator("table.campaigns .status")).to_contain_text("待总部审批")
    screenshot(page, "10-my-store-campaigns")

    hq = browser_page()
    sign_in(hq, live_server, "hq.c")
    hq.goto(live_server + "/console/hq/campaigns")
    expect(hq.locator("table.queue")).to_contain_text("周末加送")
    expect(hq.locator("tr[data-store=BJ01]")).to_contain_text("200")
    screenshot(hq, "11-hq-approval-queue")
    hq.click("table.queue button:has-text('通过')")
    hq.wait_for_load_state("networkidle")
    expect(hq.locator("text=没有待审批的活动")).to_be_visible()

    key_id, secret = factory.api_key(chain["sh"])
    order = PosClient(app.test_client(), key_id, secret).post("/pos/orders", {
        "store_code": "SH01", "order_no": "C-1", "amount_fen": 10000,
        "member_no": chain["member"].member_no})
    assert order.get_json()["points_earned"] == 130
    page.reload()
    expect(page.locator("table.campaigns .status")).to_contain_text("已通过")
    expect(page.locator("article.budget")).to_contain_text("30 / 500")
    expect(page.locator("article.results")).to_contain_text("1 笔订单多得 30 积分")
    screenshot(page, "12-campaign-results")
    hq.reload()
    expect(hq.locator("tr[data-store=SH01]")).to_contain_text("30")
    screenshot(hq, "13-hq-stores-side-by-side")


def test_hq_rejects_with_a_reason_and_sets_the_guardrails(live_server, browser_page, factory, chain):
    manager_token = factory.staff_token(chain["manager"])
    created = requests.post(live_server + "/api/v1/admin/promotions", timeout=10, json={
        "name": "双倍日", "multiplier": 2, "store_codes": ["SH01"],
        "starts_at": clock.now().isoformat(), "ends_at": clock.now().replace(year=2099).isoformat()},
        headers={"Authorization": f"Bearer {manager_token}"}).json()
    requests.post(live_server + f"/api/v1/admin/promotions/{created['id']}/submit", timeout=10,
                  headers={"Authorization": f"Bearer {manager_token}"})
    hq = browser_page()
    sign_in(hq, live_server, "hq.c")
    hq.goto(live_server + "/console/hq/campaigns")
    hq.fill("table.queue input[name=reason]", "和总部活动冲突")
    hq.click("table.queue button:has-text('驳回')")
    hq.wait_for_load_state("networkidle")
    expect(hq.locator("text=没有待审批的活动")).to_be_visible()
    hq.fill("input[name=monthly_budget_points]", "800")
    hq.click("button:has-text('保存规则')")
    hq.wait_for_load_state("networkidle")
    expect(hq.locator("tr[data-store=SH01]")).to_contain_text("800")
    screenshot(hq, "14-hq-guardrails")

    page = browser_page()
    sign_in(page, live_server, "manager.c")
    page.goto(live_server + "/console/campaigns")
    expect(page.locator("table.campaigns .status")).to_contain_text("和总部活动冲突")


def test_a_cashier_has_no_campaign_pages(live_server, browser_page, factory, chain):
    factory.staff("cashier", [chain["sh"]], username="cashier.c")
    page = browser_page()
    sign_in(page, live_server, "cashier.c")
    expect(page.locator("header a", has_text="门店活动")).to_have_count(0)
    response = page.goto(live_server + "/console/campaigns")
    assert response.status == 403
