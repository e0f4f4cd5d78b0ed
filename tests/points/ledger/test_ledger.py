"""The ledger's rules, called through the service as other domains call them."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from core import clock
from core.db import db
from points import ledger
from points.ledger import sweep
from points.ledger.models import PointsAccount, PointsAllocation, PointsEntry, PointsLot
from points.programme.settings import update_settings
from tests.points.ledger_checks import assert_ledger_consistent

SH = timezone(timedelta(hours=8))


def at(*args):
    """A moment in Shanghai business time."""
    return datetime(*args, tzinfo=SH)


def balance(member):
    return db.session.get(PointsAccount, member.id).balance


def lots(member):
    return list(db.session.scalars(select(PointsLot).filter_by(member_id=member.id)
                                   .order_by(PointsLot.id)))


def credit(member, amount, key, *, expires_at=None, **kw):
    return ledger.credit(member.id, amount, kind="earn", key=key, expires_at=expires_at, **kw)


def test_debit_takes_soonest_expiring_lots_first_then_oldest(factory):
    clock.set(at(2026, 1, 1, 12))
    m = factory.member()
    late = credit(m, 30, "a", expires_at=at(2026, 12, 31))
    never = credit(m, 30, "b", expires_at=None)
    soon = credit(m, 30, "c", expires_at=at(2026, 3, 1))
    also_soon = credit(m, 30, "d", expires_at=at(2026, 3, 1))
    entry = ledger.debit(m.id, 70, kind="spend", key="spend-1")
    taken = {a.lot_id: a.amount for a in db.session.scalars(
        select(PointsAllocation).filter_by(entry_id=entry.id))}
    lot_of = {lot.entry_id: lot.id for lot in lots(m)}
    assert taken == {lot_of[soon.id]: 30, lot_of[also_soon.id]: 30, lot_of[late.id]: 10}
    assert lot_of[never.id] not in taken
    assert balance(m) == 50 and entry.balance_after == 50
    assert_ledger_consistent()


def test_insufficient_points_changes_nothing(factory):
    m = factory.member(points=40)
    with pytest.raises(ledger.InsufficientPoints) as raised:
        ledger.debit(m.id, 41, kind="spend", key="too-much")
    assert raised.value.status == 409 and raised.value.details == {"balance": 40, "needed": 41}
    assert balance(m) == 40


def test_same_key_credits_once(factory):
    m = factory.member()
    first = credit(m, 10, "order:1")
    again = credit(m, 10, "order:1")
    assert again.id == first.id and balance(m) == 10


def test_a_key_of_another_member_is_refused(factory):
    a, b = factory.member(), factory.member()
    credit(a, 10, "shared-key")
    with pytest.raises(Exception) as raised:
        credit(b, 10, "shared-key")
    assert getattr(raised.value, "code", "") == "invalid_state"


# --- expiry policies --------------------------------------------------------------------------

@pytest.mark.parametrize("earned, days, expected_last_day", [
    (at(2026, 3, 1, 10), 30, date(2026, 3, 31)),
    (at(2026, 3, 1, 23, 59, 59), 30, date(2026, 3, 31)),   # still 1 March in Shanghai
    (at(2026, 3, 2, 0, 0, 0), 30, date(2026, 4, 1)),        # a new business day
    (at(2028, 2, 28, 12), 1, date(2028, 2, 29)),            # leap year
    (at(2026, 12, 31, 20), 1, date(2027, 1, 1)),            # year end
])
def test_fixed_days_expire_at_the_end_of_the_business_day(factory, earned, days,
                                                           expected_last_day):
    update_settings({"expiry": {"mode": "fixed_days", "days": days}})
    clock.set(earned)
    m = factory.member()
    credit(m, 10, "fixed", expires_at=ledger.UNSET)
    expires = lots(m)[0].expires_at.astimezone(SH)
    assert expires.date() == expected_last_day
    assert (expires.hour, expires.minute, expires.second) == (23, 59, 59)


@pytest.mark.parametrize("earned, expected", [
    (at(2026, 1, 1, 0, 0), date(2027, 12, 31)),
    (at(2026, 12, 31, 23, 59), date(2027, 12, 31)),
    (at(2027, 1, 1, 0, 0), date(2028, 12, 31)),
])
def test_year_end_policy(factory, earned, expected):
    update_settings({"expiry": {"mode": "year_end", "days": 365}})
    clock.set(earned)
    m = factory.member()
    credit(m, 10, "ye", expires_at=ledger.UNSET)
    assert lots(m)[0].expires_at.astimezone(SH).date() == expected


def test_points_are_spendable_until_the_last_microsecond_of_their_day(factory):
    update_settings({"expiry": {"mode": "fixed_days", "days": 10}})
    clock.set(at(2026, 5, 1, 9))
    m = factory.member()
    credit(m, 10, "x", expires_at=ledger.UNSET)
    clock.set(at(2026, 5, 11, 23, 59, 59))
    assert ledger.debit(m.id, 5, kind="spend", key="last-second").balance_after == 5
    clock.set(at(2026, 5, 12, 0, 0, 0))
    with pytest.raises(ledger.InsufficientPoints):
        ledger.debit(m.id, 5, kind="spend", key="too-late")
    assert balance(m) == 0  # the remaining 5 expired on touch
    kinds = [e.kind for e in db.session.scalars(select(PointsEntry).filter_by(member_id=m.id))]
    assert kinds == ["earn", "spend", "expire"]
    assert_ledger_consistent()


def test_rolling_days_moves_every_live_lot_on_activity(factory):
    update_settings({"expiry": {"mode": "rolling_days", "days": 90}})
    clock.set(at(2026, 1, 10, 12))
    m = factory.member()
    credit(m, 50, "r1", expires_at=ledger.UNSET)
    clock.set(at(2026, 3, 1, 12))
    ledger.debit(m.id, 10, kind="spend", key="r-spend")
    assert {lot.expires_at.astimezone(SH).date() for lot in lots(m)} == {date(2026, 5, 30)}


def test_birthday_month_extension(factory):
    update_settings({"expiry": {"mode": "fixed_days", "days": 30,
                                "birthday_extension_days": 15}})
    clock.set(at(2026, 6, 1, 12))
    m = factory.member(birthday=date(1990, 7, 20))
    credit(m, 10, "bday", expires_at=ledger.UNSET)
    assert lots(m)[0].expires_at.astimezone(SH).date() == date(2026, 7, 16)


def test_policy_change_applies_to_new_lots_only(factory):
    clock.set(at(2026, 1, 1, 12))
    m = factory.member()
    credit(m, 10, "old", expires_at=ledger.UNSET)
    update_settings({"expiry": {"mode": "fixed_days", "days": 30}})
    credit(m, 10, "new", expires_at=ledger.UNSET)
    assert [lot.expires_at is None for lot in lots(m)] == [True, False]


# --- clawback and debt --------------------------------------------------------------------

def test_clawback_beyond_the_balance_becomes_debt_repaid_by_later_credits(factory):
    m = factory.member()
    order = credit(m, 100, "order:9")
    ledger.debit(m.id, 80, kind="spend", key="mall:1")
    claw = ledger.clawback(m.id, 100, key="refund:9", ref=("order", 9),
                            prefer_lot_id=lots(m)[0].id)
    assert claw.balance_after == -80 and claw.debt_change == 80
    assert_ledger_consistent()
    later = credit(m, 50, "order:10")
    assert later.balance_after == -30 and lots(m)[-1].remaining == 0
    credit(m, 50, "order:11")
    assert balance(m) == 20 and lots(m)[-1].remaining == 20
    with pytest.raises(ledger.InsufficientPoints):
        ledger.debit(m.id, 21, kind="spend", key="mall:2")
    assert order.id
    assert_ledger_consistent()


# --- reverse ------------------------------------------------------------------------------

def test_reverse_returns_points_to_the_same_lots_with_their_expiry(factory):
    clock.set(at(2026, 1, 1, 12))
    m = factory.member()
    credit(m, 30, "a", expires_at=at(2026, 2, 1))
    credit(m, 30, "b", expires_at=at(2026, 9, 1))
    spend = ledger.debit(m.id, 50, kind="spend", key="redeem:1")
    assert [lot.remaining for lot in lots(m)] == [0, 10]
    ledger.reverse(spend.id, key="cancel:1")
    assert [lot.remaining for lot in lots(m)] == [30, 30]
    assert balance(m) == 60
    again = ledger.reverse(spend.id, key="cancel:1")
    assert balance(m) == 60 and again.kind == "reverse"
    with pytest.raises(Exception) as raised:
        ledger.reverse(spend.id, key="cancel:other")
    assert raised.value.code == "invalid_state"
    assert_ledger_consistent()


def test_reversed_points_whose_lot_expired_meanwhile_expire_at_once(factory):
    clock.set(at(2026, 1, 1, 12))
    m = factory.member()
    credit(m, 30, "a", expires_at=at(2026, 2, 1))
    credit(m, 30, "b", expires_at=at(2026, 9, 1))
    spend = ledger.debit(m.id, 50, kind="spend", key="redeem:2")
    clock.set(at(2026, 3, 1, 12))
    ledger.reverse(spend.id, key="cancel:2")
    entries = list(db.session.scalars(select(PointsEntry).filter_by(member_id=m.id)
                                      .order_by(PointsEntry.id)))
    assert [(e.kind, e.delta) for e in entries[-2:]] == [("reverse", 50), ("expire", -30)]
    assert entries[-1].reason  # the history says why the returned points are gone
    assert balance(m) == 30
    assert_ledger_consistent()


def test_partial_reverse_of_a_debit(factory):
    m = factory.member()
    credit(m, 100, "a")
    deduct = ledger.debit(m.id, 60, kind="deduct", key="deduct:1")
    ledger.reverse(deduct.id, key="refund:1", amount=20)
    ledger.reverse(deduct.id, key="refund:2", amount=40)
    assert balance(m) == 100
    with pytest.raises(Exception):
        ledger.reverse(deduct.id, key="refund:3", amount=1)
    assert_ledger_consistent()


def test_reverse_of_a_credit_takes_from_its_own_lot_first(factory):
    m = factory.member()
    credit(m, 40, "first")
    reward = ledger.credit(m.id, 25, kind="task", key="task:1")
    ledger.reverse(reward.id, key="task:1:revoked")
    assert [lot.remaining for lot in lots(m)] == [40, 0]
    assert_ledger_consistent()


# --- merge and adjust ---------------------------------------------------------------------

def test_merge_moves_lots_with_expiry_and_store(factory):
    store = factory.store()
    clock.set(at(2026, 1, 1, 12))
    src, dst = factory.member(), factory.member()
    credit(src, 30, "s1", expires_at=at(2026, 6, 30), store_id=store.id)
    credit(src, 20, "s2")
    credit(dst, 5, "d1")
    ledger.merge_accounts(src.id, dst.id, key="merge:1")
    ledger.merge_accounts(src.id, dst.id, key="merge:1")  # idempotent
    assert balance(src) == 0 and balance(dst) == 55
    moved = [(lot.remaining, lot.expires_at, lot.store_id) for lot in lots(dst)][1:]
    assert moved == [(30, at(2026, 6, 30), store.id), (20, None, None)]
    assert_ledger_consistent()


def test_adjust_needs_a_reason_and_never_makes_debt(factory):
    m = factory.member(points=10)
    staff = factory.staff("hq_admin")
    with pytest.raises(Exception):
        ledger.adjust(m.id, 5, reason=" ", operator=staff, key="adj:0")
    with pytest.raises(ledger.InsufficientPoints):
        ledger.adjust(m.id, -11, reason="typo", operator=staff, key="adj:1")
    entry = ledger.adjust(m.id, -10, reason="duplicate order", operator=staff, key="adj:2")
    assert entry.balance_after == 0 and entry.operator_id == staff.id


# --- sweep --------------------------------------------------------------------------------

def test_sweep_expires_due_lots_in_chunks_and_reruns_safely(factory):
    clock.set(at(2026, 1, 1, 12))
    members = [factory.member() for _ in range(3)]
    for n, m in enumerate(members):
        credit(m, 10, f"due-{n}", expires_at=at(2026, 1, 31, 23, 59))
        credit(m, 7, f"due2-{n}", expires_at=at(2026, 1, 15))
        credit(m, 5, f"later-{n}", expires_at=at(2026, 2, 2))
    as_of = clock.end_of_business_day(date(2026, 1, 31))
    expired, cursor = sweep.expire_chunk(as_of, None, limit=4)
    assert expired == 4
    total = expired
    while cursor is not None:
        n, cursor = sweep.expire_chunk(as_of, cursor, limit=4)
        total += n
    assert total == 6
    assert sweep.expire_chunk(as_of, None, limit=4) == (0, None)  # rerun: nothing twice
    assert [balance(m) for m in members] == [5, 5, 5]
    assert_ledger_consistent()


@pytest.mark.mariadb
@pytest.mark.parametrize("n", [2, 6])  # 2: the cut falls inside the last id ("12,1" of "12,13")
def test_the_sweep_finds_every_member_when_the_server_cuts_its_member_list_short(factory, n):
    clock.set(at(2026, 1, 1, 12))
    while factory.member().id < 10:  # ids of two digits or more, so a cut can split one
        pass
    members = [factory.member() for _ in range(n)]
    for i, m in enumerate(members):
        credit(m, 10, f"due-{i}", expires_at=at(2026, 1, 15))
    width = len(str(members[0].id))  # "12,1" of "12,13,…": the first id, a comma, one digit
    db.session.execute(text(f"SET SESSION group_concat_max_len = {width + 2}"))
    try:
        assert sweep.expire_chunk(at(2026, 1, 31), None, limit=100) == (n, None)
    finally:
        db.session.execute(text("SET SESSION group_concat_max_len = DEFAULT"))
    assert [balance(m) for m in members] == [0] * n
    assert_ledger_consistent()


def test_a_lot_can_expire_again_after_points_are_returned_to_it(factory):
    """Found by the state machine: the second expiry of one lot needs its own key."""
    clock.set(at(2026, 1, 1, 12))
    m = factory.member()
    credit(m, 30, "a", expires_at=at(2026, 2, 1))
    spend = ledger.debit(m.id, 20, kind="spend", key="redeem:9")
    clock.set(at(2026, 3, 1, 12))
    assert sweep.expire_chunk(clock.now(), None)[0] == 1
    ledger.reverse(spend.id, key="cancel:9a", amount=5)
    ledger.reverse(spend.id, key="cancel:9b", amount=15)
    kinds = [e.kind for e in db.session.scalars(select(PointsEntry).filter_by(member_id=m.id)
                                                .order_by(PointsEntry.id))]
    assert kinds == ["earn", "spend", "expire", "reverse", "expire", "reverse", "expire"]
    assert balance(m) == 0
    assert_ledger_consistent()


def test_an_account_already_loaded_shows_what_the_ledger_wrote(factory):
    """Credits write the account with Core statements; a copy the session holds follows them
    and never writes its old balance back."""
    m = factory.member(points=10)
    account = db.session.get(PointsAccount, m.id)
    ledger.credit(m.id, 5, kind="earn", key="loaded:1")
    assert (account.balance, account.lifetime_earned) == (15, 15)
    ledger.debit(m.id, 3, kind="spend", key="loaded:2")
    assert account.balance == 12
    db.session.flush()
    db.session.expire_all()
    assert db.session.get(PointsAccount, m.id).balance == 12
    assert_ledger_consistent()


def test_a_repeated_credit_changes_nothing_not_even_what_has_come_due(factory):
    m = factory.member()
    clock.set(at(2026, 3, 1, 12))
    ledger.credit(m.id, 30, kind="checkin", key="repeat:1", expires_at=at(2026, 3, 2, 12))
    clock.set(at(2026, 3, 5, 12))  # the lot is due, the sweep has not run
    version = db.session.get(PointsAccount, m.id).version
    again = ledger.credit(m.id, 30, kind="checkin", key="repeat:1")
    assert again.delta == 30 and db.session.get(PointsAccount, m.id).version == version
    kinds = db.session.scalars(select(PointsEntry.kind).where(PointsEntry.member_id == m.id))
    assert list(kinds) == ["checkin"]


def test_a_savepoint_rolled_back_after_a_debit_leaves_no_trace_in_the_session(factory):
    """A failure after the ledger call inside a savepoint (e.g. a redemption that then finds
    the product sold out) must not leave the debit's balance or entry behind in the session."""
    m = factory.member(points=50)
    account = db.session.get(PointsAccount, m.id)
    with pytest.raises(RuntimeError):
        with db.session.begin_nested():
            spent = ledger.debit(m.id, 20, kind="spend", key="savepoint:1")
            assert account.balance == 30
            raise RuntimeError("sold out after all")
    assert account.balance == 50 and spent not in db.session
    again = ledger.debit(m.id, 20, kind="spend", key="savepoint:1")  # the key is free again
    assert again.balance_after == 30 and account.balance == 30
    assert_ledger_consistent()


def test_a_tier_upgrade_never_lowers_a_tier_it_did_not_see(factory):
    """tiers.upgrade decides from the tier read with the account lock; should that read ever be
    older than the member row, the guarded UPDATE still never replaces a tier as high."""
    from members.models import Member
    from points.programme import tiers

    tiers.create_tier("silver", "银卡", 100, 100)
    tiers.create_tier("gold", "金卡", 500, 150)
    m = factory.member()
    db.session.get(Member, m.id).tier_code = "gold"
    db.session.flush()
    assert tiers.upgrade(m.id, None, 150) is None  # silver reached, gold unseen
    db.session.expire_all()
    assert db.session.get(Member, m.id).tier_code == "gold"
    assert tiers.upgrade(m.id, "gold", 600) == "gold"
