"""Account cancellation (注销): POST/DELETE /me/deletion, the cooling-off, the deletion job."""
import io
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from core import clock
from core.audit import AuditEntry
from core.db import db
from mall import catalog
from members.models import STATUS_DELETED, Member, SubscribeConsent, WechatIdentity
from members.privacy.jobs import complete_deletions
from points.earning.models import Order
from points.ledger.models import PointsAccount, PointsEntry
from tests.media.images import picture
from tests.points.ledger_checks import assert_ledger_consistent

PHONE = "13911112222"


def _product(kind, **fields):
    data = {"title": f"{kind} {uuid.uuid4().hex[:6]}", "kind": kind, "points_price": 100,
            "stock": 10, **fields}
    if kind == "coupon":
        data["coupon"] = {"deduct_fen": 500, "min_spend_fen": 0, "valid_days": 30}
    product = catalog.create_product(data)
    db.session.commit()
    return product


def _redeem(me, product):
    response = me.post("/mall/redemptions", {"product_id": product.id},
                       headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def customer(login, factory, pos_client):
    """A WeChat member who bound the phone a till had registered (a merge, audited with the
    phone), with an order whose item carries the phone, 1,000 points, a gift waiting for
    pickup and an unused coupon."""
    store = factory.store()
    pos = pos_client(store)
    order = pos.post("/pos/orders", {"store_code": store.code, "order_no": "A-1", "phone": PHONE,
                                     "amount_fen": 120000,
                                     "items": [{"sku": f"tel-{PHONE}", "amount_fen": 120000}]})
    assert order.status_code == 201, order.get_json()
    response, me = login("o-leaving")
    assert me.post("/me/phone", {"code": f"fakephone:{PHONE}"}).get_json()["merged_member_no"]
    gift, coupon = _redeem(me, _product("gift")), _redeem(me, _product("coupon"))
    avatar = me.post("/me/avatar", data={"file": (io.BytesIO(picture()), "me.png")},
                     content_type="multipart/form-data")
    me.avatar_path = avatar.get_json()["avatar_url"].split("localhost", 1)[1]
    me.member_id = response.get_json()["member"]["id"]
    return me, gift, coupon


def _member(member_id):
    return db.session.get(Member, member_id, populate_existing=True)


def _balances():
    return db.session.scalar(select(func.sum(PointsAccount.balance)))


def test_a_deletion_waits_out_its_cooling_off_and_can_be_withdrawn(customer, login):
    me = customer[0]
    asked_at = clock.now()
    clock.set(asked_at)
    asked = me.post("/me/deletion")
    assert asked.status_code == 200
    body = asked.get_json()
    assert body["status"] == "pending"
    assert datetime.fromisoformat(body["completes_at"]) == asked_at + timedelta(days=7)
    assert me.post("/me/deletion").get_json()["completes_at"] == body["completes_at"]
    clock.set(clock.now() + timedelta(days=6))
    assert complete_deletions() == {"completed": 0}
    withdrawn = me.delete("/me/deletion")
    assert withdrawn.get_json()["status"] == "withdrawn"
    assert me.delete("/me/deletion").status_code == 409
    clock.set(clock.now() + timedelta(days=2))
    assert complete_deletions() == {"completed": 0}
    me = login("o-leaving")[1]  # the old token has expired by now; the account has not
    assert me.get("/me").get_json()["status"] == "active"
    assert me.get("/me/deletion").get_json()["status"] == "withdrawn"


def test_a_completed_deletion_erases_the_member_and_forfeits_the_balance(customer, login):
    me, gift, coupon = customer
    member_id = me.member_id
    balance = me.get("/me/points").get_json()["balance"]
    assert balance > 0
    total_before = _balances()
    assert me.get(me.avatar_path).status_code == 200
    assert any(PHONE in str(row) for row in db.session.execute(select(AuditEntry.before)))
    assert any(PHONE in str(items) for items in db.session.scalars(select(Order.items)))
    me.post("/me/deletion")
    clock.set(clock.now() + timedelta(days=7, seconds=1))

    assert complete_deletions() == {"completed": 1}
    assert complete_deletions() == {"completed": 0}  # a rerun changes nothing

    assert me.get("/me").status_code == 401
    assert me.get("/me/points").status_code == 401
    assert me.get(me.avatar_path).status_code == 404  # the stored avatar is deleted
    member = _member(member_id)
    assert member.status == STATUS_DELETED
    assert (member.phone, member.nickname, member.birthday, member.invite_code) == (None,) * 4
    assert db.session.scalar(select(func.count()).select_from(WechatIdentity)
                             .where(WechatIdentity.member_id == member_id)) == 0
    assert all(c.remaining == 0 for c in db.session.scalars(
        select(SubscribeConsent).where(SubscribeConsent.member_id == member_id)))

    forfeited = db.session.scalars(select(PointsEntry).where(
        PointsEntry.member_id == member_id, PointsEntry.kind == "forfeit")).one()
    gift_points = 100  # the cancelled gift's points came back before the forfeit
    assert forfeited.delta == -(balance + gift_points)
    assert db.session.get(PointsAccount, member_id, populate_existing=True).balance == 0
    assert _balances() == total_before - balance  # the liability drops by what was forfeited
    assert_ledger_consistent()

    staff_view = db.session.execute(select(AuditEntry.before, AuditEntry.after)).all()
    assert not any(PHONE in str(row) for row in staff_view)
    items = db.session.scalars(select(Order.items)).all()
    assert not any(PHONE in str(i) for i in items)

    from mall.models import Coupon, Redemption
    assert db.session.get(Redemption, gift["id"], populate_existing=True).status == "cancelled"
    assert db.session.scalars(select(Coupon.status).where(Coupon.code == coupon["coupon"]["code"])
                              ).one() == "void"

    again, new = login("o-leaving")
    assert again.status_code == 200
    assert again.get_json()["member"]["is_new"] is True
    assert again.get_json()["member"]["id"] != member_id
    assert new.get("/me/points").get_json()["balance"] == 0


def test_the_till_no_longer_finds_a_deleted_member(customer, factory, pos_client):
    me = customer[0]
    member_no = me.get("/me").get_json()["member_no"]
    me.post("/me/deletion")
    clock.set(clock.now() + timedelta(days=8))
    complete_deletions()
    store = factory.store()
    response = pos_client(store).post("/pos/orders", {"store_code": store.code, "order_no": "B-1",
                                                      "member_no": member_no, "amount_fen": 100},
                                      timestamp=clock.now().timestamp())
    assert response.status_code == 404


def test_deletion_needs_a_member_token(client):
    assert client.post("/me/deletion").status_code == 401
    assert client.delete("/me/deletion").status_code == 401
    assert client.get("/me/export").status_code == 401


@pytest.fixture
def silver():
    from points.programme import tiers

    tiers.create_tier("silver", "银卡", 500, 100)
    db.session.commit()


def test_a_deletion_keeps_the_tier_history_as_it_keeps_the_ledger(silver, customer,
                                                                   staff_client):
    """Like the ledger and the monthly earnings, the tier changes stay with the anonymous
    member row: they hold no personal data."""
    from points.programme.models import TierChange

    me = customer[0]
    history = db.session.execute(select(TierChange.from_code, TierChange.to_code,
                                        TierChange.reason)
                                 .where(TierChange.member_id == me.member_id)).all()
    assert [tuple(row) for row in history] == [(None, "silver", "merge")]
    member_no = me.get("/me").get_json()["member_no"]
    me.post("/me/deletion")
    clock.set(clock.now() + timedelta(days=7, seconds=1))
    assert complete_deletions() == {"completed": 1}
    assert db.session.scalar(select(func.count()).select_from(TierChange)
                             .where(TierChange.member_id == me.member_id)) == 1
    gone = staff_client("marketer").get(f"/admin/members/{member_no}/tier-history")
    assert gone.status_code == 404  # as every look-up of a deleted account's number
