"""The marketer's task centre and earning pages in headless Chromium against a live server: a
new check-in schedule is what the member's next check-in pays, and a promotion's cost preview
on its form is the analytics service's answer for the seeded orders. Screenshots at 1024×768
go to artefacts/ (looked at; not committed)."""
from datetime import timedelta

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select

from analytics import preview as cost_preview
from core.db import db
from points.earning.models import Promotion
from points.ledger.models import PointsEntry
from tasks import service as tasks
from tests.analytics.conftest import buy  # noqa: F401 (fixture)
from tests.console.conftest import screenshot
from tests.console.test_till_in_browser import sign_in

pytestmark = pytest.mark.committing


@pytest.fixture
def programme(factory):
    sh, bj = factory.store("SH01", "上海测试店"), factory.store("BJ01", "北京测试店")
    checkin = tasks.save_task({"kind": "checkin", "title": "每日签到", "config": {
        "schedule": [5, 5, 5, 5, 5, 5, 30],
        "makeup": {"enabled": True, "cost_points": 20, "per_month": 2}}})
    tasks.save_task({"kind": "one_off", "title": "关注公众号", "budget_points": 10000,
                     "config": {"action": "manual", "reward_points": 10}})
    db.session.commit()
    return {"sh": sh, "bj": bj, "checkin": checkin,
            "marketer": factory.staff("marketer", username="marketer.b")}


def test_a_marketer_edits_the_check_in_schedule_and_the_next_check_in_pays_it(
        live_server, browser_page, factory, programme):
    member = factory.member()
    page = browser_page()
    sign_in(page, live_server, "marketer.b")
    page.locator("summary", has_text="配置").click()
    page.click("text=任务中心")
    expect(page.locator("h1")).to_have_text("任务中心")
    expect(page.locator(f"tr[data-task='{programme['checkin'].id}'] .state")).to_contain_text("进行中")
    screenshot(page, "20-task-centre")
    page.click("table.tasks a:has-text('每日签到')")
    expect(page.locator("#schedule-preview li[data-day='1'] strong")).to_have_text("5")
    page.fill("input[name=schedule-0]", "12")
    page.fill("input[name=schedule-1]", "15")
    expect(page.locator("#schedule-preview li[data-day='1'] strong")).to_have_text("12")
    expect(page.locator("#schedule-preview li[data-day='2'] strong")).to_have_text("15")
    expect(page.locator("#schedule-preview")).to_contain_text("连续签到 30 天共得 767 积分")
    screenshot(page, "21-check-in-schedule")
    page.fill("input[name=makeup_per_month]", "40")  # over the API's 31
    page.click("form.task-form button[type=submit]")
    expect(page.locator(".refused")).to_be_visible()
    expect(page.locator("label[for=makeup_per_month] small.error")).to_contain_text("0 到 31")
    screenshot(page, "22-check-in-refused")
    page.fill("input[name=makeup_per_month]", "3")
    page.click("form.task-form button[type=submit]")
    expect(page.locator(".notice.success")).to_contain_text("已保存")

    checked_in = requests.post(live_server + "/api/v1/me/checkins", timeout=10, json={},
                               headers={"Authorization": f"Bearer {factory.member_token(member)}"})
    assert checked_in.status_code == 201 and checked_in.json()["points"] == 12
    db.session.expire_all()
    entry = db.session.scalars(select(PointsEntry).filter_by(member_id=member.id,
                                                             kind="checkin")).one()
    assert entry.delta == 12
    calendar = requests.get(live_server + "/api/v1/me/checkins", timeout=10, headers={
        "Authorization": f"Bearer {factory.member_token(member)}"}).json()
    assert calendar["schedule"][:2] == [12, 15] and calendar["next_points"] == 15


def test_a_marketer_previews_a_promotions_cost_then_saves_it(live_server, browser_page, factory,
                                                             programme, buy):  # noqa: F811
    first, last = cost_preview.default_period()
    shoppers = [factory.member() for _ in range(3)]
    buy(shoppers[0], programme["sh"], last, amount_fen=12000)
    buy(shoppers[1], programme["sh"], last - timedelta(days=1), amount_fen=4550)
    buy(shoppers[2], programme["bj"], last - timedelta(days=2), amount_fen=20000)
    buy(shoppers[2], programme["sh"], first - timedelta(days=3), amount_fen=99900)  # earlier
    expected = cost_preview.preview(cost_preview.PROMOTION, {
        "multiplier_percent": 200, "store_codes": ["SH01"]}, first, last)
    assert (expected["orders"], expected["extra_points"]) == (2, 165)

    page = browser_page()
    sign_in(page, live_server, "marketer.b")
    page.goto(live_server + "/console/earning")
    expect(page.locator("h1")).to_have_text("积分规则")
    page.click("text=新建促销活动")
    page.fill("input[name=name]", "上海店双倍积分")
    page.fill("input[name=multiplier]", "2")
    page.fill("input[name=store_codes]", "SH01")
    page.click("button:has-text('预估成本')")
    result = page.locator("#cost-preview")
    expect(result.locator(".extra-points")).to_have_text(str(expected["extra_points"]))
    expect(result.locator(".orders")).to_have_text(str(expected["orders"]))
    expect(result.locator(".members")).to_have_text(str(expected["members"]))
    expect(result.locator(".base-points")).to_have_text(str(expected["base_points"]))
    expect(result.locator(".extra-value")).to_have_text(
        f"¥{expected['extra_value_fen'] / 100:,.2f}")
    expect(result.locator("tr[data-store=SH01]")).to_contain_text("165")
    result.scroll_into_view_if_needed()
    screenshot(page, "23-promotion-cost-preview")
    db.session.expire_all()
    assert db.session.scalars(select(Promotion)).first() is None  # a preview writes nothing

    page.fill("input[name=starts_at]", f"{last + timedelta(days=1)}T00:00")
    page.fill("input[name=ends_at]", f"{last + timedelta(days=31)}T00:00")
    page.click("button:has-text('保存促销活动')")
    expect(page.locator("table.promotions")).to_contain_text("上海店双倍积分")
    screenshot(page, "24-earning")
    db.session.expire_all()
    saved = db.session.scalars(select(Promotion)).one()
    assert (saved.multiplier_percent, saved.store_codes) == (200, ["SH01"])


def test_a_marketer_sets_up_referral_rewards_and_a_one_off_task(live_server, browser_page,
                                                                programme):
    page = browser_page()
    sign_in(page, live_server, "marketer.b")
    page.goto(live_server + "/console/tasks")
    page.click("text=新建邀请任务")
    # the boosted swap settles, then focuses the title: typing before that would go astray
    expect(page.locator("input[name=title]")).to_be_focused()
    page.fill("input[name=inviter_points]", "200")
    page.fill("input[name=invitee_points]", "100")
    page.select_option("select[name=trigger]", "first_order")
    page.fill("input[name=monthly_cap]", "10")
    page.fill("input[name=member_limit_points]", "5000")
    page.fill("input[name=budget_points]", "100000")
    screenshot(page, "25-referral-task")
    page.click("form.task-form button[type=submit]")
    expect(page.locator(".notice.success")).to_contain_text("邀请好友")
    page.goto(live_server + "/console/tasks/new?kind=one_off")
    page.fill("input[name=title]", "完善生日信息")
    page.select_option("select[name=action]", "complete_profile")
    page.click("form.task-form button[type=submit]")
    expect(page.locator("label[for=reward_points] small.error")).to_contain_text("必填")
    page.fill("input[name=reward_points]", "30")
    page.click("form.task-form button[type=submit]")
    expect(page.locator(".notice.success")).to_contain_text("完善生日信息")
    page.click("text=全部任务")
    expect(page.locator("table.tasks tr", has_text="完善生日信息")).to_contain_text("30")
    expect(page.locator("table.tasks tr", has_text="邀请好友")).to_contain_text("0 / 100000")
    screenshot(page, "26-task-centre-after")
