"""HQ's programme settings pages: the expiry rule previewed (what backfill-expiry would re-date,
as its dry run answers: a job, its panel polled) before it is saved, deduction, bonuses, point
value, tiers, and the subscribe templates with WeChat's length limits flagged. HQ only: a
marketer, a store manager and a cashier are refused."""
import html
import re

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select

from core.db import db
from core.redis import get_redis
from core.worker import queue
from points.ledger import backfill
from points.programme import settings
from points.programme.models import Tier
from tests.reminder_fixtures import Fake
from wx.fake import FakeWechatServer
from wx.models import SubscribeTemplate

PAGES = ("/console/programme", "/console/programme/tiers", "/console/programme/templates",
         "/console/programme/templates/new", "/console/programme/dry-runs/0123456789abcdef")
PREVIEW = {"section": "expiry", "action": "preview", "mode": "fixed_days", "days": "30"}


@pytest.fixture
def people(factory):
    store = factory.store("PG01", "设置测试店")
    return {"store": store, "hq": factory.staff("hq_admin", username="hq.programme"),
            "marketer": factory.staff("marketer", username="marketer.programme"),
            "manager": factory.staff("store_manager", [store], username="manager.programme"),
            "cashier": factory.staff("cashier", [store], username="cashier.programme")}


def test_only_hq_opens_the_programme_settings(console, people):
    for role in ("marketer", "manager", "cashier"):
        page = console(people[role])
        for path in PAGES:
            response = page.get(path)
            assert response.status_code == 403, (role, path)
            assert "仅以下角色可执行此操作：总部管理员" in response.get_data(as_text=True)
        menu = page.get("/console/sign-in").get_data(as_text=True)
        assert "积分规则设置" not in menu
    assert console(people["hq"]).get("/console/programme").status_code == 200


def poll(page, response):
    """What the dry run's panel shows when it polls (htmx), once."""
    url = re.search(r'class="dry-run-state"[^>]*hx-get="([^"]+)"', response.get_data(as_text=True))
    assert url, "the panel does not poll"
    return page.get(html.unescape(url.group(1)))


def test_the_expiry_preview_counts_what_a_backfill_would_change_and_writes_nothing(
        app, console, factory, people, monkeypatch):
    monkeypatch.setitem(app.config, "RQ_ASYNC", False)  # no worker: the job runs after commit
    factory.member(points=200, store=people["store"])
    factory.member(points=50, store=people["store"])
    page = console(people["hq"])
    page.get("/console/programme")
    preview = page.post("/console/programme", PREVIEW)
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "计算中…" in body and "将改为新的到期日" not in body  # the job ran after the answer
    polled = poll(page, preview).get_data(as_text=True)
    # every live lot gets a date under the new rule: 2 lots, 250 points, 2 members
    assert "2 位会员的 2 批积分共 250 分将改为新的到期日" in polled
    assert "hx-get" not in polled  # done: it polls no more
    assert settings.get_settings()["expiry"]["mode"] == "never"

    saved = page.post("/console/programme", {"section": "expiry", "action": "save",
                                             "mode": "fixed_days", "days": "30"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert settings.get_settings()["expiry"]["mode"] == "fixed_days"
    # the saved rule is the rule just previewed: its run, finished, is shown at once
    dry_run = page.get("/console/programme?dry_run=1").get_data(as_text=True)
    assert "将改写 2 批积分的到期日（2 位会员共 250 积分" in dry_run


def test_a_preview_answers_before_the_dry_run_and_a_worker_s_result_is_polled(
        app, console, factory, people, monkeypatch):
    monkeypatch.setitem(app.config, "RQ_ASYNC", True)  # a worker's queue: nothing runs here
    ran = []
    monkeypatch.setattr(backfill, "dry_run", lambda *a, _real=backfill.dry_run, **kw:
                        ran.append(a) or _real(*a, **kw))
    factory.member(points=200, store=people["store"])
    page = console(people["hq"])
    page.get("/console/programme")
    preview = page.post("/console/programme", PREVIEW)
    assert preview.status_code == 200 and ran == []  # the request answered without it
    assert "计算中…" in preview.get_data(as_text=True)
    assert "等待后台任务执行" in poll(page, preview).get_data(as_text=True)
    page.post("/console/programme", PREVIEW)  # clicked again: the same run
    assert queue().count == 1

    SimpleWorker([queue()], connection=get_redis()).work(burst=True)
    assert len(ran) == 1 and queue().count == 0
    assert "1 位会员的 1 批积分共 200 分将改为新的到期日" in poll(page, preview).get_data(
        as_text=True)
    again = page.post("/console/programme", PREVIEW).get_data(as_text=True)
    assert "1 位会员的 1 批积分共 200 分将改为新的到期日" in again  # finished: shown at once
    assert queue().count == 0 and len(ran) == 1


def test_the_saved_rule_s_dry_run_is_polled_too(app, console, factory, people, monkeypatch):
    monkeypatch.setitem(app.config, "RQ_ASYNC", False)
    factory.member(points=120, store=people["store"])
    settings.update_settings({"expiry": {"mode": "year_end"}})
    page = console(people["hq"])
    dry_run = page.get("/console/programme?dry_run=1")
    assert "计算中…" in dry_run.get_data(as_text=True)
    assert "将改写 1 批积分的到期日（1 位会员共 120 积分" in poll(page, dry_run).get_data(
        as_text=True)


def test_a_failed_dry_run_says_so_and_is_asked_again(app, console, factory, people,
                                                     monkeypatch):
    monkeypatch.setitem(app.config, "RQ_ASYNC", False)

    def broken(*_args, **_kwargs):
        raise RuntimeError("database went away")

    page = console(people["hq"])
    page.get("/console/programme")
    with monkeypatch.context() as patched:
        patched.setattr(backfill, "dry_run", broken)
        failed = page.post("/console/programme", PREVIEW)
        assert "试运行失败" in poll(page, failed).get_data(as_text=True)
    again = page.post("/console/programme", PREVIEW)
    assert "计算中…" in again.get_data(as_text=True)
    assert "0 位会员的 0 批积分共 0 分" in poll(page, again).get_data(as_text=True)


def test_a_dry_run_no_longer_kept_is_asked_again(console, people):
    page = console(people["hq"])
    gone = page.get("/console/programme/dry-runs/0123456789abcdef").get_data(as_text=True)
    assert "该结果已不再保留" in gone and "hx-get" not in gone


def test_the_cli_dry_run_and_the_console_count_alike(app, factory, people):
    factory.member(points=120, store=people["store"])
    settings.update_settings({"expiry": {"mode": "year_end"}})
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["points", "backfill-expiry", "--dry-run"])
    assert "would re-date 1 lots (120 points of 1 members" in result.output


@pytest.mark.parametrize("form, field", [
    ({"section": "expiry", "mode": "fixed_days", "days": "0"}, "days"),
    ({"section": "deduction", "points_per_yuan": "0", "max_ratio_percent": "50"},
     "points_per_yuan"),
    ({"section": "deduction", "points_per_yuan": "100", "max_ratio_percent": "101"},
     "max_ratio_percent"),
    ({"section": "bonus", "registration_bonus": "-1", "first_order_bonus": "0"},
     "registration_bonus"),
    ({"section": "point_value", "point_value_fen": "10001"}, "point_value_fen"),
])
def test_settings_out_of_range_are_refused_by_field_and_nothing_changes(console, people, form,
                                                                        field):
    before = settings.get_settings()
    page = console(people["hq"])
    page.get("/console/programme")
    response = page.post("/console/programme", {**form, "action": "save"})
    assert response.status_code == 422
    assert field in response.get_data(as_text=True)
    db.session.expire_all()
    assert settings.get_settings() == before


def test_deduction_bonuses_and_point_value_are_saved(console, people):
    page = console(people["hq"])
    page.get("/console/programme")
    for form in ({"section": "deduction", "points_per_yuan": "100", "max_ratio_percent": "30"},
                 {"section": "bonus", "registration_bonus": "50", "first_order_bonus": "20"},
                 {"section": "point_value", "point_value_fen": "2"}):
        assert page.post("/console/programme", form).status_code == 302, form
    db.session.expire_all()
    now = settings.get_settings()
    assert (now["deduction"], now["registration_bonus"], now["first_order_bonus"],
            now["point_value_fen"]) == ({"points_per_yuan": 100, "max_ratio_percent": 30}, 50,
                                        20, 2)
    assert "100 积分价值 ¥2.00" in page.get("/console/programme").get_data(as_text=True)


def test_tiers_are_created_and_edited(console, people):
    page = console(people["hq"])
    page.get("/console/programme/tiers")
    created = page.post("/console/programme/tiers", {
        "code": "gold", "name": "金卡", "threshold_points": "5000", "multiplier": "1.5",
        "benefits": "生日双倍积分\n专属客服"}, content_type="multipart/form-data")
    assert created.status_code == 302
    taken = page.post("/console/programme/tiers", {
        "code": "gold", "name": "又一个金卡", "threshold_points": "1", "multiplier": "1"},
        content_type="multipart/form-data")
    bad = page.post("/console/programme/tiers", {
        "code": "plat", "name": "白金", "threshold_points": "9000", "multiplier": "11"},
        content_type="multipart/form-data")
    assert (taken.status_code, bad.status_code) == (409, 422)
    assert "multiplier" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Tier)) == 1

    page.get("/console/programme/tiers/gold")
    edited = page.post("/console/programme/tiers/gold", {
        "name": "金卡会员", "threshold_points": "6000", "multiplier": "2", "active": "y"},
        content_type="multipart/form-data")
    assert edited.status_code == 302
    tier = db.session.scalars(select(Tier).filter_by(code="gold")).one()
    db.session.refresh(tier)
    assert (tier.name, tier.threshold_points, tier.multiplier_percent) == ("金卡会员", 6000, 200)
    listed = page.get("/console/programme/tiers").get_data(as_text=True)
    assert "金卡会员" in listed and "×2.00" in listed


@pytest.fixture(scope="module")
def _wechat():
    with FakeWechatServer() as server:
        yield server


@pytest.fixture
def account(app, _wechat, monkeypatch):
    fake = Fake(_wechat)
    fake.reset()
    fake.add_template("tpl-expiring", {"thing1": "tip", "number2": "points",
                                       "date3": "expiry_date"})
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", _wechat.url)
    return fake


def template_form(**more) -> dict:
    form = {"purpose": "points_expiring", "template_id": "tpl-expiring",
            "opens": "pages/points/index", "tip": "您的积分即将过期，请尽快到店使用哦",
            "rows-0-key": "thing1", "rows-0-source": "tip",
            "rows-1-key": "number2", "rows-1-source": "points",
            "rows-2-key": "date3", "rows-2-source": "expiry_date"}
    form.update(more)
    return form


def test_the_template_preview_flags_wechats_limits(console, people):
    page = console(people["hq"])
    page.get("/console/programme/templates/new")
    preview = page.post("/console/programme/templates/preview", template_form(**{
        "tip": "您的积分即将过期，请尽快到店使用哦，过期作废不补",
        "rows-3-key": "phrase4", "rows-3-source": "tip",
        "rows-4-key": "number5", "rows-4-source": "expiry_date"}),
        headers={"HX-Request": "true"})
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "24 个字符：微信只显示前 20 个" in body       # thing ≤ 20
    assert "24 个字符：微信只显示前 5 个" in body        # phrase ≤ 5
    assert "此字段类型无法显示该内容；请用 date / thing" in body
    assert "您的积分即将过期，请尽快到店使用哦，过期" in body  # what the member sees: 20 characters
    assert db.session.scalar(select(func.count()).select_from(SubscribeTemplate)) == 0


def test_a_template_mapping_is_saved_checked_against_wechat_and_edited(console, people,
                                                                      account):
    page = console(people["hq"])
    page.get("/console/programme/templates/new")
    unknown = page.post("/console/programme/templates/new",
                        template_form(template_id="tpl-nope"))
    assert unknown.status_code == 422 and "tpl-nope" in unknown.get_data(as_text=True)
    assert page.post("/console/programme/templates/new", template_form()).status_code == 302
    template = db.session.scalars(select(SubscribeTemplate)).one()
    assert template.fields == {"thing1": "tip", "number2": "points", "date3": "expiry_date"}

    page.get(f"/console/programme/templates/{template.id}")
    changed = page.post(f"/console/programme/templates/{template.id}",
                        template_form(tip="积分快过期啦", active="y"))
    assert changed.status_code == 302
    db.session.refresh(template)
    assert template.tip == "积分快过期啦"
    dropped = page.post(f"/console/programme/templates/{template.id}",
                        template_form(**{"rows-2-key": "", "active": "y"}))
    assert dropped.status_code == 422 and "date3" in dropped.get_data(as_text=True)
