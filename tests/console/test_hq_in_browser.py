"""HQ's pages in headless Chromium against a live server: HQ uploads a bulk points file, reads
the dry run, runs it to done and downloads the report, then uploads the same file again and
the balances move once; HQ issues a POS key and sees its secret once; a marketer is offered
no HQ page and is refused one typed in, but reads a member's record (its tier history too).
Screenshots at 1024×768 go to artefacts/."""
import pytest
from playwright.sync_api import expect

from core.db import db
from points import ledger
from points.programme import tiers
from tests.console.conftest import screenshot
from tests.console.test_till_in_browser import sign_in

pytestmark = pytest.mark.committing


@pytest.fixture
def chain(factory):
    sh = factory.store("SH01", "上海测试店")
    return {"sh": sh, "hq": factory.staff("hq_admin", username="hq.b"),
            "marketer": factory.staff("marketer", username="mk.b"),
            "a": factory.member(points=100), "b": factory.member(phone="+8613800138777")}


def upload(page, base, data: bytes):
    page.goto(base + "/console/hq/points-imports")
    page.set_input_files("input[name=file]", files=[
        {"name": "bulk.csv", "mimeType": "text/csv", "buffer": data}])
    page.click("button[type=submit]:has-text('上传并试运行')")
    expect(page.locator("#import-progress")).to_be_visible()


def test_hq_runs_a_bulk_file_twice_and_the_balances_move_once(
        live_server, browser_page, app, monkeypatch, chain):
    monkeypatch.setitem(app.config, "RQ_ASYNC", False)  # no worker here: the job runs at once
    a, b = chain["a"], chain["b"]
    data = (f"member_no,delta,reason\n{a.member_no},50,系统故障补偿\n{a.member_no},50,系统故障补偿\n"
            f"M404,10,补偿\n{a.member_no},-500,扣回\n{a.member_no},x,补偿\n").encode("utf-8-sig")
    page = browser_page()
    sign_in(page, live_server, "hq.b")
    upload(page, live_server, data)
    for row, outcome in ((2, "ok"), (3, "duplicate_row"), (4, "unknown_member"),
                         (5, "would_go_negative"), (6, "bad_number")):
        expect(page.locator(f"tr[data-row='{row}']")).to_have_class(outcome)
    expect(page.locator("#import-progress .status")).to_contain_text("试运行完成")
    screenshot(page, "30-bulk-dry-run")
    assert ledger.spendable_balance(a.id) == 100  # the dry run moved nothing
    page.click("button:has-text('执行')")
    expect(page.locator("#import-progress")).to_have_attribute("data-status", "done")
    expect(page.locator("li[data-outcome=applied]")).to_contain_text("1")
    expect(page.locator("tr[data-row='2'] .result")).to_contain_text("150")
    screenshot(page, "31-bulk-done")
    with page.expect_download() as download:
        page.click("text=下载逐行报告（CSV）")
    report = open(download.value.path(), encoding="utf-8-sig").read()
    assert "已发放" in report and "重复行" in report and "会员不存在" in report

    upload(page, live_server, data)  # the same file again
    page.click("button:has-text('执行')")
    expect(page.locator("#import-progress")).to_have_attribute("data-status", "done")
    expect(page.locator("li[data-outcome=already_applied]")).to_contain_text("1")
    screenshot(page, "32-bulk-same-file-again")
    assert ledger.spendable_balance(a.id) == 150


def test_hq_issues_a_pos_key_and_sees_its_secret_once(live_server, browser_page, chain):
    page = browser_page()
    sign_in(page, live_server, "hq.b")
    page.goto(live_server + "/console/scan")
    page.locator("summary", has_text="总部").click()
    page.click("text=门店和 POS 密钥")
    page.click("a:has-text('SH01')")
    page.click("button:has-text('签发 POS 密钥')")
    secret = page.locator("#pos-secret")
    expect(secret).to_be_visible()
    assert len(secret.inner_text()) > 30
    screenshot(page, "33-pos-key-secret-once")
    page.reload()
    expect(page.locator("table.pos-keys")).to_contain_text("使用中")
    expect(page.locator("#pos-secret")).to_have_count(0)


def test_a_marketer_cannot_reach_hq_pages(live_server, browser_page, chain, factory):
    tiers.create_tier("silver", "银卡", 100, 100)
    db.session.commit()
    factory.credit(chain["b"], 120)  # b's record shows the tier it reached
    page = browser_page()
    sign_in(page, live_server, "mk.b")
    page.goto(live_server + "/console/directory")
    expect(page.locator("h1")).to_contain_text("会员查询")
    page.locator("summary", has_text="总部").click()
    hq_menu = page.locator("details.dropdown", has_text="总部")
    for label in ("门店和 POS 密钥", "员工", "批量积分"):
        expect(hq_menu.locator("a", has_text=label)).to_have_count(0)
    screenshot(page, "34-marketer-menu")
    page.locator("summary", has_text="总部").click()  # closed again
    page.click(f"a:has-text('{chain['b'].member_no}')")
    expect(page.locator(".profile .phone")).to_have_text("138****8777")
    expect(page.locator("table.tier-changes")).to_contain_text("无等级 → 银卡")
    expect(page.locator("table.tier-changes")).to_contain_text("积分达标升级")
    screenshot(page, "36-member-record")
    for path in ("/console/hq/stores", "/console/hq/staff", "/console/hq/points-imports"):
        response = page.goto(live_server + path)
        assert response.status == 403, path
    screenshot(page, "35-marketer-refused")
