"""The mall and programme pages in headless Chromium against a live server: a marketer creates
a product with an uploaded image, a member redeems it through the member API, the redemption
shows in the console's list and is cancelled with a reason (the balance and the stock return);
an HQ admin previews an expiry change (its dry run a job, polled until a worker has run it),
then saves it; the subscribe template's preview follows what is typed. Screenshots at 1024×768
go to artefacts/."""
import uuid

import pytest
import requests
from playwright.sync_api import expect
from rq import SimpleWorker

from core.db import db
from core.redis import get_redis
from core.worker import queue
from mall.models import Product
from points import ledger
from points.programme import settings
from tests.console.conftest import screenshot
from tests.console.test_till_in_browser import sign_in
from tests.media.images import picture

pytestmark = pytest.mark.committing


@pytest.fixture
def people(factory):
    store = factory.store("MB01", "南京东路店")
    return {"store": store,
            "marketer": factory.staff("marketer", username="marketer.mb"),
            "hq": factory.staff("hq_admin", username="hq.mb"),
            "member": factory.member(nickname="小王", points=2000, store=store)}


def test_a_marketer_puts_a_gift_on_sale_a_member_redeems_it_and_it_is_cancelled(
        live_server, browser_page, people, factory, tmp_path):
    image = tmp_path / "杯子.png"
    image.write_bytes(picture("PNG", size=(800, 800)))
    page = browser_page()
    sign_in(page, live_server, "marketer.mb")
    page.click("header summary:has-text('配置')")
    page.click("header >> text=积分商城")
    expect(page.locator("h1")).to_have_text("积分商城")
    page.click("text=新建商品")
    page.fill("input[name=title]", "星巴克保温杯")
    page.fill("input[name=category]", "家居")
    page.fill("input[name=points_price]", "800")
    page.fill("input[name=cash_price]", "9.90")
    page.fill("input[name=stock]", "10")
    page.fill("input[name=per_member_limit]", "1")
    page.fill("input[name=store_codes]", "MB01")
    page.set_input_files("input[name=images]", str(image))
    screenshot(page, "mall-product-new")
    page.click("button:has-text('创建商品')")
    expect(page.locator(".notice")).to_contain_text("商品「星巴克保温杯」已上架")
    expect(page.locator("fieldset.images img")).to_have_count(1)
    product_id = int(page.url.rstrip("/").split("/")[-1])
    image_url = page.locator("fieldset.images img").get_attribute("src")
    assert requests.get(image_url, timeout=10).headers["Content-Type"].startswith("image/")

    page.fill("input[name=delta]", "5")
    page.fill("input[name=reason]", "第二批到货")
    page.click("button:has-text('调整库存')")
    expect(page.locator(".notice")).to_contain_text("库存已调整：剩余 15 件")
    expect(page.locator("table.stock-history")).to_contain_text("第二批到货")
    page.locator("#stock").scroll_into_view_if_needed()
    screenshot(page, "mall-product-stock")

    member = people["member"]
    redeemed = requests.post(f"{live_server}/api/v1/mall/redemptions", timeout=10,
                             json={"product_id": product_id, "store_code": "MB01"},
                             headers={"Authorization": f"Bearer {factory.member_token(member)}",
                                      "Idempotency-Key": uuid.uuid4().hex})
    assert redeemed.status_code == 201, redeemed.text
    assert _balance(live_server, factory, member) == 1200

    page.click("nav.subnav >> text=兑换记录")
    row = page.locator("table.redemptions tbody tr").first
    expect(row).to_contain_text(member.member_no)
    expect(row).to_contain_text("星巴克保温杯")
    expect(row).to_contain_text("待领取")
    row.locator("summary:has-text('取消')").click()
    row.locator("input[name=reason]").fill("顾客改选其他礼品")
    screenshot(page, "mall-redemptions-cancel")
    row.locator("button").click()
    expect(page.locator(".notice")).to_contain_text("已退回 800 积分和 1 件库存")
    expect(page.locator("table.redemptions tbody tr").first).to_contain_text("顾客改选其他礼品")
    screenshot(page, "mall-redemptions")
    assert _balance(live_server, factory, member) == 2000
    db.session.expire_all()
    assert db.session.get(Product, product_id).stock_left == 15
    assert ledger.spendable_balance(member.id) == 2000

    page.click("nav.subnav >> text=商品")
    expect(page.locator("table.products")).to_contain_text("星巴克保温杯")
    expect(page.locator("table.products img.thumb")).to_have_count(1)
    screenshot(page, "mall-products")
    page.goto(f"{live_server}/console/programme")
    expect(page.locator("main")).to_contain_text("仅以下角色可执行此操作：总部管理员")


def test_hq_previews_an_expiry_change_then_saves_it(live_server, browser_page, people, app,
                                                   monkeypatch):
    monkeypatch.setitem(app.config, "RQ_ASYNC", True)  # queued for a worker (run below)
    page = browser_page()
    sign_in(page, live_server, "hq.mb")
    page.goto(live_server + "/console/programme")
    expect(page.locator("h1")).to_have_text("积分规则设置")
    page.select_option("select[name=mode]", "fixed_days")
    page.fill("input[name=days]", "365")
    page.click("button:has-text('预览变更影响')")
    preview = page.locator(".expiry-preview")
    expect(preview).to_contain_text("今天获得的积分将于此时过期")  # the cheap part, at once
    expect(preview.locator(".dry-run-state")).to_contain_text("计算中…")
    screenshot(page, "programme-expiry-preview-working")
    SimpleWorker([queue()], connection=get_redis()).work(burst=True)  # the worker runs it
    # the dry run's panel polls until the job's figures are there
    expect(preview.locator(".dry-run-state")).to_have_attribute("data-status", "finished",
                                                                timeout=15_000)
    expect(preview).to_contain_text("1 位会员的 1 批积分共 2000 分将改为新的到期日")
    screenshot(page, "programme-expiry-preview")
    db.session.expire_all()
    assert settings.get_settings()["expiry"]["mode"] == "never"  # a preview saves nothing
    page.click("button:has-text('保存有效期规则')")
    expect(page.locator(".notice")).to_contain_text("设置已保存")
    expect(page.locator("select[name=mode]")).to_have_value("fixed_days")
    page.click("text=按已保存的规则试运行 backfill-expiry")
    expect(page.locator(".dry-run .dry-run-state")).to_have_attribute("data-status", "finished",
                                                                      timeout=15_000)
    expect(page.locator(".dry-run")).to_contain_text("将改写 1 批积分的到期日")
    screenshot(page, "programme-settings")
    db.session.expire_all()
    assert settings.get_settings()["expiry"] == {**settings.DEFAULTS["expiry"],
                                                 "mode": "fixed_days", "days": 365}

    page.click("nav.subnav >> text=会员等级")
    page.fill("input[name=code]", "gold")
    page.fill("input[name=name]", "金卡")
    page.fill("input[name=threshold_points]", "5000")
    page.fill("input[name=multiplier]", "1.5")
    page.fill("textarea[name=benefits]", "生日当月双倍积分\n专属客服")
    page.click("button:has-text('创建等级')")
    expect(page.locator(".notice")).to_contain_text("等级「金卡」已创建")
    expect(page.locator("table.tiers")).to_contain_text("×1.50")
    screenshot(page, "programme-tiers")

    page.click("nav.subnav >> text=订阅消息")
    page.click("text=新建模板映射")
    page.fill("input[name=template_id]", "tpl-expiring")
    page.fill("input[name=tip]", "您的积分即将过期，请尽快到店使用，过期作废不补")
    page.fill("input[name='rows-0-key']", "thing1")
    page.select_option("select[name='rows-0-source']", "tip")
    page.fill("input[name='rows-1-key']", "number2")
    page.select_option("select[name='rows-1-source']", "points")
    page.fill("input[name='rows-2-key']", "phrase3")
    page.select_option("select[name='rows-2-source']", "expiry_date")
    card = page.locator(".wx-card")
    expect(card).to_contain_text("您的积分即将过期，请尽快到店使用，过期作")  # cut to 20
    expect(card).to_contain_text("1280")
    expect(page.locator("table.limits")).to_contain_text("23 个字符：微信只显示前 20 个")
    expect(page.locator("table.limits")).to_contain_text("此字段类型无法显示该内容")
    screenshot(page, "programme-template-preview")


def _balance(base, factory, member) -> int:
    answer = requests.get(f"{base}/api/v1/me/points", timeout=10,
                          headers={"Authorization": f"Bearer {factory.member_token(member)}"})
    return answer.json()["balance"]
