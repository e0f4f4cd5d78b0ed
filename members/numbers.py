"""Numbers a member is known by: the member_no printed on a card and said at the till, and the
invite code on their poster. Both random (never sequential, so one cannot guess a neighbour's)."""
import secrets

from sqlalchemy import select

from core.db import db
from members.models import Member

#: no 0/O, 1/I/L: an invite code is read aloud and typed
INVITE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ATTEMPTS = 8


def luhn_digit(digits: str) -> str:
    """The Luhn check digit of `digits`, so a mistyped member_no is caught at the till."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def is_valid_member_no(member_no: str) -> bool:
    return member_no.isdigit() and len(member_no) == 12 and \
        luhn_digit(member_no[:-1]) == member_no[-1]


def _unused(column, make) -> str:
    for _ in range(ATTEMPTS):
        value = make()
        if db.session.scalar(select(Member.id).where(column == value)) is None:
            return value
    raise RuntimeError(f"no unused {column.key} after {ATTEMPTS} attempts")


def new_member_no() -> str:
    """12 digits: 11 random (the first not 0) and a Luhn check digit."""
    def make():
        body = str(secrets.randbelow(9) + 1) + "".join(str(secrets.randbelow(10)) for _ in range(10))
        return body + luhn_digit(body)

    return _unused(Member.member_no, make)


def new_invite_code() -> str:
    """8 characters of INVITE_ALPHABET (fits WeChat's 32-character `scene`)."""
    return _unused(Member.invite_code,
                   lambda: "".join(secrets.choice(INVITE_ALPHABET) for _ in range(8)))
