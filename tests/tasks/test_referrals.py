"""Referral rewards: both triggers, refusals, the monthly cap, exactly once."""
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from core import events
from core.db import db
from members.models import Member
from points.ledger.models import PointsAccount, PointsEntry
from tasks.models import Referral


def balance(member):
    db.session.expire_all()
    return db.session.get(PointsAccount, member.id).balance


def register(factory, inviter_code):
    """A new WeChat member arriving with an invite code (what identity's login emits)."""
    member = factory.member()
    events.emit("member.registered", member=member, invite_code=inviter_code, store=None)
    db.session.commit()
    return member


def first_order(member, first=True):
    events.emit("order.recorded", member=member, order=SimpleNamespace(id=1, store_id=None),
                first=first)
    db.session.commit()


def first_orders_at_once(app, members):
    """Each member's first order, all from their own thread and transaction at once."""
    from core.db import run_in_transaction

    def order(member_id):
        with app.app_context():
            def work():
                member = db.session.get(Member, member_id)
                events.emit("order.recorded", member=member,
                            order=SimpleNamespace(id=1, store_id=None), first=True)
            run_in_transaction(work, retries=app.config["TX_RETRIES"])

    with ThreadPoolExecutor(len(members)) as pool:
        list(pool.map(order, [m.id for m in members]))
    db.session.remove()


@pytest.fixture
def referral_task(make_task):
    def make(trigger="register", **config):
        return make_task("referral", config={"inviter_points": 100, "invitee_points": 50,
                                             "trigger": trigger, **config})
    return make


def test_register_trigger_pays_both_at_the_first_login(factory, referral_task, member_client):
    referral_task("register")
    inviter = factory.member()
    invitee = register(factory, inviter.invite_code)
    assert balance(inviter) == 100 and balance(invitee) == 50
    assert db.session.get(Member, invitee.id).invited_by_id == inviter.id
    register(factory, inviter.invite_code)
    assert balance(inviter) == 200


def test_first_order_trigger_waits_for_the_first_order(factory, referral_task):
    referral_task("first_order")
    inviter = factory.member()
    invitee = register(factory, inviter.invite_code)
    assert balance(inviter) == 0
    first_order(invitee)
    first_order(invitee, first=False)
    assert balance(inviter) == 100 and balance(invitee) == 50


def test_self_unknown_and_cyclic_invitations_are_ignored(factory, referral_task):
    referral_task("register")
    a = factory.member()
    b = register(factory, a.invite_code)
    member = factory.member()
    events.emit("member.registered", member=member, invite_code=member.invite_code, store=None)
    events.emit("member.registered", member=a, invite_code=b.invite_code, store=None)  # a cycle
    register(factory, "NOSUCHCODE")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 1
    assert balance(member) == 0 and db.session.get(Member, a.id).invited_by_id is None


def test_a_member_is_invited_once(factory, referral_task):
    referral_task("register")
    a, c = factory.member(), factory.member()
    b = register(factory, a.invite_code)
    events.emit("member.registered", member=b, invite_code=c.invite_code, store=None)
    db.session.commit()
    assert balance(c) == 0 and db.session.get(Member, b.id).invited_by_id == a.id


def test_an_existing_store_customer_is_not_a_new_invitee(factory, referral_task):
    referral_task("first_order")
    inviter = factory.member()
    invitee = register(factory, inviter.invite_code)
    walk_in = factory.member()
    events.emit("member.phone_bound", member=invitee, merged=walk_in)
    db.session.commit()
    first_order(invitee)
    assert balance(inviter) == 0
    assert db.session.scalars(select(Referral.status)).one() == "refused"


def test_the_monthly_cap_stops_the_inviters_reward_not_the_invitees(factory, referral_task):
    referral_task("register", monthly_cap=2)
    inviter = factory.member()
    friends = [register(factory, inviter.invite_code) for _ in range(3)]
    assert balance(inviter) == 200
    assert [balance(f) for f in friends] == [50, 50, 50]


def test_the_member_limit_caps_what_one_inviter_earns_in_all(factory, referral_task, make_task):
    task = referral_task("register")
    task.member_limit_points = 200
    db.session.commit()
    inviter = factory.member()
    friends = [register(factory, inviter.invite_code) for _ in range(3)]
    assert balance(inviter) == 200
    assert [balance(f) for f in friends] == [50, 50, 50]
    statuses = db.session.scalars(select(Referral.status).order_by(Referral.id)).all()
    assert statuses == ["rewarded", "rewarded", "capped"]


def test_my_invites_lists_friends_masked(factory, referral_task, member_client):
    referral_task("first_order")
    me = member_client()
    friend = register(factory, me.member.invite_code)
    body = me.get("/me/invites").get_json()
    assert body["invite_code"] == me.member.invite_code
    [row] = body["invited"]
    assert row["rewarded"] is False and friend.member_no not in row["member_no_masked"]
    assert row["member_no_masked"].endswith(friend.member_no[-4:])


@pytest.mark.committing
@pytest.mark.mariadb
def test_concurrent_first_orders_reward_once(app, factory, referral_task):
    referral_task("first_order")
    inviter = factory.member()
    invitee = register(factory, inviter.invite_code)

    first_orders_at_once(app, [invitee] * 8)
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)
                             .where(PointsEntry.kind == "referral")) == 2
    assert balance(inviter) == 100


def test_a_spent_referral_budget_does_not_break_the_login(factory, make_task):
    make_task("referral", config={"inviter_points": 100, "invitee_points": 50,
                                  "trigger": "register"}, budget_points=150)
    inviter = factory.member()
    register(factory, inviter.invite_code)
    late = register(factory, inviter.invite_code)   # no exception: registration goes on
    assert balance(inviter) == 100 and balance(late) == 0


@pytest.mark.committing
@pytest.mark.mariadb
def test_concurrent_first_orders_of_many_friends_never_pass_the_inviters_limit(
        app, factory, referral_task):
    task = referral_task("first_order")
    task.member_limit_points = 300
    db.session.commit()
    inviter = factory.member()
    friends = [register(factory, inviter.invite_code) for _ in range(8)]

    first_orders_at_once(app, friends)
    assert balance(inviter) == 300
    assert [balance(f) for f in friends] == [50] * 8
    assert sorted(db.session.scalars(select(Referral.status))) == ["capped"] * 5 + ["rewarded"] * 3


@pytest.mark.committing
@pytest.mark.mariadb
def test_concurrent_first_orders_of_many_friends_never_pass_the_monthly_cap(
        app, factory, referral_task):
    referral_task("first_order", monthly_cap=3)
    inviter = factory.member()
    friends = [register(factory, inviter.invite_code) for _ in range(8)]
    first_orders_at_once(app, friends)
    assert balance(inviter) == 300
    assert [balance(f) for f in friends] == [50] * 8
