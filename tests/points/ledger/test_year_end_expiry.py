"""year_end expiry counts whole calendar years (`years`); settings stored before keep their
`days` rule; the demo programme means the end of the following year, 1 January included."""
from datetime import datetime, timedelta, timezone

import pytest

from core import clock
from core.auth import issue_member_token
from core.db import db
from points.programme.models import ProgrammeSetting
from points.programme.settings import get_settings

SH = timezone(timedelta(hours=8))


def expiring(member_client, earned: datetime, points=10):
    """The dates a member sees their points expire, having earned them at `earned`."""
    clock.set(earned)
    me = member_client(points=points)
    me.token = issue_member_token(me.member.id)
    dates = [e["date"] for e in me.get("/me/points").get_json()["expiring"]]
    clock.set(None)  # staff tokens were issued at the real time
    return dates


@pytest.mark.parametrize("years, earned, last_day", [
    (1, datetime(2028, 1, 1, 0, 0, tzinfo=SH), "2029-12-31"),     # a leap year's first day
    (1, datetime(2028, 12, 31, 23, 59, tzinfo=SH), "2029-12-31"),
    (1, datetime(2027, 1, 1, 0, 0, tzinfo=SH), "2028-12-31"),
    (0, datetime(2028, 6, 1, 12, 0, tzinfo=SH), "2028-12-31"),
    (2, datetime(2028, 1, 1, 0, 0, tzinfo=SH), "2030-12-31"),
])
def test_year_end_counts_whole_calendar_years(staff_client, member_client, years, earned,
                                              last_day):
    put = staff_client("marketer").put("/admin/settings", {"expiry": {"mode": "year_end",
                                                                      "years": years}})
    assert put.get_json()["expiry"]["years"] == years
    assert expiring(member_client, earned) == [last_day]


def test_switching_to_year_end_without_years_means_the_end_of_next_year(staff_client,
                                                                        member_client):
    body = staff_client("marketer").put("/admin/settings",
                                        {"expiry": {"mode": "year_end"}}).get_json()
    assert body["expiry"]["years"] == 1
    assert expiring(member_client, datetime(2028, 1, 1, 9, tzinfo=SH)) == ["2029-12-31"]


def test_a_setting_stored_before_years_keeps_its_days_rule(staff_client, member_client):
    db.session.add(ProgrammeSetting(section="expiry", value={
        "mode": "year_end", "days": 365, "birthday_extension_days": 0}, updated_at=clock.now()))
    db.session.commit()
    marketer = staff_client("marketer")
    assert marketer.get("/admin/settings").get_json()["expiry"]["years"] is None
    assert expiring(member_client, datetime(2027, 3, 1, 9, tzinfo=SH)) == ["2028-12-31"]
    assert expiring(member_client, datetime(2028, 1, 1, 9, tzinfo=SH)) == ["2028-12-31"]
    kept = marketer.put("/admin/settings", {"expiry": {"birthday_extension_days": 3}}).get_json()
    assert kept["expiry"]["years"] is None and kept["expiry"]["days"] == 365
    moved = marketer.put("/admin/settings", {"expiry": {"years": 1}}).get_json()
    assert moved["expiry"]["years"] == 1
    assert expiring(member_client, datetime(2028, 1, 1, 9, tzinfo=SH)) == ["2029-12-31"]


def test_the_demo_programme_expires_at_the_end_of_the_following_year(member_client):
    from points.programme.demo import seed_demo

    seed_demo()
    db.session.commit()
    assert get_settings()["expiry"]["mode"] == "year_end"
    assert expiring(member_client, datetime(2028, 1, 1, 9, tzinfo=SH)) == ["2029-12-31"]
