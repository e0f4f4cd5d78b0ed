"""RFM scores and segments against hand-computed fixtures (analytics.scoring's doc: a score is
1 + ⌊5 × members strictly worse / members⌋; 3 or more is high)."""
from datetime import date, timedelta

from sqlalchemy import select

from core.db import db
from analytics import jobs, runs, settings
from analytics.models import CHAIN, MemberSegment, RfmRun, SegmentHistory

AS_OF = date(2026, 6, 30)


def scores(store_id=CHAIN):
    rows = db.session.scalars(select(MemberSegment).filter_by(store_id=store_id)).all()
    return {row.member_id: row for row in rows}


def run(as_of=AS_OF, **kw):
    result = jobs.score(as_of.isoformat(), **kw)
    db.session.expire_all()
    return result


def test_equal_values_share_a_score_and_scores_rise_with_the_value(members, buy, factory):
    store = factory.store()
    a, b, c, d, e = members(5)
    orders = {a: 1, b: 1, c: 2, d: 2, e: 5}  # frequencies; ranks 1 1 3 3 5 of 5
    for member, n in orders.items():
        for i in range(n):
            buy(member, store, AS_OF - timedelta(days=60 + i), amount_fen=10000)
    run()
    got = scores()
    assert [got[m.id].f for m in (a, b, c, d, e)] == [1, 1, 3, 3, 5]
    # spend 100, 100, 200, 200, 500 yuan: the same ranks
    assert [got[m.id].m for m in (a, b, c, d, e)] == [1, 1, 3, 3, 5]
    assert [got[m.id].monetary_fen for m in (a, b, c, d, e)] == [10000, 10000, 20000, 20000, 50000]
    # the last order 60 days ago for all: one recency, one score
    assert {got[m.id].recency_days for m in (a, b, c, d, e)} == {60}
    assert {got[m.id].r for m in (a, b, c, d, e)} == {1}


def test_a_chain_where_most_bought_once(members, buy, factory):
    """8 of 10 bought once: they all score F 1, the two others 5; bins 2–4 stay empty."""
    store = factory.store()
    everyone = members(10)
    for member in everyone[:8]:
        buy(member, store, AS_OF - timedelta(days=40))
    for i in range(3):
        buy(everyone[8], store, AS_OF - timedelta(days=40 + i))
    for i in range(4):
        buy(everyone[9], store, AS_OF - timedelta(days=40 + i))
    run()
    got = scores()
    assert [got[m.id].f for m in everyone] == [1] * 8 + [5, 5]


def test_recency_counts_business_days_from_the_as_of_date(members, buy, factory):
    store = factory.store()
    today, just_after_midnight, yesterday_late, week = members(4)
    buy(today, store, AS_OF, hour=10)
    buy(just_after_midnight, store, AS_OF, hour=0, minute=30)  # 16:30 UTC the day before
    buy(yesterday_late, store, AS_OF - timedelta(days=1), hour=23, minute=30)
    buy(week, store, AS_OF - timedelta(days=7))
    buy(week, store, AS_OF + timedelta(days=1))  # after the as-of date: not counted
    run()
    got = scores()
    assert [got[m.id].recency_days for m in (today, just_after_midnight, yesterday_late, week)] \
        == [0, 0, 1, 7]
    assert got[week.id].frequency == 1
    # ranks by recency, worst first: week 1, yesterday 2, the two of today 3 → 1, 2, 3, 3
    assert [got[m.id].r for m in (week, yesterday_late, today, just_after_midnight)] == [1, 2, 3, 3]


def test_orders_outside_the_window_leave_frequency_and_spend_empty(members, buy, factory):
    store = factory.store()
    old, recent = members(2)
    buy(old, store, AS_OF - timedelta(days=400), amount_fen=99900)
    buy(recent, store, AS_OF - timedelta(days=100), amount_fen=5000)
    run()
    got = scores()
    old_row = got[old.id]
    assert (old_row.recency_days, old_row.frequency, old_row.monetary_fen) == (400, 0, 0)
    assert (got[old.id].r, got[old.id].f, got[old.id].m) == (1, 1, 1)
    assert (got[recent.id].r, got[recent.id].f, got[recent.id].m) == (3, 3, 3)
    assert got[old.id].segment == "general_retain"
    assert got[recent.id].segment == "important_value"


def test_no_orders_at_all_scores_nobody_and_lists_who_never_bought(members):
    quiet = members(2)
    run()
    got = scores()
    assert {m.id for m in quiet} <= set(got)
    assert {got[m.id].segment for m in quiet} == {"no_purchase"}
    assert {got[m.id].r for m in quiet} == {None}


def test_a_single_member(members, buy, factory):
    store = factory.store()
    (only,) = members(1)
    buy(only, store, AS_OF - timedelta(days=45), amount_fen=12345)
    run()
    row = scores()[only.id]
    assert (row.recency_days, row.frequency, row.monetary_fen) == (45, 1, 12345)
    assert (row.r, row.f, row.m) == (1, 1, 1)  # nobody is worse than a lone member
    assert row.segment == "general_retain"


def test_a_first_order_within_30_days_is_a_new_customer(members, buy, factory):
    store = factory.store()
    new, old = members(2)
    buy(new, store, AS_OF - timedelta(days=29))
    buy(old, store, AS_OF - timedelta(days=300))
    buy(old, store, AS_OF - timedelta(days=20))
    run()
    got = scores()
    assert got[new.id].segment == "new"
    assert got[old.id].segment != "new"


def test_the_eight_segments_from_fixed_thresholds(members, buy, factory):
    """Thresholds set by a marketer: R ≤ 40 days high, F ≥ 3 orders high, M ≥ 500 yuan high."""
    settings.update_settings({"rfm": {"thresholds": {"r": [10, 20, 40, 50],
                                                     "f": [2, 3, 4, 5],
                                                     "m": [20000, 50000, 80000, 100000]}}})
    store = factory.store()
    expected = {}
    for recent in (True, False):
        for frequent in (True, False):
            for big in (True, False):
                (member,) = members(1)
                last = 35 if recent else 55  # no first order within 30 days: nobody is new
                n = 3 if frequent else 1
                spend = 60000 if big else 30000
                days = [last + 100 * i for i in range(n)]
                for i, ago in enumerate(days):
                    buy(member, store, AS_OF - timedelta(days=ago), amount_fen=spend // n
                        + (spend % n if i == 0 else 0))
                expected[member.id] = (recent, frequent, big)
    run()
    got = scores()
    names = {(True, True, True): "important_value", (True, False, True): "important_develop",
             (False, True, True): "important_keep", (False, False, True): "important_retain",
             (True, True, False): "general_value", (True, False, False): "general_develop",
             (False, True, False): "general_keep", (False, False, False): "general_retain"}
    assert {m: got[m].segment for m in expected} == {m: names[h] for m, h in expected.items()}


def test_per_store_scores_count_only_that_stores_orders(members, buy, factory):
    a_store, b_store = factory.store(), factory.store()
    both, only_a = members(2)
    buy(both, a_store, AS_OF - timedelta(days=50))
    buy(both, a_store, AS_OF - timedelta(days=40))
    buy(both, b_store, AS_OF - timedelta(days=10), amount_fen=70000)
    buy(only_a, a_store, AS_OF - timedelta(days=45))
    run()
    at_a, at_b, chain = scores(a_store.id), scores(b_store.id), scores()
    assert (at_a[both.id].frequency, at_a[both.id].recency_days) == (2, 40)
    assert (at_b[both.id].frequency, at_b[both.id].monetary_fen) == (1, 70000)
    assert set(at_b) == {both.id}  # a store lists the members who bought there
    # ranked within each store: at LA 2 orders beat 1 (F 3 vs 1); alone at LB, F 1
    assert (at_a[both.id].f, at_a[only_a.id].f, at_b[both.id].f) == (3, 1, 1)
    assert (chain[both.id].frequency, chain[both.id].recency_days) == (3, 10)


def test_the_segment_of_each_month_is_kept(members, buy, factory):
    store = factory.store()
    member, other = members(2)
    buy(other, store, date(2026, 1, 5))
    buy(member, store, date(2026, 1, 10))
    buy(member, store, date(2026, 5, 20))
    run(date(2026, 5, 31))
    buy(other, store, date(2026, 6, 1))
    buy(other, store, date(2026, 6, 2))
    run(date(2026, 6, 30))
    history = {(h.month, h.member_id): h.segment
               for h in db.session.scalars(select(SegmentHistory).filter_by(store_id=CHAIN))}
    assert history[("2026-05", member.id)] == "important_value"
    assert history[("2026-05", other.id)] == "general_retain"
    assert history[("2026-06", member.id)] == "general_retain"
    assert history[("2026-06", other.id)] == "important_value"
    run(date(2026, 6, 30))  # again in the month: replaces the month's rows, adds none
    assert db.session.query(SegmentHistory).filter_by(month="2026-06", store_id=CHAIN).count() == 2


def test_a_killed_run_is_resumed_where_it_stopped(members, buy, factory):
    store = factory.store()
    everyone = members(6)
    for i, member in enumerate(everyone):
        buy(member, store, AS_OF - timedelta(days=10 * (i + 1)))
    run_id = runs.open_run(AS_OF)
    for _ in range(3):  # a worker killed after three chunks of two members
        runs.step(run_id, chunk=2)
    db.session.commit()
    result = run(chunk=2)
    assert result["rfm_run"] == run_id
    assert db.session.get(RfmRun, run_id).phase == runs.DONE
    # 10, 20 … 60 days: 5 worse than the first → 1 + ⌊25/6⌋ = 5, … the two worst 1
    assert [scores()[m.id].r for m in everyone] == [5, 4, 3, 2, 1, 1]


def test_thresholds_must_be_four_ascending_cut_points():
    import pytest

    from core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        settings.update_settings({"rfm": {"thresholds": {"f": [3, 2, 4, 5]}}})
    with pytest.raises(ValidationFailed):
        settings.update_settings({"rfm": {"thresholds": {"m": [1, 2, 3]}}})


def test_a_months_history_is_its_first_run_until_the_month_end(members, buy, factory):
    store = factory.store()
    (member,) = members(1)
    buy(member, store, date(2026, 5, 25))
    run(date(2026, 6, 10))  # first run of June: written (new)
    run(date(2026, 6, 20))  # mid-month: left as it is
    month = select(SegmentHistory.segment).filter_by(store_id=CHAIN, month="2026-06",
                                                     member_id=member.id)
    assert db.session.scalar(month) == "new"
    run(date(2026, 6, 30))  # the month's last day: replaces it
    assert db.session.scalar(month) == "general_retain"


def test_a_run_as_of_another_date_abandons_an_unfinished_one(members, buy, factory):
    store = factory.store()
    (member,) = members(1)
    buy(member, store, AS_OF - timedelta(days=5))
    first = runs.open_run(AS_OF)
    runs.step(first, chunk=1)
    run(AS_OF - timedelta(days=1))
    assert db.session.get(RfmRun, first).phase == runs.ABANDONED
    assert run()["rfm_run"] != first  # a fresh run, not the abandoned one's facts
    assert scores()[member.id].recency_days == 5


def test_a_rerun_replaces_the_stores_rows_adding_and_dropping_visits(members, buy, factory):
    """A rerun over last night's rows: a store a member first visits gets a row, a visit after
    the as-of date (a rerun as of an earlier date) loses it, and every row holds what a first
    run would have written."""
    north, south = factory.store("N1"), factory.store("S1")
    a, b = members(2)
    buy(a, north, AS_OF - timedelta(days=10), amount_fen=30000)
    buy(b, north, AS_OF - timedelta(days=40), amount_fen=10000)
    run(AS_OF - timedelta(days=5))
    buy(b, south, AS_OF - timedelta(days=2), amount_fen=20000)  # b's first visit to south
    run()
    rescored = {(s, m): (r.recency_days, r.frequency, r.monetary_fen, r.r, r.f, r.m, r.segment,
                         r.as_of) for s in (north.id, south.id)
                for m, r in scores(s).items()}
    assert set(rescored) == {(north.id, a.id), (north.id, b.id), (south.id, b.id)}
    assert rescored[south.id, b.id][:3] == (2, 1, 20000)
    assert {row[-1] for row in rescored.values()} == {AS_OF}
    db.session.execute(MemberSegment.__table__.delete())  # a first run's rows, to compare
    db.session.commit()
    run()
    assert {(s, m): (r.recency_days, r.frequency, r.monetary_fen, r.r, r.f, r.m, r.segment,
                     r.as_of) for s in (north.id, south.id)
            for m, r in scores(s).items()} == rescored
    run(AS_OF - timedelta(days=5))  # before b's visit to south: that row goes
    assert set(scores(south.id)) == set()
    assert scores(north.id)[a.id].recency_days == 5
