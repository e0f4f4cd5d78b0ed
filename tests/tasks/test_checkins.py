"""Daily check-in: streaks, the business day in Shanghai, exactly once, make-up."""
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from core import clock
from core.auth import issue_member_token
from core.db import db
from points.ledger.models import PointsEntry
from tasks.models import CheckIn
from tests.helpers import ApiClient

SCHEDULE = [5, 5, 5, 5, 5, 5, 30]


@pytest.fixture
def checkin_task(make_task):
    return make_task("checkin", config={"schedule": SCHEDULE,
                                        "makeup": {"enabled": True, "cost_points": 20,
                                                   "per_month": 2}})


def fresh(me):
    """The member's client with a token issued at the (moved) clock's now."""
    me.token = issue_member_token(me.member.id)
    return me


def tap(me):
    return fresh(me).post("/me/checkins")


def test_first_day_and_a_double_tap(member_client, checkin_task, at):
    at(2026, 11, 2, 9)
    me = member_client()
    first = tap(me)
    assert first.status_code == 201
    assert first.get_json() == {"date": "2026-11-02", "streak": 1, "points": 5, "made_up": False}
    again = tap(me)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_checked_in"
    assert me.get("/me/points").get_json()["balance"] == 5


def test_the_streak_grows_the_last_value_repeats_and_a_gap_resets_it(member_client, checkin_task, at):
    me = member_client()
    got = []
    for day in range(1, 10):   # nine days in a row
        at(2026, 11, day, 9)
        got.append(tap(me).get_json()["points"])
    assert got == [5, 5, 5, 5, 5, 5, 30, 30, 30]
    at(2026, 11, 11, 9)        # the 10th was missed
    assert tap(me).get_json()["streak"] == 1


def test_the_business_day_turns_at_midnight_in_shanghai(member_client, checkin_task):
    me = member_client()
    clock.set(datetime(2026, 11, 2, 15, 59, 59, tzinfo=timezone.utc))   # 23:59:59 in Shanghai
    assert tap(me).get_json()["date"] == "2026-11-02"
    clock.set(datetime(2026, 11, 2, 16, 0, 1, tzinfo=timezone.utc))     # 00:00:01 next day
    body = tap(me).get_json()
    assert body["date"] == "2026-11-03" and body["streak"] == 2
    clock.set(None)


def test_the_calendar_shows_the_month_streak_today_and_what_comes_next(member_client,
                                                                       checkin_task, at):
    me = member_client()
    for day in (3, 4, 5):
        at(2026, 11, day, 9)
        tap(me)
    body = fresh(me).get("/me/checkins?month=2026-11").get_json()
    assert [d["date"] for d in body["days"]] == ["2026-11-03", "2026-11-04", "2026-11-05"]
    assert body["streak"] == 3 and body["checked_in_today"] is True
    assert body["schedule"] == SCHEDULE and body["next_points"] == 5
    at(2026, 11, 6, 9)
    assert fresh(me).get("/me/checkins").get_json()["checked_in_today"] is False
    assert me.get("/me/checkins?month=2026-13").status_code == 422


def test_make_up_yesterday_costs_points_repairs_the_streak_and_is_limited(member_client,
                                                                          checkin_task, at):
    me = member_client(points=100)
    at(2026, 11, 2, 9)
    tap(me)
    at(2026, 11, 4, 9)          # the 3rd was missed
    made = fresh(me).post("/me/checkins", {"makeup": True})
    assert made.status_code == 201
    assert made.get_json() == {"date": "2026-11-03", "streak": 2, "points": 5, "made_up": True}
    assert tap(me).get_json()["streak"] == 3
    assert me.get("/me/points").get_json()["balance"] == 100 + 5 - 20 + 5 + 5
    assert me.post("/me/checkins", {"makeup": True}).status_code == 409  # after today's


def test_no_check_in_without_an_active_task(member_client):
    response = tap(member_client())
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "invalid_state"


def test_a_spent_budget_ends_the_check_in(member_client, make_task, at):
    make_task("checkin", config={"schedule": [5]}, budget_points=5)
    at(2026, 11, 2, 9)
    assert tap(member_client()).status_code == 201
    late = tap(member_client())
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "limit_exceeded"


def test_a_member_limit_stops_paying_that_member_and_no_one_else(member_client, make_task, at):
    make_task("checkin", config={"schedule": [10]}, member_limit_points=20)
    me, other = member_client(), member_client()
    for day in (2, 3):
        at(2026, 11, day, 9)
        assert tap(me).status_code == 201
    at(2026, 11, 4, 9)
    third = tap(me)
    assert third.status_code == 409 and third.get_json()["error"]["code"] == "limit_exceeded"
    assert me.get("/me/points").get_json()["balance"] == 20
    [item] = fresh(me).get("/me/tasks").get_json()["items"]
    assert item["status"] == "ended"
    assert tap(other).status_code == 201
    assert fresh(other).get("/me/tasks").get_json()["items"][0]["status"] == "done"


@pytest.mark.committing
@pytest.mark.mariadb
def test_twenty_taps_at_once_pay_once(app, factory, make_task):
    make_task("checkin", config={"schedule": [5, 10]})
    member = factory.member()
    token = issue_member_token(member.id)

    def one(_):
        return ApiClient(app.test_client(), token=token).post("/me/checkins").status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = sorted(pool.map(one, range(20)))
    assert statuses == [201] + [409] * 19
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)
                             .where(PointsEntry.kind == "checkin")) == 1


@pytest.mark.committing
@pytest.mark.mariadb
def test_a_make_up_racing_todays_check_in_never_leaves_a_broken_streak(app, factory, make_task, at):
    make_task("checkin", config={"schedule": [5, 10, 15],
                                 "makeup": {"enabled": True, "cost_points": 1, "per_month": 5}})
    at(2026, 11, 2, 9)
    members = [factory.member() for _ in range(6)]
    for member in members:
        factory.credit(member, 10)
    db.session.commit()
    for member in members:
        ApiClient(app.test_client(), token=issue_member_token(member.id)).post("/me/checkins")
    at(2026, 11, 4, 9)   # the 3rd was missed: a make-up repairs it

    def tap_at_once(job):
        token, body = job
        return ApiClient(app.test_client(), token=token).post("/me/checkins", body).status_code

    jobs = [(issue_member_token(m.id), body) for m in members for body in ({"makeup": True}, {})]
    with ThreadPoolExecutor(len(jobs)) as pool:
        assert set(pool.map(tap_at_once, jobs)) <= {201, 409}
    db.session.remove()
    for member in members:
        days = {c.day.day: c for c in db.session.scalars(select(CheckIn).filter_by(member_id=member.id))}
        if 3 in days:   # the make-up won: today continues the repaired streak
            assert days[4].streak == 3, "a paid make-up that today's check-in did not see"
        else:           # today's check-in won: the make-up was refused
            assert days[4].streak == 1
