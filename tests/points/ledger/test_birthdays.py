"""Birthday extension: lots expiring in the birthday month of members born next month get the
configured extra days, once."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from core import clock
from core.db import db
from points import ledger
from points.ledger.jobs import birthday_extension
from points.ledger.models import PointsLot
from points.programme.settings import update_settings
from tests.points.ledger_checks import assert_ledger_consistent

SH = timezone(timedelta(hours=8))


def expiry_of(entry):
    db.session.expire_all()
    lot = db.session.scalars(select(PointsLot).where(PointsLot.entry_id == entry.id)).one()
    return clock.business_date(lot.expires_at), lot.birthday_extended


def end_of(day):
    return clock.end_of_business_day(day)


def test_lots_expiring_in_next_months_birthday_month_get_the_extra_days_once(factory):
    clock.set(datetime(2026, 3, 1, 4, tzinfo=SH))
    update_settings({"expiry": {"mode": "fixed_days", "days": 40,
                                "birthday_extension_days": 7}})
    april = factory.member(birthday=date(1990, 4, 15))
    may = factory.member(birthday=date(1991, 5, 2))
    in_april = factory.credit(april, 10, expires_at=end_of(date(2026, 4, 10)))
    last_day = factory.credit(april, 20, expires_at=end_of(date(2026, 4, 30)))
    in_may = factory.credit(april, 30, expires_at=end_of(date(2026, 5, 2)))
    by_policy = factory.credit(april, 40)  # earned today: 2026-04-10 + 7, extended at credit
    spent = factory.credit(april, 5, expires_at=end_of(date(2026, 4, 1)))
    not_born_in_april = factory.credit(may, 50, expires_at=end_of(date(2026, 4, 10)))
    ledger.debit(april.id, 5, kind="spend", key="spend-the-april-1st-lot")
    db.session.commit()
    assert expiry_of(by_policy) == (date(2026, 4, 17), True)

    assert birthday_extension() == {"month": "2026-04", "days": 7, "lots_extended": 2}

    assert expiry_of(in_april) == (date(2026, 4, 17), True)
    assert expiry_of(last_day) == (date(2026, 5, 7), True)
    assert expiry_of(in_may) == (date(2026, 5, 2), False)
    assert expiry_of(by_policy) == (date(2026, 4, 17), True)
    assert expiry_of(spent) == (date(2026, 4, 1), False)
    assert expiry_of(not_born_in_april) == (date(2026, 4, 10), False)
    assert birthday_extension()["lots_extended"] == 0  # idempotent: nothing twice
    assert expiry_of(in_april) == (date(2026, 4, 17), True)
    assert_ledger_consistent()


def test_a_month_can_be_given_and_nothing_happens_when_disabled(factory):
    clock.set(datetime(2026, 3, 1, 4, tzinfo=SH))
    member = factory.member(birthday=date(1990, 12, 24))
    lot = factory.credit(member, 10, expires_at=end_of(date(2026, 12, 31)))
    assert "skipped" in birthday_extension("2026-12")
    update_settings({"expiry": {"birthday_extension_days": 3}})
    assert birthday_extension("2026-12")["lots_extended"] == 1
    assert expiry_of(lot) == (date(2027, 1, 3), True)


def test_the_cli_extends_a_given_month(app, factory):
    clock.set(datetime(2026, 3, 1, 4, tzinfo=SH))
    update_settings({"expiry": {"birthday_extension_days": 3}})
    member = factory.member(birthday=date(1990, 12, 24))
    factory.credit(member, 10, expires_at=end_of(date(2026, 12, 31)))
    result = app.test_cli_runner().invoke(args=["points", "extend-birthdays", "--month", "2026-12"])
    assert result.exit_code == 0 and '"lots_extended": 1' in result.output
