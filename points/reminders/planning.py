"""Expiry reminders: a subscribe message to each member whose points expire in N days
(settings `reminders.days_before`), one per member per expiry date and template.

At most once: the reminder is recorded (status `sending`, unique on member, expiry date and
template) and its consent unit used in a committed transaction BEFORE the message goes out, and
its outcome is written after. A crash in between can lose a reminder (it stays `sending`, its
unit used: it may have been sent) but can never send one twice: a rerun skips every member
already recorded. A message WeChat did not take (`failed`: our template, page, token, IP,
WeChat busy or silent — never the member's doing) gives its unit back with its outcome; a
refusal (43101) sets the member's units to zero.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, func, select, update

from core import clock
from core.db import db
from points.ledger.models import PointsAccount, PointsLot
from points.reminders.models import FAILED, REFUSED, SENDING, ExpiryReminder
from wx import templates

PURPOSE = "points_expiring"


@dataclass
class Claimed:
    reminder_id: int
    member_id: int
    openid: str
    data: dict


def expiry_date_for(as_of: date, days_before: int) -> date:
    return as_of + timedelta(days=days_before)


def _expiring_on(day: date):
    return (PointsLot.remaining > 0,
            PointsLot.expires_at >= clock.start_of_business_day(day),
            PointsLot.expires_at <= clock.end_of_business_day(day))


def _not_reminded(day: date, template_id: str):
    return ~select(ExpiryReminder.id).where(
        ExpiryReminder.member_id == PointsLot.member_id, ExpiryReminder.expiry_date == day,
        ExpiryReminder.template_id == template_id).exists()


def members_due(day: date, template_id: str, after_member_id: int = 0,
                limit: int = 1000) -> list[int]:
    """The next `limit` member ids (ascending, after the cursor) with points expiring on `day`
    and no reminder recorded for it."""
    return list(db.session.scalars(
        select(PointsLot.member_id)
        .where(PointsLot.member_id > after_member_id, *_expiring_on(day),
               _not_reminded(day, template_id))
        .group_by(PointsLot.member_id).order_by(PointsLot.member_id).limit(limit)))


def due_among(day: date, template_id: str, member_ids: list[int]) -> list[tuple[int, int]]:
    """(member id, points expiring on `day`) for those of these members not yet reminded."""
    rows = db.session.execute(
        select(PointsLot.member_id, func.sum(PointsLot.remaining))
        .where(PointsLot.member_id.in_(member_ids), *_expiring_on(day),
               _not_reminded(day, template_id))
        .group_by(PointsLot.member_id).order_by(PointsLot.member_id)).all()
    return [(m, int(points)) for m, points in rows]


def claim(due: list[tuple[int, int]], day: date, template, recipients) -> tuple[list[Claimed], int]:
    """Record the reminders of members who have an openid and a unit of consent, using that
    unit. Returns (what to send, how many members were skipped for want of consent).

    Raises IntegrityError if another run recorded one of them meanwhile (the caller rereads)."""
    openids = recipients.openids(m for m, _ in due)
    points = {m: p for m, p in due if m in openids}
    now = clock.now()
    rows = [ExpiryReminder(member_id=m, expiry_date=day, template_id=template.template_id,
                           points=p, status=SENDING, created_at=now) for m, p in points.items()]
    db.session.add_all(rows)
    db.session.flush()
    allowed = recipients.claim_quota(list(points), template.template_id)
    dropped = [r.id for r in rows if r.member_id not in allowed]
    if dropped:
        db.session.execute(delete(ExpiryReminder).where(ExpiryReminder.id.in_(dropped)))
    balances = dict(db.session.execute(select(PointsAccount.member_id, PointsAccount.balance)
                                       .where(PointsAccount.member_id.in_(allowed))).all())
    claimed = [Claimed(r.id, r.member_id, openids[r.member_id],
                       templates.render(template, {"points": r.points, "expiry_date": day,
                                                   "balance": balances.get(r.member_id, 0)}))
               for r in rows if r.member_id in allowed]
    return claimed, len(due) - len(claimed)


def record_outcomes(outcomes: list[tuple[Claimed, object]], template, recipients) -> dict:
    """Write each reminder's outcome (a wx.subscribe.Delivery); a failure gives the consent
    unit back, a refusal sets the member's quota to zero. Returns counts by status."""
    groups: dict[tuple, list[int]] = {}
    for claimed, delivery in outcomes:
        groups.setdefault((delivery.status, delivery.errcode), []).append(claimed.reminder_id)
    now = clock.now()
    for (status, errcode), ids in groups.items():
        db.session.execute(update(ExpiryReminder).where(ExpiryReminder.id.in_(ids))
                           .values(status=status, errcode=errcode, finished_at=now)
                           .execution_options(synchronize_session=False))
    refused = [c.member_id for c, d in outcomes if d.status == REFUSED]
    recipients.zero_quota(refused, template.template_id)
    failed = [c.member_id for c, d in outcomes if d.status == FAILED]
    recipients.give_back(failed, template.template_id)
    counts: dict[str, int] = {}
    for (status, _errcode), ids in groups.items():
        counts[status] = counts.get(status, 0) + len(ids)
    return counts


def active_template():
    return templates.active_template(PURPOSE)


def reminder_counts(day: date) -> dict:
    """Reminders for points expiring on `day`, by status (for the CLI and the operator)."""
    return dict(db.session.execute(select(ExpiryReminder.status, func.count())
                                   .where(ExpiryReminder.expiry_date == day)
                                   .group_by(ExpiryReminder.status)).all())
