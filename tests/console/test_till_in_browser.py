"""The till's pages in headless Chromium against a live server on the test database (MariaDB +
Redis in CI): what a cashier and a store manager see and do. Screenshots at 1024×768 go to
artefacts/ (looked at; not committed)."""
import uuid
from datetime import timedelta

import pytest
import requests
from playwright.sync_api import expect

from core import clock
from core.db import db
from mall import catalog
from points.programme.settings import update_settings
from tests.console.conftest import PASSWORD, screenshot

pytestmark = pytest.mark.committing


@pytest.fixture
def shop(factory):
    sh, bj = factory.store("SH01", "上海测试店"), factory.store("BJ01", "北京测试店")
    update_settings({"deduction": {"points_per_yuan": 100, "max_ratio_percent": 20}})
    db.session.commit()
    return {
        "sh": sh, "bj": bj,
        "cashier": factory.staff("cashier", [sh], username="cashier.sh.t"),
        "bj_cashier": factory.staff("cashier", [bj], username="cashier.bj.t"),
        "manager": factory.staff("store_manager", [sh, bj], username="manager.t"),
        "hq": factory.staff("hq_admin", username="hq.t"),
        "member": factory.member(phone="13912345678", nickname="小王", points=1000, store=sh),
    }


def sign_in(page, base, username):
    page.goto(base + "/console/sign-in")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")


def member_code(base, factory, member):
    response = requests.get(base + "/api/v1/me/member-code", timeout=10,
                            headers={"Authorization": f"Bearer {factory.member_token(member)}"})
    assert response.status_code == 200
    return response.json()["code"]


def scan(page, value):
    page.fill("input[name=code]", value)
    page.press("input[name=code]", "Enter")
    page.wait_for_load_state("networkidle")


def test_a_cashier_scans_a_member_code_and_records_a_purchase(live_server, browser_page,
                                                              factory, shop):
    page = browser_page()
    sign_in(page, live_server, "cashier.sh.t")
    expect(page.locator("header .store")).to_contain_text("上海测试店")
    expect(page.locator("input[name=code]")).to_be_focused()
    screenshot(page, "1-scan")

    scan(page, member_code(live_server, factory, shop["member"]))
    expect(page.locator("[data-member-no]")).to_have_text(shop["member"].member_no)
    expect(page.locator("[data-balance]")).to_have_text("1000")
    assert page.url.endswith(f"/console/members/{shop['member'].member_no}")
    screenshot(page, "2-member-card")

    page.fill("input[name=order_no]", "T-0001")
    page.fill("input[name=amount]", "12.50")
    page.press("input[name=amount]", "Enter")
    page.wait_for_load_state("networkidle")
    expect(page.locator("article.result")).to_contain_text("获得 12 积分")
    expect(page.locator("[data-balance]")).to_have_text("1012")
    screenshot(page, "3-purchase-recorded")

    page.fill("input[name=order_no]", "T-0001")  # the same order again: its first result
    page.fill("input[name=amount]", "12.50")
    page.press("input[name=amount]", "Enter")
    page.wait_for_load_state("networkidle")
    expect(page.locator("article.result")).to_contain_text("已记录过")
    expect(page.locator("[data-balance]")).to_have_text("1012")


def test_paying_with_points_quotes_the_cap_then_spends(live_server, browser_page, factory, shop):
    page = browser_page()
    sign_in(page, live_server, "cashier.sh.t")
    scan(page, shop["member"].phone[3:])  # a phone typed at the till finds the member too
    page.locator("summary", has_text="积分抵现").click()
    page.fill("form[action$='/deductions/quote'] input[name=amount]", "30")
    page.press("form[action$='/deductions/quote'] input[name=amount]", "Enter")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".quote")).to_contain_text("最多可用 600 积分抵 ¥6.00")
    expect(page.locator(".quote")).to_contain_text("20%")
    screenshot(page, "4-pay-with-points-quote")
    page.fill("form[action$='/deductions'] input[name=order_no]", "T-0002")
    page.press("form[action$='/deductions'] input[name=order_no]", "Enter")
    page.wait_for_load_state("networkidle")
    expect(page.locator("article.result")).to_contain_text("已用 600 积分")
    expect(page.locator("[data-balance]")).to_have_text("400")


def test_a_refund_takes_back_the_points_in_proportion(live_server, browser_page, factory, shop):
    page = browser_page()
    sign_in(page, live_server, "cashier.sh.t")
    scan(page, shop["member"].member_no)
    page.fill("input[name=order_no]", "T-0003")
    page.fill("input[name=amount]", "100")
    page.press("input[name=amount]", "Enter")
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-balance]")).to_have_text("1100")

    page.click("header >> text=退款")
    expect(page.locator("h1")).to_contain_text("本店订单退款")
    page.fill("input[name=order_no]", "T-0003")
    page.press("input[name=order_no]", "Enter")
    page.wait_for_load_state("networkidle")
    expect(page.locator("input[name=amount]")).to_have_value("100.00")
    page.fill("input[name=amount]", "25")
    screenshot(page, "5-refund")
    page.press("input[name=amount]", "Enter")
    page.wait_for_load_state("networkidle")
    expect(page.locator("article.result")).to_contain_text("扣回积分: 25")
    expect(page.locator("article.result .balance-now")).to_have_text("1075")


def test_a_pickup_code_from_a_real_redemption_is_handed_over_once(live_server, browser_page,
                                                                  factory, shop):
    gift = catalog.create_product({"title": "帆布袋", "kind": "gift", "points_price": 300,
                                   "cash_price_fen": 990, "stock": 5})
    db.session.commit()
    redeemed = requests.post(live_server + "/api/v1/mall/redemptions", timeout=10,
                             json={"product_id": gift.id, "quantity": 1, "store_code": "SH01"},
                             headers={"Authorization": f"Bearer {factory.member_token(shop['member'])}",
                                      "Idempotency-Key": uuid.uuid4().hex})
    assert redeemed.status_code == 201
    pickup_code = redeemed.json()["pickup_code"]

    other = browser_page()  # a cashier of another store is refused, and nothing is handed over
    sign_in(other, live_server, "cashier.bj.t")
    other.click("header >> text=提货与核券")
    other.fill("input[name=pickup_code]", pickup_code)
    other.press("input[name=pickup_code]", "Enter")
    other.wait_for_load_state("networkidle")
    expect(other.locator(".refused")).to_contain_text("此礼品需在门店 SH01 领取")

    page = browser_page()
    sign_in(page, live_server, "cashier.sh.t")
    page.click("header >> text=提货与核券")
    expect(page.locator("input[name=pickup_code]")).to_be_focused()
    page.fill("input[name=pickup_code]", pickup_code)
    page.press("input[name=pickup_code]", "Enter")
    page.wait_for_load_state("networkidle")
    expect(page.locator("article.result")).to_contain_text("请交付：帆布袋 × 1")
    expect(page.locator("article.result")).to_contain_text("请向顾客收取 ¥9.90")
    screenshot(page, "6-pickup-handed-over")
    page.fill("input[name=pickup_code]", pickup_code)
    page.press("input[name=pickup_code]", "Enter")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".refused")).to_contain_text("已领取")


def test_a_cashier_cannot_act_for_another_store(live_server, browser_page, shop):
    page = browser_page()
    sign_in(page, live_server, "cashier.bj.t")
    page.goto(live_server + "/console/stores")
    page.evaluate("document.querySelector('input[name=store_code]').value = 'SH01'")
    page.click("form button[type=submit] >> nth=-1")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".refused")).to_contain_text("你无权操作此门店")
    page.goto(live_server + "/console/today")
    expect(page.locator("header .store")).to_contain_text("北京测试店")


def test_an_expired_member_code_asks_the_customer_to_refresh(live_server, browser_page,
                                                             factory, shop):
    page = browser_page()
    sign_in(page, live_server, "cashier.sh.t")
    code = member_code(live_server, factory, shop["member"])
    clock.set(clock.now() + timedelta(seconds=91))
    scan(page, code)
    expect(page.locator(".refused")).to_contain_text("会员码已过期：请顾客在小程序中刷新后重新出示")
    expect(page.locator("input[name=code]")).to_be_focused()
    screenshot(page, "7-expired-code")


def test_a_form_posted_without_its_csrf_token_is_refused(live_server, browser_page, shop):
    page = browser_page()
    sign_in(page, live_server, "cashier.sh.t")
    scan(page, shop["member"].member_no)
    expect(page.locator("[data-balance]")).to_have_text("1000")
    page.evaluate("document.querySelector('form[action$=\"/orders\"] input[name=csrf_token]').remove();"
                  "document.body.removeAttribute('hx-headers')")
    page.fill("input[name=order_no]", "T-CSRF")
    page.fill("input[name=amount]", "50")
    page.press("input[name=amount]", "Enter")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".refused")).to_contain_text("不是从本管理台页面提交的")
    page.goto(live_server + f"/console/members/{shop['member'].member_no}")
    expect(page.locator("[data-balance]")).to_have_text("1000")


def test_a_manager_adjusts_points_with_a_reason_and_the_audit_log_shows_it(
        live_server, browser_page, factory, shop):
    page = browser_page()
    sign_in(page, live_server, "manager.t")
    expect(page.locator("h1")).to_contain_text("你在哪家门店")  # a manager of two stores picks one
    screenshot(page, "8-store-picker")
    page.click("button:has-text('上海测试店')")
    page.wait_for_load_state("networkidle")
    expect(page.locator("header .store")).to_contain_text("上海测试店")
    scan(page, shop["member"].member_no)
    page.locator("summary", has_text="调整积分").click()
    page.fill("input[name=delta]", "-50")
    page.fill("textarea[name=reason]", "补录重复积分")
    screenshot(page, "9-adjust")
    page.click("button:has-text('调整积分')")
    page.wait_for_load_state("networkidle")
    expect(page.locator("article.result")).to_contain_text("积分已调整 -50")
    expect(page.locator("[data-balance]")).to_have_text("950")

    with page.expect_navigation():
        page.click("header >> text=审计日志")
    expect(page.locator("h1")).to_contain_text("审计日志")
    row = page.locator("table.audit tbody tr").first
    expect(row).to_contain_text("manager.t")
    expect(row).to_contain_text("调整积分")
    expect(row).to_contain_text("补录重复积分")
    expect(row).to_contain_text("-50")
    expect(row).to_contain_text("上海测试店")
    screenshot(page, "12-audit-log")
    with page.expect_navigation():  # the member it names opens their card
        row.locator(f"a:has-text('{shop['member'].member_no}')").click()
    expect(page.locator("[data-balance]")).to_have_text("950")

    log = requests.get(live_server + "/api/v1/admin/audit-log?action=points.adjust", timeout=10,
                       headers={"Authorization": f"Bearer {factory.staff_token(shop['hq'])}"})
    entry = log.json()["items"][0]
    assert (entry["actor_name"], entry["reason"]) == ("manager.t", "补录重复积分")
    assert entry["after"]["delta"] == -50


def test_a_cashier_is_not_offered_an_adjustment(live_server, browser_page, shop):
    page = browser_page()
    sign_in(page, live_server, "cashier.sh.t")
    scan(page, shop["member"].member_no)
    expect(page.locator("summary", has_text="调整积分")).to_have_count(0)


def test_today_at_this_store_adds_up_the_shift(live_server, browser_page, shop):
    page = browser_page()
    sign_in(page, live_server, "cashier.sh.t")
    scan(page, shop["member"].member_no)
    for order_no, amount in (("T-1", "10"), ("T-2", "20.5")):
        page.fill("input[name=order_no]", order_no)
        page.fill("input[name=amount]", amount)
        with page.expect_navigation():  # the recorded purchase's page, before the next step
            page.press("input[name=amount]", "Enter")
    with page.expect_navigation():
        page.click("header >> text=今日")
    expect(page.locator("h1")).to_contain_text("今日汇总")
    expect(page.locator(".totals article").first).to_contain_text("¥30.50")
    screenshot(page, "10-today")
    with page.expect_download() as download:
        page.click("text=下载 CSV")
    content = open(download.value.path(), encoding="utf-8-sig").read()
    assert "T-1" in content and "20.50" in content


def test_the_member_card_fits_a_phone(live_server, browser_page, shop):
    page = browser_page(390, 844)
    sign_in(page, live_server, "cashier.sh.t")
    scan(page, shop["member"].member_no)
    expect(page.locator("[data-balance]")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    screenshot(page, "11-member-card-phone")
