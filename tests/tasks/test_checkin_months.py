"""Make-ups across month ends: each counts against the month of the day it fills, on the
calendar as at the till of the check-in button; a day already checked in is named."""
from datetime import date, timedelta

import pytest

from core.auth import issue_member_token


@pytest.fixture
def one_a_month(make_task):
    return make_task("checkin", config={"schedule": [5],
                                        "makeup": {"enabled": True, "cost_points": 10,
                                                   "per_month": 1}})


def fresh(me):
    me.token = issue_member_token(me.member.id)
    return me


def make_up(me):
    return fresh(me).post("/me/checkins", {"makeup": True})


def makeup_state(me, month=None):
    return fresh(me).get("/me/checkins" + (f"?month={month}" if month else "")).get_json()["makeup"]


@pytest.mark.parametrize("first", [date(2026, 2, 1), date(2027, 1, 1), date(2028, 3, 1)])
def test_a_make_up_counts_against_the_month_of_the_day_it_fills(member_client, one_a_month, at,
                                                                first):
    me = member_client(points=100)
    before = first - timedelta(days=1)            # the last day of the earlier month
    at(before.year, before.month, 10, 9)
    assert make_up(me).get_json()["date"] == before.replace(day=9).isoformat()

    at(first.year, first.month, first.day, 9)     # yesterday is in the month already used
    assert makeup_state(me) == {"enabled": True, "cost_points": 10, "left_this_month": 1,
                                "date": before.isoformat(), "available": False}
    assert makeup_state(me, f"{before:%Y-%m}")["left_this_month"] == 0
    refused = make_up(me)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "limit_exceeded"
    assert refused.get_json()["error"]["details"] == {"month": f"{before:%Y-%m}"}

    at(first.year, first.month, 3, 9)             # this month's own make-up is still there
    made = make_up(me)
    assert made.status_code == 201 and made.get_json()["date"] == first.replace(day=2).isoformat()
    assert makeup_state(me)["left_this_month"] == 0
    assert me.get("/me/points").get_json()["balance"] == 100 - 10 + 5 - 10 + 5


def test_on_the_first_a_make_up_of_the_last_day_uses_the_earlier_months(member_client,
                                                                          one_a_month, at):
    me = member_client(points=100)
    at(2026, 2, 1, 9)
    assert makeup_state(me)["available"] is True
    assert make_up(me).get_json()["date"] == "2026-01-31"
    assert makeup_state(me, "2026-01")["left_this_month"] == 0
    assert makeup_state(me)["left_this_month"] == 1     # February's is untouched
    at(2026, 2, 5, 9)
    assert make_up(me).status_code == 201


def test_making_up_a_day_already_checked_in_names_that_day(member_client, one_a_month, at):
    me = member_client(points=100)
    at(2026, 11, 3, 9)
    assert fresh(me).post("/me/checkins").status_code == 201
    at(2026, 11, 4, 9)
    assert makeup_state(me)["available"] is False
    refused = make_up(me)
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "already_checked_in" and error["details"] == {"date": "2026-11-03"}
    assert "2026-11-03" in error["message"] and "today" not in error["message"]
    assert me.get("/me/points").get_json()["balance"] == 105   # the make-up cost nothing
    today = fresh(me).post("/me/checkins")
    assert today.status_code == 201
    again = fresh(me).post("/me/checkins").get_json()["error"]
    assert again["code"] == "already_checked_in" and "today" in again["message"]
