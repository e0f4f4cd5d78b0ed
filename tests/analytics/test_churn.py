"""Churn status by each member's own rhythm (analytics.churn)."""
from datetime import date, timedelta

from sqlalchemy import select

from core.db import db
from analytics import jobs, settings
from analytics.models import MemberChurn

LAST = date(2026, 6, 1)


def status(member, as_of):
    jobs.churn_statuses(as_of.isoformat())
    db.session.expire_all()
    return db.session.get(MemberChurn, member.id)


def every_ten_days(member, store, buy, n=4):
    for i in range(n):
        buy(member, store, LAST - timedelta(days=10 * (n - 1 - i)))


def test_a_regular_is_at_risk_after_one_and_a_half_of_their_gap(members, buy, factory):
    store = factory.store()
    (regular,) = members(1)
    every_ten_days(regular, store, buy)  # gaps 10 10 10: at risk after 15 days, lapsed after 20
    row = status(regular, LAST + timedelta(days=15))
    assert (row.status, row.median_gap_days, row.changed_on) == ("active", 10, LAST)
    assert row.expected_next_visit == LAST + timedelta(days=10)
    row = status(regular, LAST + timedelta(days=16))
    assert (row.status, row.changed_on) == ("at_risk", LAST + timedelta(days=16))
    assert "1.5 × their median gap of 10 days" in row.reason
    row = status(regular, LAST + timedelta(days=20))
    assert row.status == "at_risk"
    row = status(regular, LAST + timedelta(days=25))
    assert (row.status, row.changed_on) == ("lapsed", LAST + timedelta(days=21))


def test_two_orders_use_the_chains_default(members, buy, factory):
    store = factory.store()
    (member,) = members(1)
    buy(member, store, LAST - timedelta(days=5))
    buy(member, store, LAST)
    assert status(member, LAST + timedelta(days=90)).status == "active"
    row = status(member, LAST + timedelta(days=91))
    assert (row.status, row.median_gap_days) == ("at_risk", None)
    assert "the chain's 90 days" in row.reason
    assert row.expected_next_visit == LAST + timedelta(days=90)
    assert status(member, LAST + timedelta(days=181)).status == "lapsed"


def test_the_median_not_the_mean_sets_the_rhythm(members, buy, factory):
    store = factory.store()
    (member,) = members(1)
    for ago in (200, 30, 20, 10, 0):  # gaps 170, 10, 10, 10: median 10 (mean 50)
        buy(member, store, LAST - timedelta(days=ago))
    assert status(member, LAST + timedelta(days=16)).status == "at_risk"


def test_the_factor_and_defaults_are_configurable(members, buy, factory):
    settings.update_settings({"churn": {"factor_percent": 300, "lapsed_factor_percent": 400,
                                        "default_days": 30}})
    store = factory.store()
    regular, rare = members(2)
    every_ten_days(regular, store, buy)
    buy(rare, store, LAST)
    jobs.churn_statuses((LAST + timedelta(days=29)).isoformat())
    rows = {r.member_id: r.status for r in db.session.scalars(select(MemberChurn))}
    assert (rows[regular.id], rows[rare.id]) == ("active", "active")
    jobs.churn_statuses((LAST + timedelta(days=31)).isoformat())
    db.session.expire_all()
    rows = {r.member_id: r.status for r in db.session.scalars(select(MemberChurn))}
    assert (rows[regular.id], rows[rare.id]) == ("at_risk", "at_risk")


def test_orders_after_the_as_of_date_are_not_seen(members, buy, factory):
    store = factory.store()
    (member,) = members(1)
    buy(member, store, LAST)
    buy(member, store, LAST + timedelta(days=200))
    row = status(member, LAST + timedelta(days=100))
    assert (row.status, row.orders) == ("at_risk", 1)


def test_lapsing_before_being_at_risk_is_refused():
    import pytest

    from core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        settings.update_settings({"churn": {"factor_percent": 300}})  # lapsed stays 2×
