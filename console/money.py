"""Money at the console: entered and shown in yuan, held in fen (integers), converted exactly.

`yuan_to_fen("12.5") == 1250`; never a float: a string with more than two decimals, a sign, an
exponent or anything but digits is refused rather than rounded.
"""
import re
from decimal import Decimal

#: what a person types: digits, optionally a point and one or two decimals; ¥/￥ and spaces allowed
_YUAN = re.compile(r"^[¥￥]?\s*([0-9]{1,9})(?:\.([0-9]{1,2}))?$")


class NotYuan(ValueError):
    """The text is not an amount in yuan with at most two decimals."""


def yuan_to_fen(text: str) -> int:
    """The fen of an amount typed in yuan: "0.01" → 1, "12.5" → 1250, "99999.99" → 9999999.
    NotYuan for "12.345", "-1", "1e3", "1,000", "" and the like."""
    match = _YUAN.match((text or "").strip())
    if match is None:
        raise NotYuan(text)
    whole, decimals = match.group(1), match.group(2) or ""
    return int(whole) * 100 + int(decimals.ljust(2, "0") or 0)


def fen_to_yuan(fen: int) -> Decimal:
    """1250 → Decimal("12.50")."""
    return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))


def format_yuan(fen: int | None) -> str:
    """1250 → "¥12.50", -1250 → "-¥12.50"; None → "—"."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{fen_to_yuan(abs(fen)):,}"
