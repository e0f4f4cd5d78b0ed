"""Where a merge (a till customer binding their phone) meets refunds, expiry, tiers and orders in
flight: points land on the member the merge kept, are never counted twice, and the tiers follow
what was earned. Each case failed before its fix; the races run on MariaDB with real threads."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from core import clock
from core.db import db, run_in_transaction
from members import service as members_service
from members.lookup import member_with_phone
from members.models import STATUS_MERGED, Member
from points.earning import orders
from points.ledger import reconcile
from points.ledger.jobs import expire_due_lots
from points.ledger.models import PointsAccount, PointsEntry
from points.programme import tiers
from points.programme.jobs import tier_review
from points.programme.models import EarnedMonth
from stores.models import Store
from tests.concurrency import race
from tests.points.ledger_checks import assert_ledger_consistent

SH = timezone(timedelta(hours=8))
PHONE = "13900000001"


def balance(member_id):
    db.session.expire_all()
    return db.session.get(PointsAccount, member_id).balance


def pay(pos, order_no, yuan, **member):
    response = pos.post("/pos/orders", {"store_code": "SH001", "order_no": order_no,
                                        "amount_fen": yuan * 100, **(member or {"phone": PHONE})})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def refund(pos, order_no, yuan, refund_no=None):
    response = pos.post(f"/pos/orders/{order_no}/refunds", {
        "store_code": "SH001", "refund_no": refund_no or f"RF-{order_no}", "amount_fen": yuan * 100})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def bind(customer_phone, member):
    """What POST /me/phone does once WeChat has told us the phone: the till customer merges in."""
    holder = member_with_phone(customer_phone)
    members_service.merge_customer(holder, member, holder.phone)
    db.session.commit()
    return holder


@pytest.fixture
def till(shop, settings):
    settings(deduction={"points_per_yuan": 100, "max_ratio_percent": 20})
    return shop[1]


def deduct(pos, order_no, yuan, points):
    customer = member_with_phone(PHONE)
    response = pos.post("/pos/deductions", {"store_code": "SH001", "order_no": order_no,
                                            "amount_fen": yuan * 100, "points": points,
                                            "member_no": customer.member_no})
    assert response.status_code == 201, response.get_json()


def test_refunds_of_orders_made_before_a_merge_act_on_the_member_it_joined(till, factory):
    pay(till, "P-1", 1000)
    deduct(till, "D-1", 150, 500)
    pay(till, "D-1", 150)
    member = factory.member()
    customer = bind(PHONE, member)
    assert balance(member.id) == 650 and balance(customer.id) == 0

    assert refund(till, "D-1", 150)["balance"] == 1000  # 500 returned, 150 taken back
    assert refund(till, "P-1", 1000)["balance"] == 0
    assert balance(member.id) == 0 and balance(customer.id) == 0
    assert_ledger_consistent()


def test_a_refund_after_the_merge_returns_deducted_points_to_the_member_it_joined(till, factory):
    pay(till, "P-1", 1000)
    deduct(till, "D-1", 150, 500)
    pay(till, "D-1", 150)
    member = factory.member()
    customer = bind(PHONE, member)
    assert refund(till, "D-1", 150)["balance"] == 1000
    assert balance(member.id) == 1000 and balance(customer.id) == 0
    assert_ledger_consistent()


def test_a_refund_never_takes_expired_points_a_second_time(shop, factory, settings):
    settings(expiry={"mode": "fixed_days", "days": 30})
    _store, pos = shop
    member = factory.member()
    clock.set(datetime(2026, 3, 1, 12, tzinfo=SH))
    pay(pos, "OLD", 100, member_no=member.member_no)
    clock.set(datetime(2026, 4, 15, 12, tzinfo=SH))
    assert expire_due_lots(clock.now()) == 1
    pay(pos, "NEW", 50, member_no=member.member_no)
    assert refund(pos, "OLD", 100)["points_reversed"] == 0
    assert balance(member.id) == 50
    assert_ledger_consistent()


def test_a_partial_refund_takes_what_has_not_expired(shop, factory, settings):
    settings(expiry={"mode": "fixed_days", "days": 30})
    _store, pos = shop
    member = factory.member()
    clock.set(datetime(2026, 3, 1, 12, tzinfo=SH))
    pay(pos, "OLD", 100, member_no=member.member_no)
    clock.set(datetime(2026, 3, 20, 12, tzinfo=SH))
    from points import ledger  # spend 60: 40 of the order's points are left to expire
    ledger.debit(member.id, 60, kind="spend", key="spend:60")
    db.session.commit()
    clock.set(datetime(2026, 4, 15, 12, tzinfo=SH))
    expire_due_lots(clock.now())
    assert refund(pos, "OLD", 50, "RF-1")["points_reversed"] == 50  # the 60 spent → debt
    assert refund(pos, "OLD", 50, "RF-2")["points_reversed"] == 10  # 40 expired: not again
    assert balance(member.id) == -60
    assert_ledger_consistent()


@pytest.fixture
def silver(settings):
    tiers.create_tier("silver", "银卡", 1000, 150)
    db.session.commit()


def test_a_merge_keeps_the_tier_the_customer_reached(till, factory, silver):
    assert pay(till, "P-1", 1200)["points_earned"] == 1200
    customer = member_with_phone(PHONE)
    assert customer.tier_code == "silver"
    member = factory.member()
    bind(PHONE, member)
    db.session.expire_all()
    assert db.session.get(Member, member.id).tier_code == "silver"
    assert pay(till, "P-2", 100, member_no=member.member_no)["points_earned"] == 150
    assert tier_review() == {"tiers_changed": 0}
    assert db.session.get(Member, member.id).tier_code == "silver"
    assert_ledger_consistent()


def test_a_full_refund_takes_the_earnings_out_of_the_tiers(shop, factory, silver):
    _store, pos = shop
    member = factory.member()
    pay(pos, "BIG", 1000, member_no=member.member_no)
    db.session.expire_all()
    assert db.session.get(Member, member.id).tier_code == "silver"
    refund(pos, "BIG", 1000)
    db.session.expire_all()
    assert db.session.get(PointsAccount, member.id).lifetime_earned == 0
    assert db.session.scalar(select(func.sum(EarnedMonth.points))
                             .where(EarnedMonth.member_id == member.id)) == 0
    assert tier_review() == {"tiers_changed": 1}
    assert pay(pos, "NEXT", 100, member_no=member.member_no)["points_earned"] == 100
    assert_ledger_consistent()


# --- races on MariaDB ------------------------------------------------------------------------

def _order_by_phone(store_id, order_no, phone):
    store = db.session.get(Store, store_id)
    return orders.record_order(store, {"store_code": store.code, "order_no": order_no,
                                       "amount_fen": 1000, "phone": phone}, source="pos")


def _bind(holder_id, member_id):
    holder, member = db.session.get(Member, holder_id), db.session.get(Member, member_id)
    return members_service.merge_customer(holder, member, holder.phone)


def _till_customer_and_member(factory, store, phone):
    run_in_transaction(lambda: _order_by_phone(store.id, f"first-{phone}", phone))
    holder = member_with_phone(phone)
    return holder.id, factory.member().id


@pytest.mark.mariadb
@pytest.mark.committing
@pytest.mark.parametrize("round_", range(4))
def test_orders_in_flight_during_a_merge_land_on_the_member_it_joined(app, factory, round_):
    store = factory.store(code="SH001")
    phone = f"1390000{round_:04d}"
    holder_id, member_id = _till_customer_and_member(factory, store, phone)

    def work(i):
        if i == 0:
            return _bind(holder_id, member_id)
        return _order_by_phone(store.id, f"O-{i}", phone)

    results = race(app, work, 8)
    assert not [r for r in results if isinstance(r, Exception)], results
    db.session.remove()
    out_id = db.session.scalar(select(PointsEntry.id).filter_by(member_id=holder_id,
                                                                kind="merge_out"))
    after = db.session.scalar(select(func.count()).select_from(PointsEntry).where(
        PointsEntry.member_id == holder_id, PointsEntry.id > out_id))
    assert after == 0  # nothing credited to the merged account after its points left
    assert balance(holder_id) == 0
    assert balance(member_id) == 10 * 8  # the first order and the 7 in flight, ¥10 each
    assert_ledger_consistent()


@pytest.fixture(scope="module")
def _wechat_server():
    from wx.fake_server import FakeWechatServer

    with FakeWechatServer() as server:
        yield server


@pytest.fixture
def wechat(app, _wechat_server, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", _wechat_server.url)


@pytest.mark.mariadb
@pytest.mark.committing
@pytest.mark.parametrize("round_", range(6))
def test_binding_a_phone_under_till_traffic_succeeds(app, factory, wechat, round_):
    store = factory.store(code="SH001")
    phone = f"1380000{round_:04d}"
    holder_id, member_id = _till_customer_and_member(factory, store, phone)
    holder_no = db.session.get(Member, holder_id).member_no

    def work(i):
        if i == 3:  # POST /me/phone, as the mini-program sends it
            return members_service.bind_phone(db.session.get(Member, member_id), f"fakephone:{phone}")
        store_ = db.session.get(Store, store.id)
        return orders.record_order(store_, {"store_code": store.code, "order_no": f"N-{i}",
                                            "amount_fen": 500, "member_no": holder_no},
                                   source="pos")

    results = race(app, work, 8)
    assert not [r for r in results if isinstance(r, Exception)], results
    db.session.remove()
    assert db.session.get(Member, holder_id).status == STATUS_MERGED
    assert balance(member_id) == 10 + 7 * 5
    assert_ledger_consistent()


@pytest.mark.mariadb
@pytest.mark.committing
def test_a_tier_review_never_lowers_a_member_on_earnings_an_order_is_adding(app, factory):
    store = factory.store(code="SH001")
    tiers.create_tier("silver", "银卡", 1000, 100)
    db.session.commit()
    members = [factory.member(points=1999) for _ in range(30)]
    assert all(db.session.get(Member, m.id).tier_code == "silver" for m in members)
    tiers.update_tier("silver", {"threshold_points": 2000})
    db.session.commit()

    def work(i):
        if i == 0:
            return tier_review(chunk=7)
        store_ = db.session.get(Store, store.id)
        return orders.record_order(store_, {"store_code": "SH001", "order_no": f"T-{i}",
                                            "amount_fen": 100,
                                            "member_no": members[i - 1].member_no}, source="pos")

    results = race(app, work, len(members) + 1)
    assert not [r for r in results if isinstance(r, Exception)], results
    db.session.remove()
    lowered = [m.id for m in members if db.session.get(Member, m.id).tier_code != "silver"]
    assert lowered == []  # each ends with 2,000 earned: silver
    assert_ledger_consistent()


# --- the reconciliation sees across accounts -------------------------------------------------

def _problems():
    cursor, found = 0, []
    while cursor is not None:
        _n, more, cursor = reconcile.check_chunk(cursor, 1000)
        found += more
    return {p["invariant"] for p in found}


def test_the_reconciliation_sees_points_left_on_a_merged_account(till, factory):
    pay(till, "P-1", 100)
    member = factory.member()
    customer = bind(PHONE, member)
    from points import ledger
    ledger.credit(customer.id, 30, kind="earn", key="stray")  # what an unfixed refund did
    db.session.commit()
    assert {"a merged account holds nothing", "no entry after a merge_out"} <= _problems()


def test_the_reconciliation_sees_expired_points_taken_back_again(shop, factory, settings):
    settings(expiry={"mode": "fixed_days", "days": 30})
    member = factory.member()
    clock.set(datetime(2026, 3, 1, 12, tzinfo=SH))
    from points import ledger
    entry = ledger.credit(member.id, 100, kind="earn", key="order:x")
    clock.set(datetime(2026, 4, 15, 12, tzinfo=SH))
    expire_due_lots(clock.now())
    ledger.clawback(member.id, 100, key="unfixed-refund", kind="reverse",
                    ref=("entry", entry.id))  # what a refund did before it knew of expiry
    db.session.commit()
    assert "reversed + expired ≤ credited" in _problems()


def test_the_reconciliation_sees_a_tier_below_what_was_earned(factory, silver):
    member = factory.member(points=1200)
    db.session.execute(Member.__table__.update().where(Member.__table__.c.id == member.id)
                       .values(tier_code=None))  # what a merge did to the tier before
    db.session.commit()
    assert "tier ≥ the tier the window's earnings reach" in _problems()


def test_a_referral_paid_for_an_existing_customer_is_taken_back_when_binding_shows_it(
        till, factory, wechat):
    from core import events
    from tasks import service as tasks_service
    from tasks.models import Referral

    tasks_service.save_task({"kind": "referral", "title": "邀请好友", "config": {
        "inviter_points": 200, "invitee_points": 100, "trigger": "first_order"}})
    clock.set(datetime(2026, 5, 1, 10, tzinfo=SH))
    pay(till, "TILL-1", 30)  # a customer the till knows by phone
    friend = factory.member()
    clock.set(datetime(2026, 5, 2, 10, tzinfo=SH))
    invitee = factory.member()  # logs in to the mini-program with the friend's invite code
    events.emit("member.registered", member=invitee, invite_code=friend.invite_code, store=None)
    pay(till, "APP-1", 20, member_no=invitee.member_no)  # a first order under the new number
    assert balance(friend.id) == 200 and balance(invitee.id) == 20 + 100

    members_service.bind_phone(db.session.get(Member, invitee.id), f"fakephone:{PHONE}")
    db.session.commit()
    assert db.session.scalars(select(Referral.status)).one() == "revoked"
    assert balance(friend.id) == 0
    assert balance(invitee.id) == 20 + 30  # both orders' points, no invitee reward
    taken = db.session.scalars(select(PointsEntry.reason).filter_by(kind="reverse")).all()
    assert taken == ["邀请奖励扣回：被邀请人是已有顾客"] * 2
    assert_ledger_consistent()


def test_a_refund_never_takes_points_that_are_due_but_not_swept_yet(shop, factory, settings):
    """Found by the state machine: the refund counted what had expired before the points due
    were expired by the refund itself."""
    settings(expiry={"mode": "fixed_days", "days": 30})
    _store, pos = shop
    member = factory.member()
    clock.set(datetime(2026, 3, 1, 12, tzinfo=SH))
    pay(pos, "OLD", 100, member_no=member.member_no)
    clock.set(datetime(2026, 4, 15, 12, tzinfo=SH))  # due, and the nightly sweep has not run
    assert refund(pos, "OLD", 100)["points_reversed"] == 0
    assert balance(member.id) == 0
    assert_ledger_consistent()
