"""SQL both MariaDB and SQLite run, where their spellings differ."""
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from core import clock


class BusinessDaysSince(FunctionElement):
    """Whole business days from a UTC timestamp column's business date to a date: a fixed
    offset (the business time zone's at the as-of date; Asia/Shanghai has no DST)."""

    type = Integer()
    inherit_cache = True
    name = "business_days_since"


def business_days_since(column, as_of: date):
    offset = int(clock.start_of_business_day(as_of).astimezone(clock.business_tz())
                 .utcoffset().total_seconds())
    return BusinessDaysSince(column, literal(as_of.isoformat()), literal(offset))


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
