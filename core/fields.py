"""Numbers and dates as callers send them: money in fen, points, quantities, ids; multipliers;
business dates and moments.

Integers on the wire are JSON integers and nothing else. marshmallow's own Integer truncates a
float (12.5 → 12) and converts a numeric string ("100" → 100); a till that sends either has a
bug the API must show it, not an order it must guess. Every input schema uses `Integer` (or
`core.ids.Id`) for them; tests/test_strict_types.py checks that no schema uses anything else,
nor a date or a moment other than `Date` and `AwareDateTime`, which keep to years Python's
date arithmetic can step around (0001-01-01 or 9999-12-31 answered 500s).
"""
import decimal
import re

from marshmallow import fields, validate

#: the largest value of an INT column, the default upper bound of an Integer
INT_MAX = 2**31 - 1
_DIGITS = re.compile(r"-?[0-9]{1,20}")


class Integer(fields.Integer):
    """A JSON integer: a float (even 12.0), a string, a boolean is 422. Bounded: the field's
    `validate.Range`, and what an INT column holds where that leaves a side open (`maximum`,
    `minimum` in the OpenAPI document), so no value reaches the database to overflow it.

    `text=True` is for query strings, where every value is text: plain decimal digits (with
    an optional minus sign) are accepted there, and nothing else ("1.5", "1e3", " 1", "١")."""

    MAX = INT_MAX

    def __init__(self, *, text=False, **kwargs):
        super().__init__(strict=True, **kwargs)
        self.text = text
        ranges = [v for v in self.validators if isinstance(v, validate.Range)]
        if not any(r.max is not None for r in ranges):
            self.validators.append(validate.Range(max=self.MAX))
        if not any(r.min is not None for r in ranges):
            self.validators.append(validate.Range(min=-self.MAX - 1))

    def _validated(self, value) -> int:
        if self.text and isinstance(value, str) and _DIGITS.fullmatch(value):
            value = int(value)
        return super()._validated(value)


#: the years a date or a moment may fall in: a day, or a time zone, either side of them is
#: still a date Python has (1..9999)
YEARS = (1900, 2999)


class _Years:
    default_error_messages = {"year": f"Must be in the years {YEARS[0]} to {YEARS[1]}."}

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not YEARS[0] <= moment.year <= YEARS[1]:
            raise self.make_error("year")
        return moment


class Date(_Years, fields.Date):
    """A calendar date (YYYY-MM-DD) in YEARS."""


class AwareDateTime(_Years, fields.AwareDateTime):
    """An ISO-8601 moment with its offset, in YEARS."""


class ExactDecimal(fields.Decimal):
    """A decimal with at most `places` places: more is 422, not rounded away (10.000000000000002
    is above a maximum of 10). A JSON number, or a decimal string ("1.5": how clients send
    decimals exactly); a boolean is 422."""

    default_error_messages = {"places": "At most {places} decimal places."}

    def _validated(self, value):
        if self.places is not None and isinstance(value, (int, float, str)) \
                and not isinstance(value, bool):
            try:  # (self.places is the quantum: Decimal("0.01") for 2 places)
                exact = decimal.Decimal(str(value))
                rounded = exact.quantize(self.places) if exact.is_finite() else exact
            except decimal.InvalidOperation:  # not a number, or too large to have the places
                raise self.make_error("invalid") from None
            if exact.is_finite() and rounded != exact:
                raise self.make_error("places", places=-self.places.as_tuple().exponent)
        return super()._validated(value)
