"""Tier history: a row exactly when members.tier_code changes (a credit crossing a threshold,
the review, a merge, a tier made easier to reach), in the same transaction, and nothing —
not even a read — when it does not; GET /admin/members/<member_no>/tier-history."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core import clock
from core.db import db
from members.models import Member
from points import ledger
from points.programme import tier_history, tiers
from points.programme.models import TierChange
from tests.concurrency import race
from tests.core.test_errors import assert_error
from tests.helpers import statements

SH = timezone(timedelta(hours=8))


@pytest.fixture
def two_tiers():
    tiers.create_tier("silver", "银卡", 100, 100)
    tiers.create_tier("gold", "金卡", 500, 100)
    db.session.commit()


def changes(member_id) -> list[tuple]:
    return [(c.from_code, c.to_code, c.reason) for c in db.session.scalars(
        select(TierChange).where(TierChange.member_id == member_id).order_by(TierChange.id))]


def tier_of(member_id):
    db.session.expire_all()
    return db.session.get(Member, member_id).tier_code


def test_a_credit_crossing_a_threshold_records_one_earned_change(factory, two_tiers):
    member = factory.member()
    clock.set(datetime(2026, 5, 2, 10, tzinfo=SH))
    factory.credit(member, 120)
    assert changes(member.id) == [(None, "silver", "earned")]
    [change] = db.session.scalars(select(TierChange).where(TierChange.member_id == member.id))
    assert change.created_at == clock.now()
    factory.credit(member, 400)  # 520: gold
    assert changes(member.id) == [(None, "silver", "earned"), ("silver", "gold", "earned")]
    assert tier_of(member.id) == "gold"


def test_a_credit_that_crosses_nothing_records_nothing_and_reads_nothing_more(factory,
                                                                           two_tiers):
    member = factory.member(points=120)
    with statements() as seen:
        factory.credit(member, 30)  # 150: still silver
    assert changes(member.id) == [(None, "silver", "earned")]
    assert not [s for s in seen if "member_tier_changes" in s]
    assert not [s for s in seen if s.lstrip().upper().startswith("UPDATE MEMBERS")]
    with statements() as seen:
        factory.credit(member, 400)  # 550: gold
    touching = [s.split()[0].upper() for s in seen
                if "member_tier_changes" in s or s.lstrip().upper().startswith("UPDATE MEMBERS")]
    assert touching == ["UPDATE", "INSERT"]  # the guarded UPDATE, then its row: no read


def test_points_below_every_tier_record_nothing(factory, two_tiers):
    member = factory.member(points=99)
    factory.credit(member, 5, kind="adjust")  # not earned: counts for no tier
    assert changes(member.id) == [] and tier_of(member.id) is None


def test_a_tier_read_before_another_was_written_records_what_the_row_held(factory, two_tiers):
    """tiers.upgrade decides on the tier read with the account lock; should that read be older
    than the row, the change recorded is from the tier the row held."""
    member = factory.member()
    db.session.get(Member, member.id).tier_code = "silver"
    db.session.flush()
    assert tiers.upgrade(member.id, None, 600) == "gold"
    assert changes(member.id) == [("silver", "gold", "earned")]
    assert tiers.upgrade(member.id, None, 150) is None  # gold unseen: not lowered, not recorded
    assert changes(member.id) == [("silver", "gold", "earned")] and tier_of(member.id) == "gold"


def test_the_review_lowering_a_tier_records_review(factory, two_tiers):
    clock.set(datetime(2026, 1, 15, 12, tzinfo=SH))
    member = factory.member(points=150)
    clock.set(datetime(2026, 12, 31, 12, tzinfo=SH))
    tiers.review_chunk(clock.now())  # January is inside the window: no change
    assert changes(member.id) == [(None, "silver", "earned")]
    clock.set(datetime(2027, 1, 1, 12, tzinfo=SH))
    assert tiers.review_chunk(clock.now())[0] == 1
    assert changes(member.id) == [(None, "silver", "earned"), ("silver", None, "review")]
    assert tiers.review_chunk(clock.now())[0] == 0  # again: nothing to change, nothing recorded
    assert len(changes(member.id)) == 2


def test_a_tier_made_easier_to_reach_records_rules(factory, two_tiers):
    member = factory.member(points=300)
    tiers.update_tier("gold", {"threshold_points": 250})
    assert tiers.review_chunk(clock.now(), raise_only=True)[0] == 1  # the raise_tiers job
    assert changes(member.id) == [(None, "silver", "earned"), ("silver", "gold", "rules")]


def test_a_merge_records_merge_on_both_members(factory, two_tiers):
    source, target = factory.member(points=300), factory.member(points=250)
    ledger.merge_accounts(source.id, target.id, key=f"merge:{source.id}")
    db.session.commit()
    assert changes(source.id) == [(None, "silver", "earned"), ("silver", None, "merge")]
    assert changes(target.id) == [(None, "silver", "earned"), ("silver", "gold", "merge")]
    assert (tier_of(source.id), tier_of(target.id)) == (None, "gold")


def test_a_merge_of_a_member_without_a_tier_records_nothing(factory, two_tiers):
    source, target = factory.member(points=20), factory.member(points=30)
    ledger.merge_accounts(source.id, target.id, key=f"merge:{source.id}")
    assert changes(source.id) == [] and changes(target.id) == []


def test_a_rolled_back_change_leaves_no_row(app, factory, two_tiers):
    member = factory.member()
    with pytest.raises(RuntimeError):
        with db.session.begin_nested():
            ledger.credit(member.id, 150, kind="earn", key="rolled-back")
            assert changes(member.id) == [(None, "silver", "earned")]
            raise RuntimeError("the order failed after the credit")
    assert changes(member.id) == [] and tier_of(member.id) is None


# --- the admin API -----------------------------------------------------------------------

def test_the_admin_reads_a_members_tier_history_newest_first_paged(staff_client, factory,
                                                                  two_tiers):
    member = factory.member()
    clock.set(datetime(2026, 5, 2, 10, tzinfo=SH))
    factory.credit(member, 120)
    clock.set(datetime(2026, 6, 2, 10, tzinfo=SH))
    factory.credit(member, 400)
    path = f"/admin/members/{member.member_no}/tier-history"
    first = staff_client("marketer").get(f"{path}?limit=1").get_json()
    assert first["items"] == [{
        "id": first["items"][0]["id"], "from_tier": {"code": "silver", "name": "银卡"},
        "to_tier": {"code": "gold", "name": "金卡"}, "reason": "earned",
        "created_at": "2026-06-02T02:00:00+00:00"}]
    rest = staff_client("hq_admin").get(f"{path}?limit=1&cursor={first['next_cursor']}")
    [oldest] = rest.get_json()["items"]
    assert (oldest["from_tier"], oldest["to_tier"]["code"]) == (None, "silver")
    assert rest.get_json()["next_cursor"] is None


def test_the_tier_history_is_for_marketers_and_hq(client, staff_client, member_client, factory):
    member = factory.member()
    path = f"/admin/members/{member.member_no}/tier-history"
    assert_error(client.get(path), 401, "unauthenticated")
    assert_error(member_client().get(path), 401, "unauthenticated")
    for role in ("cashier", "store_manager"):
        assert_error(staff_client(role, stores=[factory.store()]).get(path), 403, "forbidden")
    assert staff_client("marketer").get(path).get_json() == {"items": [], "next_cursor": None}
    assert_error(staff_client("marketer").get("/admin/members/000/tier-history"), 404,
                 "not_found")
    assert_error(staff_client("marketer").get(f"{path}?limit=1.5"), 422, "validation_error")


def test_a_merged_members_number_shows_the_history_of_the_member_it_joined(
        staff_client, factory, two_tiers):
    source, target = factory.member(points=300), factory.member()
    ledger.merge_accounts(source.id, target.id, key=f"merge:{source.id}")
    db.session.get(Member, source.id).status = "merged"
    db.session.get(Member, source.id).merged_into_id = target.id
    db.session.commit()
    page = staff_client("marketer").get(f"/admin/members/{source.member_no}/tier-history")
    assert [i["reason"] for i in page.get_json()["items"]] == ["merge"]


# --- races on MariaDB --------------------------------------------------------------------

@pytest.mark.mariadb
@pytest.mark.committing
@pytest.mark.parametrize("credits", [2, 10])
def test_concurrent_credits_crossing_the_threshold_record_one_change(app, factory, credits):
    tiers.create_tier("silver", "银卡", 100, 100)
    db.session.commit()
    member = factory.member(points=90)
    results = race(app, lambda i: ledger.credit(member.id, 20, kind="earn",
                                                key=f"race:{member.id}:{i}"), credits)
    assert not [r for r in results if isinstance(r, Exception)]
    db.session.remove()
    assert changes(member.id) == [(None, "silver", "earned")]
    assert tier_of(member.id) == "silver"


def test_every_reason_is_a_column_value(app):
    width = TierChange.__table__.c.reason.type.length
    assert all(len(reason) <= width for reason in tier_history.REASONS)
