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
    assert db.session.scalar(select(Member.id).filter_by(phone="+8613500000000")) is not None


# --- WeChat's phone codes as they really are: once, 5 minutes, the user's own, any country ---

def test_a_foreign_number_is_kept_with_its_country_code_and_staff_find_it(login, staff_client):
    _, me = login("o-london")
    response = me.post("/me/phone", {"code": "fakephone:+44:7700900123"})
    assert response.status_code == 200 and response.get_json()["phone_masked"] == "+4477****0123"
    member_id = me.get("/me").get_json()["id"]
    assert db.session.get(Member, member_id).phone == "+447700900123"  # E.164
    cashier = staff_client("cashier")
    for typed in ("%2B447700900123", "0044%207700%20900123", "+447700900123"):  # bare + = space
        found = cashier.get(f"/staff/members?phone={typed}")
        assert found.status_code == 200 and found.get_json()["id"] == member_id, typed
    assert cashier.get("/staff/members?phone=%2B17700900123").status_code == 404


def test_the_same_digits_in_two_countries_are_two_numbers(login):
    _, uk = login("o-uk")
    _, us = login("o-us")
    assert uk.post("/me/phone", {"code": "fakephone:+44:7700900123"}).status_code == 200
    assert us.post("/me/phone", {"code": "fakephone:+1:7700900123"}).status_code == 200


def test_a_mainland_number_is_stored_with_86_and_shown_as_before(login, staff_client):
    _, me = login("o-shanghai")
    assert me.post("/me/phone", {"code": "fakephone:13812340000"}).get_json()["phone_masked"] \
        == "138****0000"
    found = staff_client("cashier").get("/staff/members?phone=13812340000").get_json()
    assert db.session.get(Member, found["id"]).phone == "+8613812340000"


def test_a_reused_phone_code_is_refused(login):
    _, me = login("o-reuse")
    assert me.post("/me/phone", {"code": "fakephone:13812340001"}).status_code == 200
    again = me.post("/me/phone", {"code": "fakephone:13812340001"})
    assert again.status_code == 422 and "code" in again.get_json()["error"]["details"]


def test_a_phone_code_6_minutes_old_is_refused(login, wechat):
    _, me = login("o-slow")
    code = wechat.control("POST", "/_fake/phone-codes", {"phone": "13812340002"})["code"]
    wechat.control("POST", "/_fake/clock", {"advance": 360})
    response = me.post("/me/phone", {"code": code})
    assert response.status_code == 422
    assert me.get("/me").get_json()["phone_masked"] is None


def test_the_members_openid_goes_with_the_code_so_another_users_code_is_refused(login, wechat):
    _, thief = login("o-thief")
    _, owner = login("o-owner")
    code = wechat.control("POST", "/_fake/phone-codes",
                          {"phone": "13812340003", "openid": "o-owner"})["code"]
    assert thief.post("/me/phone", {"code": code}).status_code == 422
    assert owner.post("/me/phone", {"code": code}).status_code == 200


def test_the_migration_gives_stored_mainland_numbers_their_86(factory):
    import importlib.util
    from pathlib import Path

    from alembic.migration import MigrationContext
    from alembic.operations import Operations
    from sqlalchemy import text

    path = Path(__file__).parents[2] / "migrations/versions/20261202_1310_members_phone_e164.py"
    spec = importlib.util.spec_from_file_location("phone_e164", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    mainland, foreign = factory.member(phone="13700000001"), factory.member(phone="+447700900123")

    def phones():  # read past the model, which would give any phone its E.164 form
        rows = db.session.execute(text("SELECT id, phone FROM members WHERE id IN (:a, :b)"),
                                  {"a": mainland.id, "b": foreign.id})
        return dict(rows.all())

    with Operations.context(MigrationContext.configure(db.session.connection())):
        migration.downgrade()  # as stored before: bare mainland digits
        assert phones() == {mainland.id: "13700000001", foreign.id: "+447700900123"}
        migration.upgrade()
    assert phones() == {mainland.id: "+8613700000001", foreign.id: "+447700900123"}
