"""The only source of "now". Tests move it with `clock.frozen(...)` or `clock.set(...)`."""
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

_frozen: datetime | None = None
DEFAULT_TZ = "Asia/Shanghai"


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return _frozen if _frozen is not None else datetime.now(timezone.utc)


def set(moment: datetime | None) -> None:  # noqa: A001 - mirrors the verb tests use
    global _frozen
    if moment is not None and moment.tzinfo is None:
        raise ValueError("clock.set needs an aware datetime")
    _frozen = moment.astimezone(timezone.utc) if moment else None


@contextmanager
def frozen(moment: datetime):
    previous = _frozen
    set(moment)
    try:
        yield
    finally:
        set(previous)


def advance(delta: timedelta) -> None:
    set(now() + delta)


def business_tz() -> ZoneInfo:
    name = current_app.config.get("BUSINESS_TZ", DEFAULT_TZ) if has_app_context() else DEFAULT_TZ
    return ZoneInfo(name)


def business_date(moment: datetime | None = None) -> date:
    """The business day (BUSINESS_TZ) a moment falls on; today by default."""
    return (moment or now()).astimezone(business_tz()).date()


def start_of_business_day(day: date) -> datetime:
    """The UTC moment a business day begins."""
    return datetime.combine(day, time.min, business_tz()).astimezone(timezone.utc)


def end_of_business_day(day: date) -> datetime:
    """The last UTC moment (to the microsecond) of a business day."""
    return start_of_business_day(day + timedelta(days=1)) - timedelta(microseconds=1)
