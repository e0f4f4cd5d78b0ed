"""Integers as callers send them: money in fen, points, quantities, ids.

On the wire these are JSON integers and nothing else. marshmallow's own Integer truncates a
float (12.5 → 12) and converts a numeric string ("100" → 100); a till that sends either has a
bug the API must show it, not an order it must guess. Every input schema uses `Integer` (or
`core.ids.Id`) for them; tests/test_strict_types.py checks that no schema uses anything else.
"""
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
