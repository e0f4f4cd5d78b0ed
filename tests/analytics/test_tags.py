"""Tags: each rule condition, AND/OR, manual tags, membership history, /admin/members?tag=."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core import clock
from core.db import db
from core.errors import ValidationFailed
from analytics import jobs
from analytics.tags import rules, service
from analytics.tags.models import TagChange
from members.models import Member
from tasks.models import CheckIn

AS_OF = date(2026, 6, 30)


def matched(rule, as_of=AS_OF):
    return set(db.session.scalars(service.matching(rule, as_of)))


def one(field, op, value, **extra):
    return {"all": [{"field": field, "op": op, "value": value, **extra}]}


@pytest.fixture
def shoppers(members, buy, factory):
    """big: 3 orders of 500 yuan at HOME1 (last 10 days ago); small: 1 order of 10 yuan at
    HOME2, 100 days ago; quiet: none. Scored as of AS_OF."""
    home1, home2 = factory.store("HOME1"), factory.store("HOME2")
    big, small, quiet = members(3)
    for i in range(3):
        buy(big, home1, AS_OF - timedelta(days=10 + 30 * i), amount_fen=50000)
    buy(big, home2, AS_OF - timedelta(days=15), amount_fen=100)
    buy(small, home2, AS_OF - timedelta(days=100), amount_fen=1000)
    jobs.score(AS_OF.isoformat())
    jobs.churn_statuses(AS_OF.isoformat())
    return big, small, quiet


def test_segment_churn_and_window_conditions(shoppers):
    big, small, quiet = shoppers
    assert matched(one("segment", "in", ["important_value"])) == {big.id}
    assert matched(one("segment", "in", ["no_purchase"])) >= {quiet.id}
    assert matched(one("churn", "in", ["at_risk"])) == {small.id}
    assert matched(one("spend_fen", "gte", 100000)) == {big.id}
    assert matched(one("orders", "lte", 1)) >= {small.id, quiet.id}
    assert big.id not in matched(one("orders", "lte", 1))
    assert matched(one("last_order", "before", "2026-04-01")) == {small.id}
    assert matched(one("last_order", "after", "2026-06-19")) == {big.id}
    assert matched(one("home_store", "in", ["HOME1"])) == {big.id}
    assert matched(one("home_store", "in", ["HOME2"])) == {small.id}


def test_member_and_ledger_conditions(factory):
    store = factory.store("REG1")
    clock.set(datetime(2026, 6, 1, 4, tzinfo=timezone.utc))
    rich, poor, inviter = factory.member(points=500), factory.member(points=20), factory.member()
    rich_row = db.session.get(Member, rich.id)
    rich_row.registered_store_id, rich_row.tier_code = store.id, "gold"
    db.session.get(Member, poor.id).invited_by_id = inviter.id
    db.session.get(Member, rich.id).invited_by_id = inviter.id
    factory.credit(poor, 30, expires_at=datetime(2026, 7, 5, 4, tzinfo=timezone.utc))
    db.session.add(CheckIn(member_id=poor.id, task_id=_checkin_task(), day=AS_OF, streak=6,
                           points=1, created_at=clock.now()))
    db.session.flush()
    assert matched(one("balance", "gte", 500)) == {rich.id}
    assert matched(one("tier", "in", ["gold"])) == {rich.id}
    assert matched(one("registration_store", "in", ["REG1"])) == {rich.id}
    assert matched(one("referrals", "gte", 2)) == {inviter.id}
    assert matched(one("expiring_points", "gte", 30, days=7)) == {poor.id}
    assert matched(one("expiring_points", "gte", 30, days=3)) == set()
    assert matched(one("checkin_streak", "gte", 5)) == {poor.id}
    assert matched(one("checkin_streak", "gte", 5), AS_OF + timedelta(days=2)) == set()
    assert rich.id in matched(one("registered", "after", "2026-05-31"))
    assert rich.id not in matched(one("registered", "before", "2026-06-01"))
    both = {"all": [{"field": "balance", "op": "gte", "value": 40},
                    {"any": [{"field": "tier", "op": "in", "value": ["gold"]},
                             {"field": "referrals", "op": "gte", "value": 1}]}]}
    assert matched(both) == {rich.id}
    either = {"any": [{"field": "tier", "op": "in", "value": ["gold"]},
                      {"field": "referrals", "op": "gte", "value": 2}]}
    assert matched(either) == {rich.id, inviter.id}


def _checkin_task():
    from tasks.models import Task

    task = db.session.scalars(select(Task)).first()
    if task is None:
        task = Task(kind="checkin", title="check in", config={"schedule": [1]}, active=False,
                    created_at=clock.now(), updated_at=clock.now())
        db.session.add(task)
        db.session.flush()
    return task.id


@pytest.mark.parametrize("rule", [
    {"all": []}, {"both": [{"field": "tier", "op": "in", "value": ["x"]}]},
    one("tier", "gte", 3), one("segment", "in", ["nonsense"]), one("balance", "gte", -1),
    one("expiring_points", "gte", 3), one("last_order", "before", "yesterday"),
    one("favourite_category", "in", []), one("favourite_category", "gte", 1),
    one("coupon_unused_days", "lte", 3), one("coupon_unused_days", "gte", "3"),
])
def test_bad_rules_are_refused(rule):
    with pytest.raises(ValidationFailed):
        rules.validate_rule(rule)


def test_a_rule_tag_records_who_entered_and_left(shoppers, buy, factory, staff_client):
    big, small, quiet = shoppers
    client = staff_client("marketer")
    tag = client.post("/admin/tags", {"name": "big spenders", "kind": "rule",
                                      "rule": one("spend_fen", "gte", 100000)}).get_json()
    assert client.post("/admin/tags/count", {"rule": one("spend_fen", "gte", 1000)}
                       ).get_json() == {"members": 2}
    jobs.tags_and_automations(AS_OF.isoformat())
    page = client.get(f"/admin/members?tag={tag['id']}").get_json()
    assert [m["member_no"] for m in page["items"]] == [big.member_no]
    buy(small, factory.store(), AS_OF + timedelta(days=1), amount_fen=200000)
    jobs.score((AS_OF + timedelta(days=400)).isoformat())  # nobody's orders in the window
    jobs.tags_and_automations((AS_OF + timedelta(days=400)).isoformat())
    jobs.score((AS_OF + timedelta(days=2)).isoformat())
    jobs.tags_and_automations((AS_OF + timedelta(days=2)).isoformat())
    page = client.get(f"/admin/members?tag={tag['id']}").get_json()
    assert sorted(m["member_no"] for m in page["items"]) == sorted([big.member_no, small.member_no])
    changes = [(c.member_id, c.change, c.changed_on) for c in db.session.scalars(
        select(TagChange).filter_by(tag_id=tag["id"]).order_by(TagChange.id))]
    later, latest = AS_OF + timedelta(days=400), AS_OF + timedelta(days=2)
    assert changes == [(big.id, "entered", AS_OF), (big.id, "left", later),
                       (big.id, "entered", latest), (small.id, "entered", latest)]
    body = client.get(f"/admin/tags/{tag['id']}/changes").get_json()
    assert len(body["items"]) == 4


def test_a_manual_tag(factory, staff_client):
    vip, staff_member = factory.member(), factory.member()
    client = staff_client("hq_admin")
    tag = client.post("/admin/tags", {"name": "VIP", "kind": "manual"}).get_json()
    response = client.post(f"/admin/tags/{tag['id']}/members",
                           {"member_nos": [vip.member_no, staff_member.member_no]})
    assert response.get_json() == {"added": 2}
    assert client.post(f"/admin/tags/{tag['id']}/members",
                       {"member_nos": [vip.member_no]}).get_json() == {"added": 0}
    removed = client.delete(f"/admin/tags/{tag['id']}/members/{staff_member.member_no}")
    assert removed.status_code == 204
    page = client.get(f"/admin/members?tag={tag['id']}").get_json()
    assert [m["member_no"] for m in page["items"]] == [vip.member_no]
    assert client.post(f"/admin/tags/{tag['id']}/members",
                       {"member_nos": ["0000000000"]}).status_code == 404
    assert client.get("/admin/members?tag=999999").status_code == 404
    rule_tag = client.post("/admin/tags", {"name": "r", "kind": "rule",
                                           "rule": one("balance", "gte", 1)}).get_json()
    assert client.post(f"/admin/tags/{rule_tag['id']}/members",
                       {"member_nos": [vip.member_no]}).status_code == 409
    assert client.post("/admin/tags", {"name": "no rule", "kind": "rule"}).status_code == 422


def test_tag_names_are_unique(staff_client):
    client = staff_client("marketer")
    client.post("/admin/tags", {"name": "A", "kind": "manual"})
    b = client.post("/admin/tags", {"name": "B", "kind": "manual"}).get_json()
    assert client.post("/admin/tags", {"name": "A", "kind": "manual"}).status_code == 409
    assert client.patch(f"/admin/tags/{b['id']}", {"name": "A"}).status_code == 409
    assert client.patch(f"/admin/tags/{b['id']}", {"name": "B"}).status_code == 200


def line(category, amount_fen):
    return {"sku": category or "x", "category": category, "amount_fen": amount_fen, "quantity": 1}


def test_favourite_category_is_where_the_member_spent_most(members, buy, factory):
    store = factory.store()
    tea, coffee, tied, refunded, old = members(5)
    # tea: many small coffee lines, but more money on tea
    buy(tea, store, AS_OF - timedelta(days=3), 9000, items=[line("tea", 6000), line(None, 3000)])
    for _ in range(3):
        buy(tea, store, AS_OF - timedelta(days=5), 1500, items=[line("coffee", 1500)])
    buy(coffee, store, AS_OF - timedelta(days=2), 5000,
        items=[line("coffee", 3000), line("tea", 2000)])
    buy(tied, store, AS_OF - timedelta(days=2), 4000,
        items=[line("tea", 2000), line("cake", 2000)])
    # a wholly refunded order does not count: its tea is not refunded's favourite
    buy(refunded, store, AS_OF - timedelta(days=2), 9000, items=[line("tea", 9000)],
        refunded_fen=9000)
    buy(refunded, store, AS_OF - timedelta(days=2), 1000, items=[line("cake", 1000)])
    # outside the 365-day RFM window, and after the as-of day: neither counts
    buy(old, store, AS_OF - timedelta(days=400), 9000, items=[line("tea", 9000)])
    buy(old, store, AS_OF + timedelta(days=1), 9000, items=[line("tea", 9000)])
    buy(old, store, AS_OF - timedelta(days=9), 100, items=[line("cake", 100)])
    assert matched(one("favourite_category", "in", ["tea"])) == {tea.id, tied.id}
    assert matched(one("favourite_category", "in", ["coffee"])) == {coffee.id}
    assert matched(one("favourite_category", "in", ["cake"])) == {tied.id, refunded.id, old.id}
    assert matched(one("favourite_category", "in", ["coffee", "cake"])) == \
        {coffee.id, tied.id, refunded.id, old.id}
    assert old.id in matched(one("favourite_category", "in", ["tea"]), AS_OF + timedelta(days=1))
    both = {"all": [{"field": "favourite_category", "op": "in", "value": ["tea"]},
                    {"field": "favourite_category", "op": "in", "value": ["tea", "cake"]}]}
    assert matched(both) == {tea.id, tied.id}


def test_coupon_unused_for_n_days(factory, coupon_product):
    from mall import issuing
    from mall.models import Coupon

    product, short = coupon_product(valid_days=30), coupon_product(valid_days=3)
    holder, fresh, used, lapsed, none = (factory.member() for _ in range(5))
    issued = datetime(2026, 6, 19, 4, tzinfo=timezone.utc)  # 11 business days before AS_OF
    for member in (holder, used):
        issuing.award(member.id, product, now=issued)
    issuing.award(lapsed.id, short, now=issued)  # expired by the as-of day
    issuing.award(fresh.id, product, now=datetime(2026, 6, 28, 4, tzinfo=timezone.utc))
    db.session.scalars(select(Coupon).filter_by(member_id=used.id)).one().status = "used"
    db.session.flush()
    assert matched(one("coupon_unused_days", "gte", 11)) == {holder.id}
    assert matched(one("coupon_unused_days", "gte", 12)) == set()
    assert matched(one("coupon_unused_days", "gte", 2)) == {holder.id, fresh.id}
    assert matched(one("coupon_unused_days", "gte", 0)) == {holder.id, fresh.id}
    assert none.id not in matched(one("coupon_unused_days", "gte", 0))
