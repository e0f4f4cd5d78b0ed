"""Tiers follow the points earned (not the balance) in the trailing 12 months: a member moves
up at once on the credit that crosses a threshold, and down only at the periodic review."""
import functools
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.exc import IntegrityError

from core import audit, clock, config_cache, jobs, worker
from core.db import db, loaded, mark_written
from core.errors import Conflict, NotFound
from points.programme import tier_history
from points.programme.models import EarnedMonth, Tier

TIER_FIELDS = ("code", "name", "threshold_points", "multiplier_percent", "active", "benefits",
               "icon_url")


def _all_tiers() -> list:
    """Every tier as plain data, lowest threshold first (cached: see core.config_cache)."""
    return config_cache.cached_rows(
        "tiers", lambda: select(Tier).order_by(Tier.threshold_points, Tier.id), ("id", *TIER_FIELDS))


def active_tiers() -> list:
    """Active tiers, lowest threshold first."""
    return [t for t in _all_tiers() if t.active]


def tier_by_code(code: str | None):
    if code is None:
        return None
    return next((t for t in _all_tiers() if t.code == code), None)


def _month(moment: datetime) -> int:
    day = clock.business_date(moment)
    return day.year * 100 + day.month


def first_month_of_window(now: datetime) -> int:
    """The trailing 12 months: this business month and the 11 before it."""
    month = _month(now)
    year, mon = divmod(month, 100)
    mon -= 11
    if mon <= 0:
        year, mon = year - 1, mon + 12
    return year * 100 + mon


def record_earned(member_id: int, now: datetime, points: int) -> None:
    """Add (or, for a refund, subtract) points earned this month. Call under the account lock.
    One statement: an insert that adds to the month's row when there is one."""
    db.session.execute(_earned_upsert(db.session.get_bind().dialect.name),
                       {"member_id": member_id, "month": _month(now), "points": points})


#: the month's upsert per dialect, as text: SQLAlchemy's upsert constructs have no cache key,
#: so they were compiled again on every credit (a quarter of a till order's statement time)
_EARNED_UPSERT = {
    "mysql": "ON DUPLICATE KEY UPDATE points = points + VALUES(points)",
    "sqlite": "ON CONFLICT (member_id, month) DO UPDATE SET points = points + excluded.points",
}


@functools.cache
def _earned_upsert(dialect: str):
    """An insert that adds to the month's row when there is one."""
    dialect = "mysql" if dialect == "mariadb" else dialect
    if dialect not in _EARNED_UPSERT:
        raise NotImplementedError(f"no upsert for {dialect}")
    return text(f"INSERT INTO {EarnedMonth.__tablename__} (member_id, month, points) "
                f"VALUES (:member_id, :month, :points) {_EARNED_UPSERT[dialect]}")


def move_earnings(source_id: int, target_id: int, now: datetime) -> None:
    """A merge: the source's monthly earnings become the target's, and the target's tier rises
    if they now reach a higher one. Call under both accounts' locks."""
    months = db.session.execute(select(EarnedMonth.month, EarnedMonth.points)
                                .where(EarnedMonth.member_id == source_id)).all()
    upsert = _earned_upsert(db.session.get_bind().dialect.name)
    for month, points in months:
        db.session.execute(upsert, {"member_id": target_id, "month": month, "points": points})
    db.session.execute(delete(EarnedMonth).where(EarnedMonth.member_id == source_id)
                       .execution_options(synchronize_session=False))
    # a merged member holds nothing, a tier included
    _set_tier(source_id, _tier_code(source_id), None, tier_history.MERGE)
    upgrade(target_id, _tier_code(target_id), earned_in_window(target_id, now),
            reason=tier_history.MERGE)


def _tier_code(member_id: int) -> str | None:
    from members.models import Member

    return db.session.scalar(select(Member.tier_code).where(Member.id == member_id))


_EARNED_SINCE = (select(func.coalesce(func.sum(EarnedMonth.points), 0))  # built once
                 .where(EarnedMonth.member_id == bindparam("member_id"),
                        EarnedMonth.month >= bindparam("first_month")))


def earned_in_window(member_id: int, now: datetime) -> int:
    """Points earned in the trailing 12 months, less what refunds clawed back."""
    total = db.session.scalar(_EARNED_SINCE, {"member_id": member_id,
                                              "first_month": first_month_of_window(now)})
    return max(int(total), 0)


def tier_for_points(points: int, tiers=None):
    reached = [t for t in (tiers if tiers is not None else active_tiers())
               if t.threshold_points <= points]
    return reached[-1] if reached else None


def upgrade(member_id: int, tier_code: str | None, earned: int,
            reason: str = tier_history.EARNED) -> str | None:
    """The member's tier once `earned` (the trailing 12 months, this credit included) counts:
    raised at once if that reaches a higher tier, never lowered here. Call under the account
    lock, with the tier read under it; returns the tier's code. A raise is recorded in the
    tier history (`reason`); no change costs no statement."""
    tiers = active_tiers()
    reached = tier_for_points(earned, tiers)
    if not _above(reached, tier_code, tiers):
        return tier_code
    if _set_tier(member_id, tier_code, reached.code, reason):
        return reached.code
    # the row held another tier than the caller read (an engine that reads it before the
    # lock: see hold_account): decide again on what it holds, never over a tier as high
    current = _tier_code(member_id)
    if _above(reached, current, tiers) and _set_tier(member_id, current, reached.code, reason):
        return reached.code
    return tier_code


def _above(reached, code: str | None, tiers) -> bool:
    """Whether `reached` is a higher tier than the active tier `code` (none, or inactive: any)."""
    current = next((t for t in tiers if t.code == code), None)
    return reached is not None and (current is None
                                    or reached.threshold_points > current.threshold_points)


def review_chunk(now: datetime, after_member_id: int = 0, limit: int = 1000, *,
                 raise_only: bool = False):
    """Set each member's tier to what the last 12 months earned (may lower it; `raise_only`:
    only raise it, as a credit would). One chunk of members per call: returns (members changed,
    next cursor or None). The chunk is read without locks; a member whose tier looks due to
    change is decided again under their account lock, on earnings read then (an order in flight
    cannot be reviewed away)."""
    from members.models import Member

    tiers = active_tiers()
    rows = db.session.execute(select(Member.id, Member.tier_code).where(Member.id > after_member_id)
                              .order_by(Member.id).limit(limit)).all()
    if not rows:
        return 0, None
    earned = dict(db.session.execute(
        select(EarnedMonth.member_id, func.sum(EarnedMonth.points))
        .where(EarnedMonth.member_id.in_([r.id for r in rows]),
               EarnedMonth.month >= first_month_of_window(now))
        .group_by(EarnedMonth.member_id)).all())
    changed = sum(_review(r.id, now, tiers, lower=not raise_only,
                          reason=tier_history.RULES if raise_only else tier_history.REVIEW)
                  for r in rows
                  if _due(r.tier_code, tier_for_points(max(int(earned.get(r.id, 0)), 0), tiers),
                          tiers, raise_only))
    return changed, rows[-1].id


def _due(code, reached, tiers, raise_only) -> bool:
    if not raise_only:
        return _code(reached) != code
    threshold = {t.code: t.threshold_points for t in tiers}
    return reached is not None and threshold.get(code, -1) < reached.threshold_points


def _code(tier) -> str | None:
    return tier.code if tier else None


def _review(member_id: int, now: datetime, tiers, lower: bool = True,
            reason: str = tier_history.REVIEW) -> int:
    """One member's tier from their earnings, under the account lock credits take: 1 if it
    changed (never lowered unless `lower`)."""
    from points.ledger.models import PointsAccount

    db.session.execute(select(PointsAccount.member_id)
                       .where(PointsAccount.member_id == member_id).with_for_update())
    reached = tier_for_points(earned_in_window(member_id, now), tiers)
    code, current = _code(reached), _tier_code(member_id)
    if current == code or not (lower or _due(current, reached, tiers, raise_only=True)):
        return 0
    return int(_set_tier(member_id, current, code, reason))


def _set_tier(member_id: int, from_code: str | None, to_code: str | None, reason: str) -> bool:
    """Move the member from `from_code` to `to_code` if the row still holds `from_code` (a
    compare-and-set: its rowcount says the tier changed, and from what), recording the change
    in the same transaction. False, and nothing written, otherwise."""
    from members.models import Member

    if from_code == to_code:
        return False
    members = Member.__table__
    changed = db.session.execute(
        update(members).where(members.c.id == member_id,
                              members.c.tier_code.is_not_distinct_from(from_code))
        .values(tier_code=to_code)).rowcount
    if not changed:
        return False
    tier_history.record(member_id, from_code, to_code, reason)
    if (member := loaded(Member, member_id)) is not None:
        mark_written(member, tier_code=to_code)
    return True


#: the schedule entry (app.py) of the periodic review that may lower tiers
REVIEW_JOB = "tier-review"


def next_review_date():
    """The business date of the next tier review (None if it is not scheduled)."""
    try:
        cron = jobs.by_name(REVIEW_JOB).cron
    except KeyError:
        return None
    return clock.business_date(worker.next_run(cron, clock.now(), clock.business_tz()))


def points_to_next(member_tier_code, earned: int, tiers=None):
    """(next tier, points still needed) or (None, 0) at the top."""
    for tier in tiers if tiers is not None else active_tiers():
        if tier.threshold_points > earned and tier.code != member_tier_code:
            return tier, tier.threshold_points - earned
    return None, 0


# --- admin ----------------------------------------------------------------------------------

def multiplier_percent(multiplier) -> int:
    """An earning multiplier as stored: 1.5 → 150 (two decimals at most, as the schemas take)."""
    return int(multiplier * 100)


def create_tier(code, name, threshold_points, multiplier_percent, *, benefits=None,
                icon_url=None) -> Tier:
    tier = Tier(code=code, name=name, threshold_points=threshold_points,
                multiplier_percent=multiplier_percent, active=True, benefits=benefits,
                icon_url=icon_url)
    try:
        with db.session.begin_nested():
            db.session.add(tier)
    except IntegrityError:
        raise Conflict(f"Tier code {code} is taken.", code="invalid_state") from None
    audit.record("tier.create", "tier", code, after=_snapshot(tier))
    _raise_members_after_commit()
    return tier


def get_tier(code) -> Tier:
    tier = db.session.scalars(select(Tier).filter_by(code=code)).one_or_none()
    if tier is None:
        raise NotFound(f"No tier {code}.")
    return tier


def update_tier(code, changes: dict) -> Tier:
    tier = get_tier(code)
    before = _snapshot(tier)
    for name, value in changes.items():
        setattr(tier, name, value)
    db.session.flush()
    audit.record("tier.update", "tier", code, before=before, after=_snapshot(tier))
    if _may_raise(before, _snapshot(tier)):
        _raise_members_after_commit()
    return tier


def _may_raise(before: dict, after: dict) -> bool:
    """A lower threshold, a tier (re)activated or deactivated: some members now reach a tier
    above the one they hold. Raising a threshold lowers no one until the review."""
    return (after["threshold_points"] < before["threshold_points"]
            or after["active"] != before["active"])


def _raise_members_after_commit() -> None:
    """Members move up at once when a tier becomes easier to reach, as they do on a credit."""
    from core.worker import enqueue_after_commit

    enqueue_after_commit("points.programme.jobs:raise_tiers")


def _snapshot(tier):
    return {n: getattr(tier, n) for n in TIER_FIELDS}


def list_tiers() -> list[Tier]:
    return list(db.session.scalars(select(Tier).order_by(Tier.threshold_points, Tier.id)))


