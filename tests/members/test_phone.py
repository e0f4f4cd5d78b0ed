"""POST /me/phone: binding, merging a store-registered member, phone_taken."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock, events
from core.audit import AuditEntry
from core.db import db
from members.lookup import member_by_no
from members.models import ORIGIN_STORE, STATUS_MERGED, Member
from points.ledger.models import PointsEntry, PointsLot
from concurrent.futures import ThreadPoolExecutor

from points.ledger.reconcile import check_chunk


def store_member(factory, phone, points_by_expiry):
    """A member created at a till by phone, with lots expiring at the given moments."""
    member = factory.member(phone=phone)
    member.origin = ORIGIN_STORE
    db.session.commit()
    store = factory.store()
    for points, expires_at in points_by_expiry:
        factory.credit(member, points, store=store, expires_at=expires_at)
    return member, store


def test_binding_a_new_phone(login):
    _, me = login("o-phone1")
    response = me.post("/me/phone", {"code": "fakephone:13812345678"})
    assert response.status_code == 200
    assert response.get_json() == {"phone_masked": "138****5678", "merged_member_no": None}
    assert me.get("/me").get_json()["phone_masked"] == "138****5678"


def test_a_store_members_points_move_with_their_expiry_and_its_number_resolves_here(
        login, factory):
    soon, later = clock.now() + timedelta(days=10), clock.now() + timedelta(days=200)
    old, store = store_member(factory, "13900000001", [(120, soon), (30, later)])
    _, me = login("o-merge")
    me_id = me.get("/me").get_json()["id"]
    seen = []
    handler = events.subscribe("member.phone_bound")(
        lambda member, merged: seen.append((member.id, merged and merged.id)))
    try:
        response = me.post("/me/phone", {"code": "fakephone:13900000001"})
    finally:
        events._handlers["member.phone_bound"].remove(handler)

    assert response.status_code == 200
    assert response.get_json()["merged_member_no"] == old.member_no
    assert seen == [(me_id, old.id)]
    points = me.get("/me/points").get_json()
    assert points["balance"] == 150
    assert [(e["points"]) for e in points["expiring"]] == [120, 30]
    lots = db.session.scalars(select(PointsLot).filter_by(member_id=me_id)
                              .order_by(PointsLot.expires_at)).all()
    assert [(lot.remaining, lot.expires_at, lot.store_id) for lot in lots] == \
        [(120, soon, store.id), (30, later, store.id)]
    db.session.refresh(old)
    assert old.status == STATUS_MERGED and old.phone is None
    assert member_by_no(old.member_no).id == me_id
    kinds = db.session.scalars(select(PointsEntry.kind).where(
        PointsEntry.member_id.in_([old.id, me_id])).order_by(PointsEntry.id)).all()
    assert kinds == ["earn", "earn", "merge_out", "merge_in"]  # the old history stays readable
    assert check_chunk()[1] == []
    audit = db.session.scalars(select(AuditEntry).filter_by(action="member.merge")).one()
    assert audit.target_id == str(old.id)


def test_a_phone_of_another_wechat_member_is_taken(login, factory):
    factory.member(phone="13700000000")  # a WeChat member
    _, me = login("o-taken")
    response = me.post("/me/phone", {"code": "fakephone:13700000000"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "phone_taken"
    assert me.get("/me").get_json()["phone_masked"] is None


def test_an_invalid_phone_code_is_422(login):
    _, me = login("o-badphone")
    response = me.post("/me/phone", {"code": "garbage"})
    assert response.status_code == 422 and "code" in response.get_json()["error"]["details"]


def test_an_expired_access_token_is_refreshed_once_mid_call(login, wechat):
    _, me = login("o-token")
    assert me.post("/me/phone", {"code": "fakephone:13600000001"}).status_code == 200
    wechat.expire_tokens()
    response = me.post("/me/phone", {"code": "fakephone:13600000002"})
    assert response.status_code == 200
    assert response.get_json()["phone_masked"] == "136****0002"


def test_a_token_that_stays_invalid_fails_after_one_refresh(login, wechat):
    _, me = login("o-token2")
    wechat.fail_path("/wxa/business/getuserphonenumber", times=5, errcode=40001)
    response = me.post("/me/phone", {"code": "fakephone:13600000003"})
    assert response.status_code == 502
    assert response.get_json()["error"]["details"]["errcode"] == 40001
    assert wechat.calls("/wxa/business/getuserphonenumber") == 2


@pytest.mark.committing
@pytest.mark.mariadb
def test_two_members_binding_one_phone_at_once_one_wins(app, client, wechat):
    from tests.helpers import ApiClient

    clients = []
    for i in range(2):
        token = client.post("/auth/wx-login", {"code": f"fake:o-race{i}"}).get_json()["token"]
        clients.append(ApiClient(app.test_client(), token=token))
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda i: clients[i].post(
            "/me/phone", {"code": f"fakephone:13500000000:{i}"}), range(2)))  # codes work once
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 409]
    assert db.session.scalar(select(Member.id).filter_by(phone="13500000000")) is not None
