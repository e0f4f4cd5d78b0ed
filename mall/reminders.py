"""Reminders of what a member holds in the mall, as subscribe messages: a gift waiting for
pickup whose deadline is near (`pickup_reminder`), an unused coupon about to expire
(`coupon_expiring`), MALL_REMINDER_DAYS_BEFORE days ahead.

At most once, by the same machinery as the points reminder (points.reminders): each reminder
is recorded (status `sending`, unique per purpose, subject and template) and the member's
consent unit used in a committed transaction BEFORE the message goes out; the outcome is
written after. A failure that is not the member's doing gives the unit back; a refusal
(43101) sets the member's units to zero. Sending is wx.subscribe's."""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from core import clock
from core.db import db
from mall.models import PENDING, UNUSED, Coupon, MallReminder, Redemption
from points.reminders.models import FAILED, REFUSED, SENDING
from stores.models import Store
from wx import templates

PICKUP, COUPON = "pickup_reminder", "coupon_expiring"
PURPOSES = (PICKUP, COUPON)


@dataclass
class Due:
    subject_id: int
    member_id: int
    values: dict


@dataclass
class Claimed:
    reminder_id: int
    member_id: int
    openid: str
    data: dict


def window(now):
    return now, now + timedelta(days=current_app.config["MALL_REMINDER_DAYS_BEFORE"])


def _not_reminded(purpose, subject_column, template_id):
    return ~select(MallReminder.id).where(
        MallReminder.purpose == purpose, MallReminder.subject_id == subject_column,
        MallReminder.template_id == template_id).exists()


def due(purpose: str, template_id: str, now, after_id: int = 0, limit: int = 500) -> list[Due]:
    """The next gifts or coupons (by id, after the cursor) whose deadline falls in the
    window and that have not been reminded with this template."""
    return (_due_pickups if purpose == PICKUP else _due_coupons)(template_id, now, after_id, limit)


def _due_pickups(template_id, now, after_id, limit) -> list[Due]:
    start, end = window(now)
    rows = db.session.execute(
        select(Redemption.id, Redemption.member_id, Redemption.title, Redemption.pickup_code,
               Redemption.pickup_expires_at, Store.name)
        .outerjoin(Store, Store.id == Redemption.store_id)
        .where(Redemption.status == PENDING, Redemption.pickup_expires_at > start,
               Redemption.pickup_expires_at <= end, Redemption.id > after_id,
               _not_reminded(PICKUP, Redemption.id, template_id))
        .order_by(Redemption.id).limit(limit)).all()
    return [Due(r.id, r.member_id, {"product": r.title, "pickup_code": r.pickup_code,
                                    "deadline": clock.business_date(r.pickup_expires_at),
                                    "store": r.name or "任一可领取门店"}) for r in rows]


def _due_coupons(template_id, now, after_id, limit) -> list[Due]:
    start, end = window(now)
    rows = db.session.scalars(
        select(Coupon).where(Coupon.status == UNUSED, Coupon.expires_at > start,
                             Coupon.expires_at <= end, Coupon.id > after_id,
                             _not_reminded(COUPON, Coupon.id, template_id))
        .order_by(Coupon.id).limit(limit)).all()
    return [Due(c.id, c.member_id, {"coupon": c.title,
                                    "expiry_date": clock.business_date(c.expires_at),
                                    "deduct": f"{c.deduct_fen / 100:.2f}元"}) for c in rows]


def claim(purpose: str, dues: list[Due], template, recipients) -> list[Claimed]:
    """Record the reminders of members with an openid and a unit of consent, using the unit.
    Raises IntegrityError if another run recorded one of them meanwhile."""
    openids = recipients.openids({d.member_id for d in dues})
    reachable = [d for d in dues if d.member_id in openids]
    now = clock.now()
    rows = [MallReminder(purpose=purpose, subject_id=d.subject_id, member_id=d.member_id,
                         template_id=template.template_id, status=SENDING, created_at=now)
            for d in reachable]
    db.session.add_all(rows)
    db.session.flush()
    allowed = _use_units(reachable, template.template_id, recipients)
    dropped = [r.id for r in rows if r.subject_id not in allowed]
    if dropped:
        db.session.execute(delete(MallReminder).where(MallReminder.id.in_(dropped)))
    return [Claimed(r.id, r.member_id, openids[r.member_id], templates.render(template, d.values))
            for r, d in zip(rows, reachable) if r.subject_id in allowed]


def _use_units(dues, template_id, recipients) -> set[int]:
    """One consent unit per message: a member with two gifts due needs two. Returns the
    subjects whose unit was used."""
    allowed, left = set(), list(dues)
    while left:
        members = {d.member_id for d in left}
        granted = recipients.claim_quota(members, template_id)
        firsts, rest, seen = [], [], set()
        for d in left:
            (rest if d.member_id in seen else firsts).append(d)
            seen.add(d.member_id)
        allowed |= {d.subject_id for d in firsts if d.member_id in granted}
        left = [d for d in rest if d.member_id in granted]
    return allowed


def record_outcomes(outcomes, template, recipients) -> dict:
    """Each reminder's outcome (a wx.subscribe.Delivery); returns counts by status."""
    now, counts = clock.now(), {}
    for claimed, delivery in outcomes:
        db.session.execute(update(MallReminder).where(MallReminder.id == claimed.reminder_id)
                           .values(status=delivery.status, errcode=delivery.errcode,
                                   finished_at=now).execution_options(synchronize_session=False))
        counts[delivery.status] = counts.get(delivery.status, 0) + 1
    recipients.zero_quota([c.member_id for c, d in outcomes if d.status == REFUSED],
                          template.template_id)
    for claimed, delivery in outcomes:  # a unit back per message WeChat did not take
        if delivery.status == FAILED:
            recipients.give_back([claimed.member_id], template.template_id)
    return counts
