"""The dynamic member code a customer shows at the till.

18 digits (a fixed prefix `88` and 16 random ones), so Code128 barcodes and 1D scanner guns
read it. Random, so it cannot be forged or derived from the member_no. Redis keeps what each
code means: `code → member id and when it was issued`, kept for a day so a till can tell an
expired code (410) from one that was never issued (404); and the member's current code, reused
for REFRESH seconds so a mini-program polling every few seconds does not mint a code each time.
A scan is one Redis GET (and one primary-key read of the member).
"""
import secrets
from datetime import datetime, timedelta, timezone

from core import clock
from core.db import db
from core.errors import Gone, NotFound
from core.redis import get_redis, rkey
from members.lookup import follow_merges
from members.models import STATUS_DELETED, Member

PREFIX = "88"
LENGTH = 18
REFRESH = 60     #: a new code at least this often (seconds)
VALIDITY = 90    #: a code is accepted this long after it was issued (seconds)
REMEMBER = 24 * 3600


def _code_key(code):
    return rkey("mcode", code)


def _member_key(member_id):
    return rkey("mcode-of", member_id)


def issue_code(member: Member) -> tuple[str, datetime, int]:
    """(code, expires_at, refresh_in seconds): the member's current code, or a new one."""
    redis, now = get_redis(), clock.now()
    current = redis.get(_member_key(member.id))
    if current:
        code, _, issued = current.decode().partition(":")
        age = now.timestamp() - float(issued)
        if 0 <= age < REFRESH:
            return _answer(code, float(issued), now)
    code = PREFIX + "".join(str(secrets.randbelow(10)) for _ in range(LENGTH - len(PREFIX)))
    issued = now.timestamp()
    pipe = redis.pipeline(transaction=False)
    pipe.set(_code_key(code), f"{member.id}:{issued}", ex=REMEMBER)
    pipe.set(_member_key(member.id), f"{code}:{issued}", ex=REFRESH)
    pipe.execute()
    return _answer(code, issued, now)


def _answer(code, issued, now):
    expires_at = datetime.fromtimestamp(issued + VALIDITY, tz=timezone.utc)
    refresh_in = max(int(issued + REFRESH - now.timestamp()), 1)
    return code, expires_at, refresh_in


def looks_like_code(value: str) -> bool:
    return len(value) == LENGTH and value.isdigit() and value.startswith(PREFIX)


def member_by_code(code: str) -> Member:
    """The member who showed this code (following merges): 410 code_expired when it was
    issued more than VALIDITY seconds ago, 404 when it was never issued or the account was
    deleted since."""
    member = follow_merges(db.session.get(Member, member_id_by_code(code)))
    if member is None or member.status == STATUS_DELETED:
        raise NotFound("This member no longer exists.")
    return member


def forget_member(member_id: int) -> None:
    """Drop the member's current code (a deleted account shows none)."""
    get_redis().delete(_member_key(member_id))


def member_id_by_code(code: str) -> int:
    """The id the code was issued to (a merge not followed), from Redis alone; 410 and 404
    as member_by_code."""
    code = (code or "").strip()
    stored = get_redis().get(_code_key(code)) if looks_like_code(code) else None
    if stored is None:
        raise NotFound("This is not a member code; ask the customer to show it again.")
    member_id, _, issued = stored.decode().partition(":")
    age = clock.now().timestamp() - float(issued)
    if age > VALIDITY:
        raise Gone("This member code has expired; ask the customer to refresh it.",
                   details={"expired_at": (datetime.fromtimestamp(float(issued), tz=timezone.utc)
                                           + timedelta(seconds=VALIDITY)).isoformat()})
    return int(member_id)
