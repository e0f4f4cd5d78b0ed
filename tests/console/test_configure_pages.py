"""The marketer's task centre and earning pages (Flask test client): who may reach them, what
they save through the API's services, and that bad input is shown on its field with nothing
written (the 4xx response rolls the request back)."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from analytics import preview as cost_preview
from core.db import db
from points.earning.models import EarnRule, Promotion
from points.programme.settings import get_settings
from tasks import service as tasks
from tasks.models import Task
from tests.analytics.conftest import buy  # noqa: F401 (fixture)

PAGES = ("/console/tasks", "/console/tasks/new?kind=one_off", "/console/earning",
         "/console/earning/promotions/new")


@pytest.fixture
def people(factory):
    store = factory.store("CF01", "配置测试店")
    return {"store": store,
            "marketer": factory.staff("marketer", username="marketer.cf"),
            "hq": factory.staff("hq_admin", username="hq.cf"),
            "cashier": factory.staff("cashier", [store], username="cashier.cf"),
            "manager": factory.staff("store_manager", [store], username="manager.cf")}


@pytest.fixture
def checkin_task():
    task = tasks.save_task({"kind": "checkin", "title": "每日签到", "config": {
        "schedule": [5, 5, 5, 5, 5, 5, 30],
        "makeup": {"enabled": True, "cost_points": 20, "per_month": 2}}})
    db.session.commit()
    return task


def text(response) -> str:
    return response.get_data(as_text=True)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def schedule_fields(points) -> dict:
    return {f"schedule-{i}": str(p) for i, p in enumerate(points)}


def test_cashiers_and_store_managers_cannot_reach_the_pages(console, people):
    for who in ("cashier", "manager"):
        signed_in = console(people[who])
        for path in PAGES:
            assert signed_in.get(path).status_code == 403, (who, path)
        assert signed_in.post("/console/tasks/new?kind=one_off", {
            "title": "x", "action": "manual", "reward_points": "5"}).status_code == 403
        assert "任务中心" not in text(signed_in.get("/console/scan"))
    assert count(Task) == 0


@pytest.mark.parametrize("who", ["marketer", "hq"])
def test_marketers_and_hq_reach_every_page_from_the_menu(console, people, checkin_task, who):
    signed_in = console(people[who])
    menu = text(signed_in.get("/console/tasks"))
    assert "任务中心" in menu and "积分规则" in menu
    for path in (*PAGES, f"/console/tasks/{checkin_task.id}", "/console/tasks/new?kind=referral"):
        assert signed_in.get(path).status_code == 200, path


def test_the_task_list_shows_state_and_what_each_task_paid(console, people, checkin_task, factory):
    from tasks import checkins

    member = factory.member()
    checkins.check_in(member)
    budgeted = tasks.save_task({"kind": "one_off", "title": "关注公众号", "budget_points": 100,
                                "config": {"action": "manual", "reward_points": 10}})
    tasks.claim(member, budgeted.id)
    db.session.commit()
    page = text(console(people["marketer"]).get("/console/tasks"))
    assert f'data-task="{checkin_task.id}"' in page
    rows = {tid: page.split(f'data-task="{tid}"')[1].split("</tr>")[0]
            for tid in (checkin_task.id, budgeted.id)}
    assert ">5<" in rows[checkin_task.id].replace(" ", "") and "进行中" in rows[checkin_task.id]
    assert "10 / 100" in rows[budgeted.id]


def test_a_marketer_edits_the_check_in_schedule_and_make_up_rules(console, people, checkin_task):
    marketer = console(people["marketer"])
    marketer.get(f"/console/tasks/{checkin_task.id}")
    response = marketer.post(f"/console/tasks/{checkin_task.id}", {
        "title": "每日签到", **schedule_fields([10, 20, 30]), "makeup_enabled": "y",
        "makeup_cost": "50", "makeup_per_month": "3"})
    assert response.status_code == 302
    db.session.refresh(checkin_task)
    assert checkin_task.config == {"schedule": [10, 20, 30], "makeup": {
        "enabled": True, "cost_points": 50, "per_month": 3}}


def test_the_schedule_preview_shows_thirty_days_of_a_streak(console, people):
    marketer = console(people["marketer"])
    marketer.get("/console/tasks/new?kind=checkin")
    preview = text(marketer.post("/console/tasks/schedule-preview",
                                 schedule_fields([1, 2, 3]), headers={"HX-Request": "true"}))
    assert preview.count("<li data-day=") == 30
    assert '<li data-day="2"><small>第 2 天</small><strong>2</strong>' in preview
    assert '<li data-day="30"><small>第 30 天</small><strong>3</strong>' in preview
    assert "87" in preview  # 1 + 2 + 28 × 3
    assert count(Task) == 0


def test_a_gap_in_the_schedule_is_shown_on_its_day_and_nothing_is_saved(console, people,
                                                                        checkin_task):
    marketer = console(people["marketer"])
    marketer.get(f"/console/tasks/{checkin_task.id}")
    response = marketer.post(f"/console/tasks/{checkin_task.id}", {
        "schedule-0": "10", "schedule-1": "", "schedule-2": "30", "makeup_cost": "-5"})
    assert response.status_code == 422
    assert "第 2 天为空" in text(response)
    db.session.refresh(checkin_task)
    assert checkin_task.config["schedule"] == [5, 5, 5, 5, 5, 5, 30]


def test_the_api_schemas_messages_land_on_their_fields_and_nothing_is_written(console, people,
                                                                              checkin_task):
    marketer = console(people["marketer"])
    marketer.get(f"/console/tasks/{checkin_task.id}")
    response = marketer.post(f"/console/tasks/{checkin_task.id}", {
        **schedule_fields([10, 0]), "makeup_enabled": "y", "makeup_cost": "10",
        "makeup_per_month": "40", "budget_points": "500"})
    page = text(response)
    assert response.status_code == 422
    assert "请检查输入内容" in page
    # the per-month limit (0..31) on its own field, in Chinese
    per_month = page.split('id="makeup_per_month"')[1].split("</label>")[0]
    assert "必须在 0 到 31 之间" in per_month
    db.session.refresh(checkin_task)
    assert checkin_task.config["makeup"]["per_month"] == 2 and checkin_task.budget_points is None


def test_a_referral_task_is_created_and_its_limits_checked(console, people):
    marketer = console(people["marketer"])
    marketer.get("/console/tasks/new?kind=referral")
    bad = marketer.post("/console/tasks/new?kind=referral", {
        "inviter_points": "200", "invitee_points": "100", "trigger": "register",
        "monthly_cap": "0"})
    assert bad.status_code == 422 and "必须在 1 到 100000 之间" in text(bad)
    assert count(Task) == 0
    good = marketer.post("/console/tasks/new?kind=referral", {
        "inviter_points": "200", "invitee_points": "100", "trigger": "register",
        "monthly_cap": "5", "member_limit_points": "1000"})
    assert good.status_code == 302
    task = db.session.scalars(select(Task)).one()
    assert task.config == {"inviter_points": 200, "invitee_points": 100, "trigger": "register",
                           "monthly_cap": 5}
    assert task.member_limit_points == 1000 and task.title == "邀请好友"


def test_a_one_off_task_is_created_edited_and_deactivated(console, people):
    marketer = console(people["marketer"])
    marketer.get("/console/tasks/new?kind=one_off")
    missing = marketer.post("/console/tasks/new?kind=one_off", {"action": "manual"})
    assert missing.status_code == 422 and count(Task) == 0
    assert "必填" in text(missing).split('id="reward_points"')[1].split("</label>")[0]
    window = marketer.post("/console/tasks/new?kind=one_off", {
        "title": "关注公众号", "action": "manual", "reward_points": "10",
        "starts_at": "2027-01-02T00:00", "ends_at": "2027-01-01T00:00"})
    assert window.status_code == 422 and "必须晚于开始时间" in text(window)
    assert count(Task) == 0
    created = marketer.post("/console/tasks/new?kind=one_off", {
        "title": "关注公众号", "action": "manual", "reward_points": "10", "budget_points": "1000"})
    assert created.status_code == 302
    task = db.session.scalars(select(Task)).one()
    assert (task.config, task.budget_points) == ({"action": "manual", "reward_points": 10}, 1000)
    marketer.get(f"/console/tasks/{task.id}")
    marketer.post(f"/console/tasks/{task.id}", {"title": "关注公众号", "action": "manual",
                                                "reward_points": "15"})
    db.session.refresh(task)
    assert task.config["reward_points"] == 15 and task.budget_points is None
    marketer.get("/console/tasks")
    assert marketer.post(f"/console/tasks/{task.id}/active", {"active": "0"}).status_code == 302
    db.session.refresh(task)
    assert task.active is False


def test_a_second_active_check_in_is_refused_with_the_reason(console, people, checkin_task):
    other = tasks.save_task({"kind": "checkin", "title": "新签到", "active": False,
                             "config": {"schedule": [1]}})
    db.session.commit()
    marketer = console(people["marketer"])
    marketer.get("/console/tasks")
    response = marketer.post(f"/console/tasks/{other.id}/active", {"active": "1"})
    assert response.status_code == 409
    assert f"任务 {checkin_task.id}" in text(response)
    db.session.refresh(other)
    assert other.active is False


# --- earning -------------------------------------------------------------------------------

def test_the_earn_rate_and_a_category_rule_are_saved(console, people):
    marketer = console(people["marketer"])
    marketer.get("/console/earning")
    assert marketer.post("/console/earning/rate", {"points_per_yuan": "2"}).status_code == 302
    assert get_settings()["earn"]["points_per_yuan"] == 2
    assert marketer.post("/console/earning/rules", {
        "category": "茶饮", "multiplier": "1.5", "store_codes": "CF01"}).status_code == 302
    rule = db.session.scalars(select(EarnRule)).one()
    assert (rule.category, rule.multiplier_percent, rule.store_codes) == ("茶饮", 150, ["CF01"])
    marketer.get(f"/console/earning/rules/{rule.id}")
    marketer.post(f"/console/earning/rules/{rule.id}", {"category": "茶饮", "multiplier": "2"})
    db.session.refresh(rule)
    assert rule.multiplier_percent == 200 and rule.store_codes == []
    marketer.get("/console/earning")
    marketer.post(f"/console/earning/rules/{rule.id}/active", {"active": "0"})
    db.session.refresh(rule)
    assert rule.active is False


def test_bad_earning_input_is_shown_on_its_field_and_nothing_is_written(console, people):
    marketer = console(people["marketer"])
    marketer.get("/console/earning")
    rate = marketer.post("/console/earning/rate", {"points_per_yuan": "5000"})
    assert rate.status_code == 422 and "必须在 0 到 1000 之间" in text(rate)
    assert get_settings()["earn"]["points_per_yuan"] == 1
    rule = marketer.post("/console/earning/rules", {"category": "茶饮", "multiplier": "11"})
    assert rule.status_code == 422
    assert "必须在 1 到 10 之间" in text(rule).split('id="multiplier"')[1].split("</label>")[0]
    assert count(EarnRule) == 0


def promotion_form(**changes) -> dict:
    return {"name": "周三双倍", "kind": "multiplier", "multiplier": "2",
            "starts_at": "2026-12-01T00:00", "ends_at": "2027-01-01T00:00",
            "store_codes": "CF01", "weekdays": ["3"], "categories": "", "min_amount": "50",
            **changes}


def test_a_promotion_is_created_edited_and_deactivated(console, people):
    marketer = console(people["marketer"])
    marketer.get("/console/earning/promotions/new")
    assert marketer.post("/console/earning/promotions/new", promotion_form()).status_code == 302
    promotion = db.session.scalars(select(Promotion)).one()
    assert (promotion.multiplier_percent, promotion.store_codes, promotion.weekdays,
            promotion.min_amount_fen, promotion.store_id) == (200, ["CF01"], [3], 5000, None)
    assert "周三双倍" in text(marketer.get("/console/earning"))
    marketer.get(f"/console/earning/promotions/{promotion.id}")
    assert marketer.post(f"/console/earning/promotions/{promotion.id}", promotion_form(
        kind="bonus", bonus_points="300", weekdays=[])).status_code == 302
    db.session.refresh(promotion)
    assert (promotion.multiplier_percent, promotion.bonus_points, promotion.weekdays) == \
        (None, 300, [])
    marketer.get("/console/earning")
    marketer.post(f"/console/earning/promotions/{promotion.id}/active", {"active": "0"})
    db.session.refresh(promotion)
    assert promotion.active is False


def test_a_promotion_without_its_multiplier_or_window_is_refused_on_its_fields(console, people):
    marketer = console(people["marketer"])
    marketer.get("/console/earning/promotions/new")
    response = marketer.post("/console/earning/promotions/new", promotion_form(
        kind="bonus", bonus_points="", ends_at="2026-11-01T00:00"))
    page = text(response)
    assert response.status_code == 422 and count(Promotion) == 0
    assert "倍数或奖励积分" in page.split('id="bonus_points"')[1].split("</label>")[0]
    bad = marketer.post("/console/earning/promotions/new", promotion_form(multiplier="2.555"))
    assert bad.status_code == 422 and count(Promotion) == 0


def test_the_cost_preview_on_the_form_is_the_analytics_services_and_writes_nothing(
        console, people, factory, buy):  # noqa: F811
    store = people["store"]
    first, last = cost_preview.default_period()
    shopper, other = factory.member(), factory.member()
    buy(shopper, store, last, amount_fen=10000)
    buy(other, store, last - timedelta(days=3), amount_fen=3000)
    buy(other, store, first - timedelta(days=5), amount_fen=90000)  # before the period
    marketer = console(people["marketer"])
    marketer.get("/console/earning/promotions/new")
    before = (count(Promotion), count(EarnRule))
    response = marketer.post("/console/earning/promotions/preview", promotion_form(
        name="", starts_at="", ends_at="", weekdays=[], min_amount=""),
        headers={"HX-Request": "true"})
    page = text(response)
    expected = cost_preview.preview(cost_preview.PROMOTION, {
        "multiplier_percent": 200, "store_codes": ["CF01"]}, first, last)
    assert response.status_code == 200
    assert expected["extra_points"] == 130 and expected["orders"] == 2
    assert f'<strong class="extra-points">{expected["extra_points"]}</strong>' in page
    assert f'<strong class="orders">{expected["orders"]}</strong>' in page
    assert f'<strong class="members">{expected["members"]}</strong>' in page
    assert f'<strong class="base-points">{expected["base_points"]}</strong>' in page
    assert 'data-store="CF01"' in page
    assert (count(Promotion), count(EarnRule)) == before


def test_a_preview_of_bad_input_names_the_field(console, people):
    marketer = console(people["marketer"])
    marketer.get("/console/earning/promotions/new")
    response = marketer.post("/console/earning/promotions/preview", promotion_form(
        multiplier="20"), headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "必须在 1 到 10 之间" in text(response)
    assert count(Promotion) == 0


def test_a_category_rule_is_previewed_before_it_is_added(console, people, factory, buy):  # noqa: F811
    _first, last = cost_preview.default_period()
    buy(factory.member(), people["store"], last, amount_fen=8000,
        items=[{"category": "茶饮", "amount_fen": 5000, "quantity": 1}])
    marketer = console(people["marketer"])
    marketer.get("/console/earning")
    response = marketer.post("/console/earning/rules/preview", {
        "category": "茶饮", "multiplier": "3"}, headers={"HX-Request": "true"})
    expected = cost_preview.preview(cost_preview.EARN_RULE, {
        "category": "茶饮", "multiplier_percent": 300, "store_codes": []})
    assert expected["extra_points"] == 100
    assert '<strong class="extra-points">100</strong>' in text(response)
    assert count(EarnRule) == 0
