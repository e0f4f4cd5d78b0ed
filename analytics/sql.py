"""SQL both MariaDB and SQLite run, where their spellings differ."""
from datetime import date, datetime, timedelta

from sqlalchemy import Date, DateTime, Integer, String, literal, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from core import clock
from core.db import db

#: how large this session's internal temporary tables (GROUP BY, window functions, JSON_TABLE)
#: may grow in memory before MariaDB writes them to disk (tmpdir); per session, not global
TEMP_TABLE_BYTES = 1 << 30


class BusinessDaysSince(FunctionElement):
    """Whole business days from a UTC timestamp column's business date to a date: a fixed
    offset (the business time zone's at the as-of date; Asia/Shanghai has no DST)."""

    type = Integer()
    inherit_cache = True
    name = "business_days_since"


def business_days_since(column, as_of: date):
    return BusinessDaysSince(column, literal(as_of.isoformat()), literal(_offset_seconds(as_of)))


@compiles(BusinessDaysSince, "mysql")
@compiles(BusinessDaysSince, "mariadb")
def _mysql_days(element, compiler, **kw):
    column, as_of, offset = (compiler.process(c, **kw) for c in element.clauses)
    return f"DATEDIFF({as_of}, DATE(DATE_ADD({column}, INTERVAL {offset} SECOND)))"


@compiles(BusinessDaysSince)
def _sqlite_days(element, compiler, **kw):
    column, as_of, offset = (compiler.process(c, **kw) for c in element.clauses)
    return (f"CAST(julianday({as_of}) - julianday(date({column}, "
            f"({offset} || ' seconds'))) AS INTEGER)")


def window_start(as_of: date, days: int) -> datetime:
    """The first moment of a window of `days` business days ending with `as_of`."""
    return clock.start_of_business_day(as_of - timedelta(days=days - 1))


def _offset_seconds(as_of: date) -> int:
    return int(clock.start_of_business_day(as_of).astimezone(clock.business_tz())
               .utcoffset().total_seconds())


class BusinessMonth(FunctionElement):
    """'YYYY-MM' of a UTC timestamp column in business time (the offset at a given date)."""

    type = String()
    inherit_cache = True
    name = "business_month"


def business_month(column, as_of: date):
    return BusinessMonth(column, literal(_offset_seconds(as_of)))


@compiles(BusinessMonth, "mysql")
@compiles(BusinessMonth, "mariadb")
def _mysql_month(element, compiler, **kw):
    column, offset = (compiler.process(c, **kw) for c in element.clauses)
    return f"DATE_FORMAT(DATE_ADD({column}, INTERVAL {offset} SECOND), '%%Y-%%m')"


@compiles(BusinessMonth)
def _sqlite_month(element, compiler, **kw):
    column, offset = (compiler.process(c, **kw) for c in element.clauses)
    return f"strftime('%Y-%m', {column}, ({offset} || ' seconds'))"


class PlusDays(FunctionElement):
    """A timestamp column plus a whole number of days (compared with other timestamps)."""

    type = DateTime()
    inherit_cache = True
    name = "plus_days"


def plus_days(column, days: int):
    return PlusDays(column, literal(days))


@compiles(PlusDays, "mysql")
@compiles(PlusDays, "mariadb")
def _mysql_plus_days(element, compiler, **kw):
    column, days = (compiler.process(c, **kw) for c in element.clauses)
    return f"DATE_ADD({column}, INTERVAL {days} DAY)"


@compiles(PlusDays)
def _sqlite_plus_days(element, compiler, **kw):
    column, days = (compiler.process(c, **kw) for c in element.clauses)
    return f"strftime('%Y-%m-%d %H:%M:%f', {column}, ({days} || ' days'))"


class DaysBefore(FunctionElement):
    """The date a whole number of days (an integer expression) before a date."""

    type = Date()
    inherit_cache = True
    name = "days_before"


def days_before(day: date, days):
    return DaysBefore(literal(day.isoformat()), days)


@compiles(DaysBefore, "mysql")
@compiles(DaysBefore, "mariadb")
def _mysql_days_before(element, compiler, **kw):
    day, days = (compiler.process(c, **kw) for c in element.clauses)
    return f"DATE_SUB({day}, INTERVAL ({days}) DAY)"


@compiles(DaysBefore)
def _sqlite_days_before(element, compiler, **kw):
    day, days = (compiler.process(c, **kw) for c in element.clauses)
    return f"date({day}, (-({days})) || ' days')"


class BusinessWeekday(FunctionElement):
    """The ISO weekday (1 Monday … 7 Sunday) of a UTC timestamp column in business time, at
    a fixed offset (callers check the period has one)."""

    type = Integer()
    inherit_cache = True
    name = "business_weekday"


def business_weekday(column, offset_seconds: int):
    return BusinessWeekday(column, literal(offset_seconds))


@compiles(BusinessWeekday, "mysql")
@compiles(BusinessWeekday, "mariadb")
def _mysql_weekday(element, compiler, **kw):
    column, offset = (compiler.process(c, **kw) for c in element.clauses)
    return f"(WEEKDAY(DATE_ADD({column}, INTERVAL {offset} SECOND)) + 1)"


@compiles(BusinessWeekday)
def _sqlite_weekday(element, compiler, **kw):
    column, offset = (compiler.process(c, **kw) for c in element.clauses)
    return (f"((CAST(strftime('%w', {column}, ({offset} || ' seconds')) AS INTEGER) + 6) % 7 "
            f"+ 1)")


def fixed_offset(date_from: date, date_to: date) -> int | None:
    """The business time zone's offset in seconds if it is the same all through the period
    (Asia/Shanghai: always), else None."""
    days = range(date_from.toordinal(), date_to.toordinal() + 2)
    offsets = {_offset_seconds(date.fromordinal(d)) for d in days}
    return offsets.pop() if len(offsets) == 1 else None


def roomy_temporary_tables() -> None:
    """Before an analytics job's set-based statements (MariaDB/MySQL; nothing elsewhere): let
    the session's internal temporary tables stay in memory up to TEMP_TABLE_BYTES. With the
    16 MB default, a store-wide GROUP BY or window over a million rows went to an on-disk Aria
    table in /tmp — slower, and on this host it failed ("Error on delete of
    '/tmp/#sql-temptable-….MAI'"), which is what stopped the 1M-member run."""
    if db.session.get_bind().dialect.name in ("mysql", "mariadb"):
        db.session.execute(text(f"SET SESSION tmp_table_size = {TEMP_TABLE_BYTES}, "
                                f"max_heap_table_size = {TEMP_TABLE_BYTES}"))
