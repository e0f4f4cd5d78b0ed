"""Row ids as callers may send them: no larger than the BIGINT columns hold. An id beyond that
is unknown by definition: a path with one matches no route (404), a body or query field with
one is invalid (422), and neither reaches the database (SQLite cannot even bind it)."""
from marshmallow import validate
from werkzeug.routing import IntegerConverter, Map, ValidationError

from core.fields import Integer

#: the largest (and, negated minus one, the smallest) value of a signed BIGINT column
MAX_ID = 2**63 - 1


def holds(number: int) -> bool:
    return -MAX_ID - 1 <= number <= MAX_ID


def _up_to(limit: int) -> str:
    """A regex for the decimal numbers from 0 to `limit`: fewer digits, or as many with a
    smaller digit after a common start, or `limit` itself."""
    digits = str(limit)
    shorter = [rf"\d{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    smaller = [f"{digits[:i]}[0-{int(d) - 1}]\\d{{{len(digits) - i - 1}}}"
               for i, d in enumerate(digits) if d != "0"]
    return "(?:" + "|".join(shorter + smaller + [digits]) + ")"


class IdConverter(IntegerConverter):
    """werkzeug's `int` converter, matching only numbers a BIGINT can hold. In the regex, not
    in `to_python`: a number refused there makes werkzeug answer 405 when another method's rule
    has the same path. `max` stays unset, so the OpenAPI document reads as before."""

    regex = _up_to(MAX_ID)

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if not holds(number):  # <int(signed=True):…> uses werkzeug's unbounded signed regex
            raise ValidationError()
        return number


class Id(Integer):
    """An id in a body or query string: a positive integer a BIGINT column can hold (422
    otherwise), a JSON integer in a body (`text=True` for a query string)."""

    MAX = MAX_ID

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(min=1))
        super().__init__(**kwargs)


class IdMap(Map):
    """The app's URL map: `<int:…>` in every route is an IdConverter."""

    default_converters = {**Map.default_converters, "int": IdConverter}
