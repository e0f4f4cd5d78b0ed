"""One secret seed per lottery and period (a business day): committed (its SHA-256 published)
before the period starts, stored encrypted like POS secrets, revealed once the period is over.

Seeds are made when a lottery is created (its first two periods) and by the hourly job for
today and tomorrow; a draw in a period that somehow has none makes it then (the proof shows
when each seed was committed, so anyone can see it came after the period began).
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core import clock, config_cache
from core.auth import decrypt_secret, encrypt_secret
from core.db import db, insert_values
from lottery import fairness
from lottery.models import Lottery, LotterySeed

_seeds = LotterySeed.__table__


@dataclass(frozen=True)
class Seed:
    id: int
    period: date
    commitment: str
    seed: bytes
    created_at: datetime


def periods(starts_at: datetime, ends_at: datetime, now: datetime, ahead: int = 1) -> list[date]:
    """The business days from today (or the first day, if later) to `ahead` days after it,
    within the window."""
    first = max(clock.business_date(now), clock.business_date(starts_at))
    last = clock.business_date(ends_at - timedelta(microseconds=1))
    return [first + timedelta(days=n) for n in range(ahead + 1)
            if first + timedelta(days=n) <= last]


def ensure(lottery_id: int, days: list[date]) -> int:
    """Commit a new seed for each of these periods that has none; returns how many it made."""
    made = 0
    for day in days:
        if _stored(lottery_id, day) is None:
            made += _insert(lottery_id, day)
    return made


def for_draw(lottery_id: int, day: date) -> Seed:
    """The seed a draw on `day` uses (made now if the period has none yet)."""
    seed = current(lottery_id, day)
    if seed is None:
        _insert(lottery_id, day)
        seed = current(lottery_id, day)
    return seed


def current(lottery_id: int, day: date) -> Seed | None:
    """The period's seed, decrypted once per process (as POS secrets are), or None."""
    return config_cache.cached(f"lottery-seed:{lottery_id}:{day}",
                               lambda: _decrypted(_stored(lottery_id, day)))


def commitment(lottery_id: int, day: date) -> str | None:
    seed = current(lottery_id, day)
    return seed.commitment if seed else None


def revealed(seed_row: LotterySeed, now: datetime) -> str | None:
    """The seed in hex once its period is over, else None: never before."""
    if clock.business_date(now) <= seed_row.period:
        return None
    return seed_row.revealed_seed or decrypt_secret(seed_row.seed_encrypted)


def reveal_ended(now: datetime, limit: int = 500) -> int:
    """Write the seeds of periods that have ended in the clear (so they stay verifiable
    whatever becomes of the key that encrypted them); returns how many."""
    rows = db.session.scalars(select(LotterySeed).where(
        LotterySeed.period < clock.business_date(now), LotterySeed.revealed_seed.is_(None))
        .order_by(LotterySeed.id).limit(limit)).all()
    for row in rows:
        db.session.execute(update(_seeds).where(_seeds.c.id == row.id).values(
            revealed_seed=decrypt_secret(row.seed_encrypted), revealed_at=now))
    return len(rows)


def commit_upcoming(now: datetime) -> int:
    """Seeds for today and tomorrow of every lottery still running; returns how many it made."""
    lotteries = db.session.execute(select(Lottery.id, Lottery.starts_at, Lottery.ends_at)
                                   .where(Lottery.active.is_(True), Lottery.ends_at > now)).all()
    return sum(ensure(i, periods(starts_at, ends_at, now)) for i, starts_at, ends_at in lotteries)


def _stored(lottery_id, day) -> LotterySeed | None:
    return db.session.scalars(select(LotterySeed).filter_by(lottery_id=lottery_id, period=day)) \
        .one_or_none()


def _decrypted(row) -> Seed | None:
    if row is None:
        return None
    seed = bytes.fromhex(decrypt_secret(row.seed_encrypted))
    return Seed(row.id, row.period, row.commitment, seed, row.created_at)


def _insert(lottery_id, day) -> int:
    """1 if this made the period's seed, 0 if a concurrent caller did (the unique key)."""
    seed = fairness.new_seed()
    try:
        insert_values(_seeds, dict(lottery_id=lottery_id, period=day,
                                   commitment=fairness.commitment(seed),
                                   seed_encrypted=encrypt_secret(seed.hex()),
                                   created_at=clock.now()))
    except IntegrityError:
        return 0
    config_cache.mark_changed(db.session())  # every process looks the period's seed up again
    return 1
