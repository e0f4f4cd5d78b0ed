"""The lottery pages in headless Chromium against a live server: a marketer sets up a prize
table and sees its odds as they type, a member draws, the draw log shows the prize waiting
for pickup (and its CSV has it), a cashier hands the gift over on the mall's pickup page, and
a cashier cannot open the lottery pages. Screenshots at 1024×768 go to artefacts/."""
import csv
import io
import uuid
from datetime import timedelta

import pytest
import requests
from playwright.sync_api import expect

from core import clock
from core.db import db
from mall import catalog
from tests.console.conftest import screenshot
from tests.console.test_till_in_browser import sign_in

pytestmark = pytest.mark.committing


@pytest.fixture
def people(factory):
    store = factory.store("SH01", "上海测试店")
    return {"store": store,
            "marketer": factory.staff("marketer", username="marketer.t"),
            "cashier": factory.staff("cashier", [store], username="cashier.lottery.t"),
            "member": factory.member(nickname="小李", points=1000, store=store)}


def _local(moment):
    return moment.astimezone(clock.business_tz()).strftime("%Y-%m-%dT%H:%M")


def _prize_row(page, n, name, kind, weight, **more):
    page.fill(f"input[name='prizes-{n}-name']", name)
    page.select_option(f"select[name='prizes-{n}-kind']", kind)
    page.fill(f"input[name='prizes-{n}-weight']", str(weight))
    for field, value in more.items():
        page.fill(f"input[name='prizes-{n}-{field}']", str(value))


def test_a_marketer_runs_a_lottery_from_prize_table_to_handed_over_gift(
        live_server, browser_page, people):
    mug = catalog.create_product({"title": "保温杯", "kind": "gift", "points_price": 1000,
                                  "stock": 10})
    db.session.commit()
    page = browser_page()
    sign_in(page, live_server, "marketer.t")
    expect(page.locator("h1")).to_have_text("数据看板")  # a marketer lands on the dashboard
    page.goto(live_server + "/console/lotteries")
    expect(page.locator("h1")).to_have_text("积分抽奖")

    page.click("text=新建抽奖")
    page.fill("input[name=name]", "周末幸运抽奖")
    page.fill("input[name=cost_points]", "50")
    page.fill("input[name=starts_at]", _local(clock.now() - timedelta(hours=1)))
    page.fill("input[name=ends_at]", _local(clock.now() + timedelta(days=7)))
    page.fill("input[name=daily_limit]", "3")
    _prize_row(page, 0, "保温杯", "gift", 1, stock=5, product_id=mug.id, value="35.00")
    _prize_row(page, 1, "谢谢参与", "none", 3)
    odds = page.locator("td[data-odds]")
    expect(odds.nth(0)).to_have_text("25.00%")  # worked out as it is typed
    expect(odds.nth(1)).to_have_text("75.00%")
    screenshot(page, "lottery-editor")
    page.click("button:has-text('创建抽奖')")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".notice")).to_contain_text("已创建抽奖「周末幸运抽奖」")

    # the saved table: take the "nothing" line off, so the next draw wins the gift
    expect(page.locator("input[name='prizes-1-name']")).to_have_value("谢谢参与")
    page.fill("input[name='prizes-1-name']", "")
    expect(odds.nth(0)).to_have_text("100.00%")
    page.click("button:has-text('保存')")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".notice")).to_contain_text("抽奖已保存")
    lottery_id = int(page.url.rstrip("/").split("/")[-1])

    drawn = requests.post(f"{live_server}/api/v1/lotteries/{lottery_id}/draws", json={},
                          timeout=10, headers={
                              "Authorization": f"Bearer {_token(people)}",
                              "Idempotency-Key": uuid.uuid4().hex})
    assert drawn.status_code == 201, drawn.text
    pickup_code = drawn.json()["prize"]["pickup_code"]
    assert pickup_code

    page.click("text=抽奖记录")
    page.wait_for_load_state("networkidle")
    row = page.locator("table.draws tbody tr").first
    expect(row).to_contain_text(people["member"].member_no)
    expect(row).to_contain_text("保温杯")
    expect(row).to_contain_text(f"待领取 · 提货码 {pickup_code}")
    screenshot(page, "lottery-draw-log")
    exported = requests.get(f"{live_server}/console/lotteries/{lottery_id}/draws.csv",
                            cookies=_cookies(page), timeout=10)
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[1][2:5] == [people["member"].member_no, "won", "保温杯"]
    assert rows[1][7] == pickup_code

    till = browser_page()  # the store hands the gift over on the mall's pickup page
    sign_in(till, live_server, "cashier.lottery.t")
    expect(till.locator("header")).not_to_contain_text("积分抽奖")
    till.click("header >> text=提货与核券")
    till.fill("input[name=pickup_code]", pickup_code)
    till.press("input[name=pickup_code]", "Enter")
    till.wait_for_load_state("networkidle")
    expect(till.locator("article.result")).to_contain_text("请交付：保温杯 × 1")
    till.goto(f"{live_server}/console/lotteries")
    expect(till.locator("main")).to_contain_text("仅以下角色可执行此操作：总部管理员, 市场人员")
    assert till.locator("table.lotteries").count() == 0

    page.reload()
    expect(page.locator("table.draws tbody tr").first).to_contain_text("已领取")


def test_a_prize_table_the_api_refuses_is_shown_with_its_reasons(live_server, browser_page,
                                                                 people):
    page = browser_page()
    sign_in(page, live_server, "marketer.t")
    page.goto(live_server + "/console/lotteries/new")
    page.fill("input[name=name]", "无效抽奖")
    page.fill("input[name=cost_points]", "50")
    page.fill("input[name=starts_at]", _local(clock.now()))
    page.fill("input[name=ends_at]", _local(clock.now() + timedelta(days=1)))
    _prize_row(page, 0, "积分红包", "points", 1)  # a points prize without its points
    page.click("button:has-text('创建抽奖')")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".refused")).to_contain_text("points")
    screenshot(page, "lottery-refused")
    page.goto(live_server + "/console/lotteries")
    expect(page.locator("main")).to_contain_text("还没有抽奖活动")


def _token(people):
    from core.auth import issue_member_token
    return issue_member_token(people["member"].id, people["member"].token_version)


def _cookies(page):
    return {c["name"]: c["value"] for c in page.context.cookies()}
