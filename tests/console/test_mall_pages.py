"""The points mall's console pages (marketers, HQ): products with every field the API takes and
images uploaded through the media service, stock with a reason and its history, redemptions
filtered and cancelled with a reason (points and stock return), coupons written off. Store
staff are refused; bad input is shown with its fields and writes nothing."""
import io
import uuid

import pytest
from sqlalchemy import func, select

from core.db import db
from mall import catalog
from mall.models import Product
from media.models import Upload
from points import ledger
from points.programme import tiers
from tests.media.images import picture

PAGES = ("/console/mall/products", "/console/mall/products/new", "/console/mall/redemptions",
         "/console/mall/coupons")


@pytest.fixture
def people(factory):
    store = factory.store("MA01", "商城测试店")
    return {"store": store,
            "marketer": factory.staff("marketer", username="marketer.mall"),
            "hq": factory.staff("hq_admin", username="hq.mall"),
            "manager": factory.staff("store_manager", [store], username="manager.mall"),
            "cashier": factory.staff("cashier", [store], username="cashier.mall")}


def product_form(**changes) -> dict:
    form = {"title": "保温杯", "kind": "gift", "category": "家居", "points_price": "500",
            "cash_price": "9.90", "stock": "20", "per_member_limit": "2", "tier_required": "",
            "store_codes": "MA01", "starts_at": "2026-01-01T10:00", "ends_at": "",
            "pickup_days": "14", "description": "500 毫升"}
    form.update(changes)
    return form


def redeem(app, factory, member, product_id, store_code=None):
    response = app.test_client().post(
        "/api/v1/mall/redemptions", json={"product_id": product_id, "store_code": store_code},
        headers={"Authorization": f"Bearer {factory.member_token(member)}",
                 "Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_store_staff_cannot_open_the_mall_pages(console, people):
    for role in ("cashier", "manager"):
        page = console(people[role])
        for path in PAGES:
            response = page.get(path)
            assert response.status_code == 403, (role, path)
            assert "仅以下角色可执行此操作" in response.get_data(as_text=True)
    assert console(people["hq"]).get("/console/mall/products").status_code == 200


def test_a_marketer_creates_a_gift_with_an_image_and_sees_it_listed(console, people):
    tiers.create_tier("gold", "金卡", 1000, 150)
    db.session.commit()
    page = console(people["marketer"])
    page.get("/console/mall/products/new")
    data = product_form(tier_required="gold",
                        images=[(io.BytesIO(picture("PNG")), "cup.png"),
                                (io.BytesIO(picture("JPEG")), "cup.jpg")])
    response = page.post("/console/mall/products/new", data,
                         content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    product = db.session.scalars(select(Product).filter_by(title="保温杯")).one()
    assert (product.kind, product.points_price, product.cash_price_fen, product.stock_left,
            product.per_member_limit, product.tier_required, product.store_codes,
            product.pickup_days) == ("gift", 500, 990, 20, 2, "gold", ["MA01"], 14)
    assert len(product.image_urls) == 2
    served = page.client.get(product.image_urls[0].replace("http://localhost", ""))
    assert served.status_code == 200 and served.mimetype in ("image/png", "image/jpeg")

    listed = page.get("/console/mall/products?kind=gift").get_data(as_text=True)
    assert "保温杯" in listed and "20 / 20" in listed
    assert "保温杯" not in page.get("/console/mall/products?kind=coupon").get_data(as_text=True)

    first, second = product.image_urls
    page.get(f"/console/mall/products/{product.id}")
    edited = page.post(f"/console/mall/products/{product.id}", product_form(
        tier_required="gold", keep_images=[second], active="y",
        images=[(io.BytesIO(picture("PNG", size=(100, 100))), "lid.png")]),
        content_type="multipart/form-data")
    assert edited.status_code == 302
    db.session.refresh(product)
    assert product.image_urls[0] == second and first not in product.image_urls
    assert len(product.image_urls) == 2


def test_a_coupon_product_takes_its_terms_and_the_editor_keeps_them(console, people):
    page = console(people["marketer"])
    page.get("/console/mall/products/new")
    response = page.post("/console/mall/products/new", product_form(
        title="满50减10", kind="coupon", cash_price="", store_codes="", coupon_deduct="10",
        coupon_min_spend="50", coupon_valid_days="30"), content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    coupon = db.session.scalars(select(Product).filter_by(title="满50减10")).one()
    assert (coupon.coupon_deduct_fen, coupon.coupon_min_spend_fen, coupon.coupon_valid_days) \
        == (1000, 5000, 30)
    editor = page.get(f"/console/mall/products/{coupon.id}")
    response = page.post(f"/console/mall/products/{coupon.id}", product_form(
        title="满50减12", cash_price="", store_codes="", coupon_deduct="12",
        coupon_min_spend="50", coupon_valid_days="30", active="y"),
        content_type="multipart/form-data")
    assert editor.status_code == 200 and response.status_code == 302
    db.session.refresh(coupon)
    assert (coupon.title, coupon.kind, coupon.coupon_deduct_fen) == ("满50减12", "coupon", 1200)


@pytest.mark.parametrize("changes, field", [
    ({"points_price": "0"}, "points_price"),                   # the schema's range
    ({"kind": "virtual"}, "cash_price_fen"),                   # the catalog's rule: cash on a gift
    ({"store_codes": "NOPE"}, "store_codes"),                  # an unknown store
    ({"kind": "coupon", "cash_price": ""}, "coupon"),          # a coupon without its terms
    ({"ends_at": "2025-01-01T00:00"}, "ends_at"),              # ends before it starts
])
def test_a_product_the_api_refuses_is_shown_with_its_field_and_nothing_is_written(
        console, people, changes, field):
    page = console(people["marketer"])
    page.get("/console/mall/products/new")
    response = page.post("/console/mall/products/new", product_form(**changes),
                         content_type="multipart/form-data")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'class="refused"' in body and field in body
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0


@pytest.mark.parametrize("upload, message", [
    (lambda: (io.BytesIO(b"%PDF-1.4 not a picture"), "menu.png"), "不是 JPEG、PNG 或 WebP 图片"),
    (lambda: (io.BytesIO(b"\x89PNG" + b"0" * (5 * 1024 * 1024 + 10)), "huge.png"), "大于 5 MiB"),
])
def test_an_image_of_the_wrong_type_or_too_large_is_refused_and_nothing_is_written(
        console, people, upload, message):
    page = console(people["marketer"])
    page.get("/console/mall/products/new")
    response = page.post("/console/mall/products/new",
                         product_form(images=[(io.BytesIO(picture()), "fine.png"), upload()]),
                         content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 0


def test_stock_is_changed_with_a_reason_and_its_history_shows(console, people):
    product = catalog.create_product({"title": "帆布袋", "kind": "gift", "points_price": 100,
                                      "stock": 5})
    db.session.commit()
    page = console(people["marketer"])
    page.get(f"/console/mall/products/{product.id}")
    no_reason = page.post(f"/console/mall/products/{product.id}/stock", {"delta": "3"})
    too_many = page.post(f"/console/mall/products/{product.id}/stock",
                         {"delta": "-9", "reason": "盘点损耗"})
    assert (no_reason.status_code, too_many.status_code) == (422, 409)
    assert page.post(f"/console/mall/products/{product.id}/stock",
                     {"delta": "10", "reason": "到货补充"}).status_code == 302
    db.session.refresh(product)
    assert (product.stock_left, product.stock_total) == (15, 15)
    body = page.get(f"/console/mall/products/{product.id}").get_data(as_text=True)
    assert "到货补充" in body and "+10" in body and "marketer.mall" in body
    assert "盘点损耗" not in body  # the refused change left no trace


def test_redemptions_filter_and_a_cancel_returns_points_and_stock(app, console, factory,
                                                                  people):
    store = people["store"]
    member = factory.member(points=1000, store=store)
    other = factory.member(points=1000, store=store)
    cup = catalog.create_product({"title": "保温杯", "kind": "gift", "points_price": 300,
                                  "stock": 5})
    bag = catalog.create_product({"title": "帆布袋", "kind": "gift", "points_price": 100,
                                  "stock": 5})
    db.session.commit()
    mine = redeem(app, factory, member, cup.id, "MA01")
    redeem(app, factory, other, bag.id)
    page = console(people["marketer"])
    everything = page.get("/console/mall/redemptions").get_data(as_text=True)
    assert "保温杯" in everything and "帆布袋" in everything
    by_member = page.get(f"/console/mall/redemptions?member_no={member.member_no}")
    by_store = page.get("/console/mall/redemptions?store_code=MA01&status=pending")
    by_product = page.get(f"/console/mall/redemptions?product_id={bag.id}")
    for response, shown, hidden in ((by_member, "保温杯", "帆布袋"), (by_store, "保温杯", "帆布袋"),
                                    (by_product, "帆布袋", "保温杯")):
        body = response.get_data(as_text=True)
        assert shown in body and hidden not in body
    dates = "/console/mall/redemptions?date_from=2000-01-01&date_to="
    assert "保温杯" in page.get(dates + "2100-01-01").get_data(as_text=True)
    assert "保温杯" not in page.get(dates + "2000-01-02").get_data(as_text=True)
    assert page.get("/console/mall/redemptions?member_no=000").status_code == 404

    assert page.post(f"/console/mall/redemptions/{mine['id']}/cancel", {}).status_code == 422
    assert ledger.spendable_balance(member.id) == 700
    cancelled = page.post(f"/console/mall/redemptions/{mine['id']}/cancel",
                          {"reason": "顾客不要了"})
    assert cancelled.status_code == 302
    db.session.expire_all()
    assert ledger.spendable_balance(member.id) == 1000
    assert db.session.get(Product, cup.id).stock_left == 5
    listed = page.get("/console/mall/redemptions").get_data(as_text=True)
    assert "顾客不要了" in listed
    refused = page.post(f"/console/mall/redemptions/{mine['id']}/cancel", {"reason": "x"})
    assert 'action="/console/mall/redemptions"' in refused.get_data(as_text=True)  # filters
    again = page.post(f"/console/mall/redemptions/{mine['id']}/cancel", {"reason": "再取消"})
    assert (refused.status_code, again.status_code) == (422, 409)  # too short; done already


def test_coupons_written_off_are_listed_by_store(app, console, factory, people):
    member = factory.member(points=1000, store=people["store"])
    coupon = catalog.create_product({"title": "满50减10", "kind": "coupon", "points_price": 100,
                                     "stock": 5, "coupon": {"deduct_fen": 1000,
                                                            "min_spend_fen": 5000,
                                                            "valid_days": 30}})
    db.session.commit()
    code = redeem(app, factory, member, coupon.id)["coupon"]["code"]
    till = app.test_client()
    used = till.post("/api/v1/staff/coupons/verify",
                     json={"coupon_code": code, "store_code": "MA01", "order_amount_fen": 8800},
                     headers={"Authorization": f"Bearer {factory.staff_token(people['cashier'])}"})
    assert used.status_code == 200, used.get_json()
    page = console(people["marketer"])
    body = page.get("/console/mall/coupons?store_code=MA01").get_data(as_text=True)
    assert code in body and member.member_no in body and "¥88.00" in body
    other = factory.store("MA02")
    assert code not in page.get(f"/console/mall/coupons?store_code={other.code}") \
        .get_data(as_text=True)
