"""When a new lot expires, by the programme's expiry policy (settings `expiry`).

- never: no expiry;
- fixed_days N: the end of the business day N days after earning;
- year_end, `years` Y: the end of the calendar year Y years after the year of earning
  (Y=1: earned any day of 2028, 1 January included → 2029-12-31 23:59:59.999999 business time;
  Y=0: the end of the year earned). With `years` null — settings stored before `years` existed —
  `days` N keeps its earlier meaning: the end of the calendar year in which "earned + N days"
  falls (N=365 gives the end of the NEXT year except for points earned on 1 January of a leap
  year, which expire that 31 December);
- rolling_days N: the end of the business day N days after the member's latest earn or spend;
  every earn or spend moves all the member's live lots to that date (service.touch_rolling).
Birthday extension (`birthday_extension_days` M > 0): a lot whose date falls in the member's
birthday month gets M more days.
"""
from datetime import date, datetime, timedelta

from core import clock


def expiry_for(earned_at: datetime, policy: dict, birthday: date | None = None) -> datetime | None:
    return expiry_for_day(clock.business_date(earned_at), policy, birthday)


def expiry_for_day(day: date, policy: dict, birthday: date | None = None) -> datetime | None:
    """`expiry_for` of points earned on business day `day` (the moment in the day is not used)."""
    mode, days = policy.get("mode", "never"), int(policy.get("days") or 0)
    if mode == "never":
        return None
    if mode in ("fixed_days", "rolling_days"):
        last_day = day + timedelta(days=days)
    elif mode == "year_end":
        last_day = _year_end(day, policy.get("years"), days)
    else:
        raise ValueError(f"unknown expiry mode {mode!r}")
    return clock.end_of_business_day(with_birthday_extension(last_day, policy, birthday))


def _year_end(day: date, years, days: int) -> date:
    if years is not None:
        return date(day.year + int(years), 12, 31)
    return date((day + timedelta(days=days)).year, 12, 31)  # settings stored before `years`


def with_birthday_extension(last_day: date, policy: dict, birthday: date | None) -> date:
    extra = int(policy.get("birthday_extension_days") or 0)
    if extra > 0 and birthday is not None and last_day.month == birthday.month:
        return last_day + timedelta(days=extra)
    return last_day
