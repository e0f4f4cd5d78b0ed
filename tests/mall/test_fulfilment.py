"""Handing over gifts, writing off coupons, cancelling, and the unpicked-gift policy."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from core import clock
from core.db import db
from mall.models import MemberProductCount, Product
from points.ledger.models import PointsLot
from tests.core.test_errors import assert_error
from tests.mall.conftest import redeem
from tests.mall.test_redemption import balance, stock_left
from tests.points.ledger_checks import assert_ledger_consistent

SH = timezone(timedelta(hours=8))


def verify(staff, code, store):
    return staff.post("/staff/redemptions/verify", {"pickup_code": code, "store_code": store.code})


def use(staff, code, store, **extra):
    return staff.post("/staff/coupons/verify", {"coupon_code": code, "store_code": store.code,
                                                **extra})


# --- gifts ----------------------------------------------------------------------------------

def test_a_cashier_hands_the_gift_over_once_and_sees_the_cash_to_collect(
        member_client, staff_client, factory, product):
    store = factory.store()
    cashier = staff_client("cashier", stores=[store])
    me = member_client(points=1000)
    code = redeem(me, product(points_price=800, cash_price_fen=1990).id).get_json()["pickup_code"]
    handed = verify(cashier, code, store)
    assert handed.status_code == 200, handed.get_json()
    body = handed.get_json()
    assert body["status"] == "fulfilled" and body["cash_fen"] == 1990
    assert body["member_no"] == me.member.member_no and "pickup_code" not in body
    assert body["fulfilled_store"]["code"] == store.code
    again = verify(cashier, code, store)
    assert_error(again, 409, "invalid_state")
    assert again.get_json()["error"]["details"]["status"] == "fulfilled"
    assert_error(me.post(f"/me/redemptions/{body['id']}/cancel"), 409, "invalid_state")
    assert_error(verify(cashier, "0000000000", store), 404, "not_found")


def test_pickup_only_where_the_gift_may_be_picked_up(member_client, staff_client, factory,
                                                     product):
    sh, bj, gz = factory.store(), factory.store(), factory.store()
    me = member_client(points=1000)
    code = redeem(me, product(store_codes=[sh.code, gz.code]).id).get_json()["pickup_code"]
    assert_error(verify(staff_client("cashier", stores=[bj]), code, sh), 403, "forbidden")
    assert_error(verify(staff_client("cashier", stores=[bj]), code, bj), 409, "invalid_state")
    chosen = redeem(me, product().id, store_code=gz.code).get_json()["pickup_code"]
    wrong = verify(staff_client("hq_admin"), chosen, sh)
    assert_error(wrong, 409, "invalid_state")
    assert wrong.get_json()["error"]["details"] == {"store_code": gz.code}
    assert verify(staff_client("cashier", stores=[sh]), code, sh).status_code == 200
    assert_error(verify(staff_client("cashier", stores=[sh]), "12", sh), 422, "validation_error")


def test_member_cancels_and_gets_points_stock_and_limit_back(member_client, factory, product):
    clock.set(datetime(2026, 5, 1, 12, tzinfo=SH))
    gift = product(points_price=150, per_member_limit=1)
    me = member_client()
    soon = datetime(2026, 6, 1, tzinfo=SH)
    factory.credit(me.member, 100, expires_at=soon)
    factory.credit(me.member, 100, expires_at=None)
    body = redeem(me, gift.id).get_json()
    assert balance(me.member) == 50 and stock_left(gift) == 9
    assert_error(redeem(me, gift.id), 409, "limit_exceeded")
    cancelled = me.post(f"/me/redemptions/{body['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.get_json()
    assert cancelled.get_json()["status"] == "cancelled" and cancelled.get_json()["cancelled_at"]
    assert balance(me.member) == 200 and stock_left(gift) == 10
    lots = {lot.expires_at: lot.remaining for lot in db.session.scalars(
        select(PointsLot).filter_by(member_id=me.member.id))}
    assert lots == {soon.astimezone(timezone.utc): 100, None: 100}  # back with their expiry
    assert_error(me.post(f"/me/redemptions/{body['id']}/cancel"), 409, "invalid_state")
    assert redeem(me, gift.id).status_code == 201  # the limit came back too
    assert_ledger_consistent()


def test_a_cancelled_pickup_code_no_longer_works(member_client, staff_client, factory, product):
    store = factory.store()
    me = member_client(points=1000)
    body = redeem(me, product().id).get_json()
    me.post(f"/me/redemptions/{body['id']}/cancel")
    refused = verify(staff_client("hq_admin"), body["pickup_code"], store)
    assert_error(refused, 409, "invalid_state")
    assert refused.get_json()["error"]["details"]["status"] == "cancelled"


def test_coupons_and_virtual_products_cannot_be_cancelled(member_client, product):
    me = member_client(points=1000)
    for kind in ("coupon", "virtual"):
        rid = redeem(me, product(kind).id).get_json()["id"]
        assert_error(me.post(f"/me/redemptions/{rid}/cancel"), 409, "invalid_state")


def test_members_cannot_touch_each_others_redemptions(member_client, product):
    rid = redeem(member_client(points=1000), product().id).get_json()["id"]
    other = member_client()
    assert_error(other.post(f"/me/redemptions/{rid}/cancel"), 404, "not_found")
    assert_error(other.get(f"/me/redemptions/{rid}"), 404, "not_found")
    assert other.get("/me/redemptions").get_json()["items"] == []


def test_staff_cancel_with_a_reason_is_audited(member_client, staff_client, product):
    me = member_client(points=1000)
    rid = redeem(me, product(points_price=300).id).get_json()["id"]
    admin = staff_client("hq_admin")
    assert_error(admin.post(f"/admin/redemptions/{rid}/cancel", {}), 422, "validation_error")
    done = admin.post(f"/admin/redemptions/{rid}/cancel", {"reason": "顾客到店要求取消"})
    assert done.status_code == 200 and done.get_json()["cancelled_by"] == "staff"
    assert balance(me.member) == 1000
    log = admin.get("/admin/audit-log?action=redemption.cancel").get_json()["items"]
    assert log[0]["reason"] == "顾客到店要求取消" and log[0]["target_id"] == str(rid)
    assert_error(staff_client("cashier").post(f"/admin/redemptions/{rid}/cancel",
                                              {"reason": "xx"}), 403, "forbidden")
    listed = admin.get(f"/admin/redemptions?member_no={me.member.member_no}").get_json()["items"]
    assert [r["id"] for r in listed] == [rid] and listed[0]["status"] == "cancelled"


def test_unpicked_gifts_expire_with_points_and_stock_returned(app, member_client, staff_client,
                                                              factory, product):
    clock.set(datetime(2026, 5, 1, 12, tzinfo=SH))
    store = factory.store()
    gift = product(pickup_days=3, points_price=100)
    me = member_client(points=300)
    late, picked = redeem(me, gift.id).get_json(), redeem(me, gift.id).get_json()
    clock.set(datetime(2026, 5, 4, 23, 59, tzinfo=SH))  # the last day to pick up
    assert verify(staff_client("hq_admin"), picked["pickup_code"], store).status_code == 200
    clock.set(datetime(2026, 5, 5, 0, 1, tzinfo=SH))
    assert_error(verify(staff_client("hq_admin"), late["pickup_code"], store), 410, "code_expired")
    result = app.test_cli_runner().invoke(args=["mall", "expire-pickups"])
    assert result.exit_code == 0 and "expired 1 unpicked gifts" in result.output
    shown = me.get(f"/me/redemptions/{late['id']}").get_json()
    assert shown["status"] == "expired" and "积分已退回" in shown["cancel_reason"]
    assert balance(me.member) == 200 and stock_left(gift) == 9
    again = app.test_cli_runner().invoke(args=["mall", "expire-pickups"])
    assert "expired 0 unpicked gifts" in again.output
    assert me.get("/me/redemptions?status=expired").get_json()["items"][0]["id"] == late["id"]


# --- coupons --------------------------------------------------------------------------------

def test_a_coupon_is_written_off_once_checking_the_minimum_spend(member_client, staff_client,
                                                                 factory, product):
    store = factory.store()
    cashier = staff_client("cashier", stores=[store])
    me = member_client(points=1000)
    code = redeem(me, product("coupon").id).get_json()["coupon"]["code"]
    small = use(cashier, code, store, order_amount_fen=4999)
    assert_error(small, 409, "invalid_state")
    assert small.get_json()["error"]["details"]["min_spend_fen"] == 5000
    used = use(cashier, code, store, order_amount_fen=5000)
    assert used.status_code == 200
    assert used.get_json()["status"] == "used" and used.get_json()["deduct_fen"] == 1000
    assert_error(use(cashier, code, store), 409, "invalid_state")
    assert me.get("/me/coupons?status=used").get_json()["items"][0]["code"] == code
    assert me.get("/me/coupons?status=unused").get_json()["items"] == []
    assert_error(use(cashier, "000000000000", store), 404, "not_found")


def test_a_coupon_without_an_amount_skips_the_minimum(member_client, staff_client, factory,
                                                      product):
    store = factory.store()
    code = redeem(member_client(points=1000), product("coupon").id).get_json()["coupon"]["code"]
    assert use(staff_client("hq_admin"), code, store).status_code == 200


def test_an_expired_coupon_is_410(member_client, staff_client, factory, product):
    clock.set(datetime(2026, 5, 1, 12, tzinfo=SH))
    store = factory.store()
    me = member_client(points=1000)
    terms = {"deduct_fen": 500, "min_spend_fen": 0, "valid_days": 3}
    code = redeem(me, product("coupon", coupon=terms).id).get_json()["coupon"]["code"]
    clock.set(datetime(2026, 5, 4, 23, 59, tzinfo=SH))
    assert me.get("/me/coupons").get_json()["items"][0]["status"] == "unused"
    clock.set(datetime(2026, 5, 5, 0, 0, tzinfo=SH))
    assert_error(use(staff_client("hq_admin"), code, store), 410, "code_expired")
    assert me.get("/me/coupons?status=expired").get_json()["items"][0]["status"] == "expired"


def test_a_store_restricted_coupon_only_at_its_stores(member_client, staff_client, factory,
                                                      product):
    sh, bj = factory.store(), factory.store()
    code = redeem(member_client(points=1000),
                  product("coupon", store_codes=[sh.code]).id).get_json()["coupon"]["code"]
    assert_error(use(staff_client("cashier", stores=[bj]), code, bj), 409, "invalid_state")
    assert_error(use(staff_client("cashier", stores=[bj]), code, sh), 403, "forbidden")
    assert use(staff_client("cashier", stores=[sh]), code, sh).status_code == 200


def test_my_lists_are_cursor_paged(member_client, product):
    me = member_client(points=10000)
    offer = product("coupon", points_price=10, stock=100)
    ids = [redeem(me, offer.id, 2).get_json()["id"] for _ in range(3)]
    first = me.get("/me/redemptions?limit=2").get_json()
    rest = me.get(f"/me/redemptions?limit=2&cursor={first['next_cursor']}").get_json()
    assert [r["id"] for r in first["items"] + rest["items"]] == ids[::-1]
    assert rest["next_cursor"] is None
    coupons = me.get("/me/coupons?limit=5").get_json()
    assert len(coupons["items"]) == 5 and coupons["next_cursor"]
    assert_error(me.get("/me/coupons?status=lost"), 422, "validation_error")


def test_limit_counter_rows_exist_only_for_limited_products(member_client, product):
    me = member_client(points=1000)
    redeem(me, product().id)
    limited = product(per_member_limit=3)
    redeem(me, limited.id, 2)
    counts = {(c.product_id, c.units) for c in db.session.scalars(select(MemberProductCount))}
    assert counts == {(limited.id, 2)}
    assert db.session.get(Product, limited.id).per_member_limit == 3
