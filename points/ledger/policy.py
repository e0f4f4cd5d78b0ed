"""When a new lot expires, by the programme's expiry policy (settings `expiry`).

- never: no expiry;
- fixed_days N: the end of the business day N days after earning;
- year_end N: the end of the calendar year in which "earned + N days" falls
  (earned any day of 2026 with N=365 → 2027-12-31 23:59:59.999999 business time);
- rolling_days N: the end of the business day N days after the member's latest earn or spend;
  every earn or spend moves all the member's live lots to that date (service.touch_rolling).
Birthday extension (`birthday_extension_days` M > 0): a lot whose date falls in the member's
birthday month gets M more days.
"""
from datetime import date, datetime, timedelta

from core import clock


def expiry_for(earned_at: datetime, policy: dict, birthday: date | None = None) -> datetime | None:
    mode, days = policy.get("mode", "never"), int(policy.get("days") or 0)
    day = clock.business_date(earned_at)
    if mode == "never":
        return None
    if mode in ("fixed_days", "rolling_days"):
        last_day = day + timedelta(days=days)
    elif mode == "year_end":
        last_day = date((day + timedelta(days=days)).year, 12, 31)
    else:
        raise ValueError(f"unknown expiry mode {mode!r}")
    return clock.end_of_business_day(with_birthday_extension(last_day, policy, birthday))


def with_birthday_extension(last_day: date, policy: dict, birthday: date | None) -> date:
    extra = int(policy.get("birthday_extension_days") or 0)
    if extra > 0 and birthday is not None and last_day.month == birthday.month:
        return last_day + timedelta(days=extra)
    return last_day
