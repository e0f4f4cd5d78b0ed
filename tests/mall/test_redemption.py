"""Redeeming: what a member gets, every refusal, idempotency, the event."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from core import clock, events
from core.db import db
from mall.models import Product, Redemption
from points.ledger.models import PointsAccount, PointsEntry
from tests.core.test_errors import assert_error
from tests.mall.conftest import redeem
from tests.points.ledger_checks import assert_ledger_consistent

SH = timezone(timedelta(hours=8))


def balance(member):
    return db.session.scalar(select(PointsAccount.balance)
                             .where(PointsAccount.member_id == member.id))


def stock_left(product):
    return db.session.scalar(select(Product.stock_left).where(Product.id == product.id))


def test_a_gift_costs_its_points_and_comes_with_a_pickup_code(member_client, factory, product):
    clock.set(datetime(2026, 5, 1, 12, tzinfo=SH))
    store = factory.store()
    gift = product(points_price=120, stock=5, pickup_days=7)
    me = member_client(points=500)
    response = redeem(me, gift.id, 2, store_code=store.code)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "pending" and body["points"] == 240 and body["quantity"] == 2
    assert len(body["pickup_code"]) == 10 and body["pickup_code"].isdigit()
    assert body["pickup_expires_at"] == "2026-05-08T15:59:59.999999+00:00"  # end of 8 May, Shanghai
    assert body["store"]["code"] == store.code and body["coupon"] is None
    assert balance(me.member) == 260 and stock_left(gift) == 3
    spend = db.session.scalars(select(PointsEntry).filter_by(kind="spend")).one()
    assert spend.idempotency_key == f"redemption:{body['id']}" and spend.store_id == store.id
    assert spend.ref_type == "redemption" and spend.ref_id == str(body["id"])
    history = me.get("/me/redemptions").get_json()["items"]
    assert [r["id"] for r in history] == [body["id"]] and history[0]["pickup_code"]
    assert me.get(f"/me/redemptions/{body['id']}").get_json()["status"] == "pending"
    assert_ledger_consistent()


def test_a_coupon_product_issues_coupons_with_codes_and_expiry(member_client, product):
    clock.set(datetime(2026, 5, 1, 12, tzinfo=SH))
    offer = product("coupon", points_price=50,
                    coupon={"deduct_fen": 1000, "min_spend_fen": 3000, "valid_days": 7})
    me = member_client(points=100)
    body = redeem(me, offer.id, 2).get_json()
    assert body["status"] == "fulfilled" and body["pickup_code"] is None
    codes = [c["code"] for c in body["coupons"]]
    assert len(set(codes)) == 2 and all(len(c) == 12 and c.isdigit() for c in codes)
    assert body["coupon"]["code"] == codes[0]
    assert body["coupon"]["expires_at"] == "2026-05-08T15:59:59.999999+00:00"
    mine = me.get("/me/coupons").get_json()["items"]
    assert {c["code"] for c in mine} == set(codes)
    assert all(c["status"] == "unused" and c["deduct_fen"] == 1000 for c in mine)


def test_a_virtual_product_is_fulfilled_at_once(member_client, product):
    body = redeem(member_client(points=100), product("virtual", points_price=10).id).get_json()
    assert body["status"] == "fulfilled" and body["fulfilled_at"] and body["pickup_code"] is None


def test_points_plus_cash_records_the_cash_to_pay_at_pickup(member_client, product):
    mug = product(points_price=800, cash_price_fen=1990)
    body = redeem(member_client(points=2000), mug.id, 2).get_json()
    assert body["points"] == 1600 and body["cash_fen"] == 3980


@pytest.mark.parametrize("body, field", [
    ({"quantity": 0}, "quantity"), ({"quantity": 11}, "quantity"), ({"quantity": "2"}, "quantity"),
    ({"product_id": "x"}, "product_id"), ({"product_id": None}, "product_id"),
])
def test_bad_quantities_and_products_are_422(member_client, product, body, field):
    gift = product()
    me = member_client(points=5000)
    response = me.post("/mall/redemptions", {"product_id": gift.id, **body},
                       headers={"Idempotency-Key": "k-0000000001"})
    assert_error(response, 422, "validation_error")
    assert field in response.get_json()["error"]["details"]
    assert stock_left(gift) == 10


def test_the_idempotency_key_is_required(member_client, product):
    gift = product()
    me = member_client(points=500)
    assert_error(me.post("/mall/redemptions", {"product_id": gift.id}), 400, "bad_request")
    assert db.session.scalar(select(func.count()).select_from(Redemption)) == 0


def test_unknown_or_withdrawn_products_are_404(member_client, staff_client, product):
    me = member_client(points=500)
    assert_error(redeem(me, 999999), 404, "not_found")
    gift = product()
    staff_client("hq_admin").delete(f"/admin/products/{gift.id}")
    assert_error(redeem(me, gift.id), 404, "not_found")


def test_the_window_is_enforced(member_client, product):
    clock.set(datetime(2026, 5, 1, 19, 59, tzinfo=SH))
    flash = product(starts_at=datetime(2026, 5, 1, 20, tzinfo=SH),
                    ends_at=datetime(2026, 5, 1, 22, tzinfo=SH))
    me = member_client(points=500)
    early = redeem(me, flash.id)
    assert_error(early, 409, "invalid_state")
    assert "starts_at" in early.get_json()["error"]["details"]
    clock.set(datetime(2026, 5, 1, 20, tzinfo=SH))
    assert redeem(me, flash.id).status_code == 201
    clock.set(datetime(2026, 5, 1, 22, tzinfo=SH))
    late = redeem(me, flash.id)
    assert_error(late, 409, "invalid_state")
    assert "ends_at" in late.get_json()["error"]["details"]


def test_a_tier_product_needs_that_tier_or_a_higher_one(member_client, staff_client, product):
    admin = staff_client("hq_admin")
    admin.post("/admin/tiers", {"code": "silver", "name": "银卡", "threshold_points": 1000})
    admin.post("/admin/tiers", {"code": "gold", "name": "金卡", "threshold_points": 5000})
    vip = product(tier_required="silver")
    nobody = member_client(points=500)
    refused = redeem(nobody, vip.id)
    assert_error(refused, 409, "invalid_state")
    assert refused.get_json()["error"]["details"] == {"tier_required": "silver", "tier": None}
    silver, gold = member_client(points=1200), member_client(points=6000)
    assert silver.member.tier_code == "silver" and gold.member.tier_code == "gold"
    assert redeem(silver, vip.id).status_code == 201
    assert redeem(gold, vip.id).status_code == 201
    assert_error(redeem(silver, product(tier_required="gold").id), 409, "invalid_state")


def test_a_store_restricted_product_only_at_its_stores(member_client, factory, product):
    sh, bj = factory.store(), factory.store()
    gift = product(store_codes=[sh.code])
    me = member_client(points=500)
    assert_error(redeem(me, gift.id, store_code=bj.code), 409, "invalid_state")
    assert_error(redeem(me, gift.id, store_code="NOPE"), 422, "validation_error")
    assert redeem(me, gift.id, store_code=sh.code).status_code == 201


def test_the_per_member_limit_counts_units(member_client, product):
    gift = product(per_member_limit=2)
    me = member_client(points=1000)
    assert_error(redeem(me, gift.id, 3), 409, "limit_exceeded")
    assert redeem(me, gift.id, 2).status_code == 201
    refused = redeem(me, gift.id)
    assert_error(refused, 409, "limit_exceeded")
    assert refused.get_json()["error"]["details"] == {"per_member_limit": 2, "held": 2}
    assert redeem(member_client(points=1000), gift.id).status_code == 201  # per member


def test_a_limit_set_later_counts_what_was_redeemed_before(member_client, staff_client, product):
    gift = product()
    me = member_client(points=1000)
    assert redeem(me, gift.id, 2).status_code == 201
    staff_client("hq_admin").patch(f"/admin/products/{gift.id}", {"per_member_limit": 2})
    assert_error(redeem(me, gift.id), 409, "limit_exceeded")


def test_a_limit_lifted_and_set_again_counts_every_unit_held(member_client, staff_client,
                                                              product):
    gift = product(per_member_limit=2)
    admin, me = staff_client("hq_admin"), member_client(points=1000)
    first = redeem(me, gift.id, 2).get_json()
    admin.patch(f"/admin/products/{gift.id}", {"per_member_limit": 0})
    redeem(me, gift.id, 1)
    me.post(f"/me/redemptions/{first['id']}/cancel")  # holds 1 unit now
    admin.patch(f"/admin/products/{gift.id}", {"per_member_limit": 2})
    assert redeem(me, gift.id, 1).status_code == 201
    assert_error(redeem(me, gift.id, 1), 409, "limit_exceeded")


def test_too_few_points_changes_nothing(member_client, product):
    gift = product(points_price=300)
    me = member_client(points=299)
    refused = redeem(me, gift.id)
    assert_error(refused, 409, "insufficient_points")
    assert refused.get_json()["error"]["details"] == {"balance": 299, "needed": 300}
    assert balance(me.member) == 299 and stock_left(gift) == 10
    assert db.session.scalar(select(func.count()).select_from(Redemption)) == 0


def test_sold_out_is_409_out_of_stock(member_client, product):
    gift = product(stock=1)
    me = member_client(points=1000)
    assert_error(redeem(me, gift.id, 2), 409, "out_of_stock")
    assert redeem(me, gift.id).status_code == 201
    assert_error(redeem(me, gift.id), 409, "out_of_stock")
    assert stock_left(gift) == 0 and balance(me.member) == 900


def test_a_repeated_key_replays_the_first_answer(member_client, product):
    gift = product(stock=1)
    me = member_client(points=1000)
    first = redeem(me, gift.id, key="tap-000000001")
    again = redeem(me, gift.id, key="tap-000000001")  # the product is sold out by now
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert balance(me.member) == 900
    assert_error(redeem(me, gift.id, 2, key="tap-000000001"), 422, "idempotency_mismatch")
    other = member_client(points=1000)  # keys are per member
    assert_error(redeem(other, gift.id, key="tap-000000001"), 409, "out_of_stock")


def test_redemption_created_is_emitted_with_first(member_client, product, monkeypatch):
    seen = []
    monkeypatch.setitem(events._handlers, "redemption.created",
                        [lambda member, redemption, first: seen.append((member.id, redemption.id,
                                                                        first))])
    me = member_client(points=1000)
    a, b = redeem(me, product().id).get_json(), redeem(me, product().id).get_json()
    assert seen == [(me.member.id, a["id"], True), (me.member.id, b["id"], False)]


def test_a_merged_members_token_redeems_nothing(member_client, product):
    """The view no longer loads the member: the account's hold reads its status."""
    from members.models import Member

    gift = product()
    me, survivor = member_client(points=500), member_client()
    db.session.execute(Member.__table__.update().where(Member.id == me.member.id)
                       .values(status="merged", merged_into_id=survivor.member.id))
    db.session.commit()
    assert_error(redeem(me, gift.id), 401, "unauthenticated")
    assert balance(me.member) == 500 and stock_left(gift) == 10
    assert db.session.scalar(select(func.count()).select_from(Redemption)) == 0
