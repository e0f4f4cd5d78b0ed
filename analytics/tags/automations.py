"""Automations: when a member enters a tag, credit points (through the ledger), issue a mall
coupon product (through the mall's issuing, as a prize is) or send a subscribe message (consent
and quota respected: analytics.tags.messages), within a budget (points, coupons or messages),
once per member per automation — the unique (automation, member) key decides, not a read.

HOLDOUT: a member is held out of an automation when sha256("<automation id>:<member id>")
falls in its first `holdout_percent` % — fixed per member, so a rerun (or a second worker)
puts them in the same group. Held-out members get an action row (arm holdout) and nothing else.

BUDGET: `spent` rises by a guarded UPDATE (… WHERE spent + cost ≤ budget), so concurrent
workers never pass it; a member the budget cannot cover is recorded over_budget, once.
"""
import hashlib
from datetime import date

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from core import audit, clock
from core.db import db, expire_loaded
from core.errors import NotFound, ValidationFailed
from analytics.models import CHAIN, MemberSegment
from analytics.tags import messages
from analytics.tags.models import Automation, AutomationAction, TagMember
from analytics.tags.service import get_tag
from mall import catalog, issuing
from points import ledger

FIELDS = ("name", "tag_id", "action", "points", "product_id", "template_id", "budget",
          "holdout_percent", "status")
ACTIVE, PAUSED = "active", "paused"
HOLDOUT, TREATED = "holdout", "treated"
_automations, _actions = Automation.__table__, AutomationAction.__table__


def list_automations():
    return db.session.scalars(select(Automation).order_by(Automation.id)).all()


def active_ids() -> list[int]:
    return list(db.session.scalars(select(Automation.id).filter_by(status=ACTIVE)
                                   .order_by(Automation.id)))


def get_automation(automation_id: int) -> Automation:
    row = db.session.get(Automation, automation_id)
    if row is None:
        raise NotFound(f"No automation {automation_id}.")
    return row


def save_automation(data: dict, row: Automation | None = None) -> Automation:
    """Create or change (pause: status paused) an automation; audited."""
    before = audit.snapshot(row, FIELDS) if row else None
    if "tag_id" in data:
        get_tag(data["tag_id"])  # 404 before anything is added to the session
    if row is None:
        row = Automation(spent=0, status=ACTIVE, holdout_percent=10, created_at=clock.now())
        db.session.add(row)
    for name, value in data.items():
        setattr(row, name, value)
    if row.action == "points" and not row.points:
        raise ValidationFailed(details={"points": ["Points to credit are required."]})
    if row.action == "coupon" and (not row.product_id
                                   or catalog.get_product(row.product_id).kind != "coupon"):
        raise ValidationFailed(details={"product_id": ["A mall coupon product is required."]})
    if row.action == "message":
        messages.check_template(row.template_id)
    db.session.flush()
    audit.record("automation.save", "automation", row.id, before=before,
                 after=audit.snapshot(row, FIELDS))
    return row


def held_out(automation_id: int, member_id: int, percent: int) -> bool:
    digest = hashlib.sha256(f"{automation_id}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


def due_members(automation: Automation, limit: int) -> list[int]:
    """Members who entered the tag since the automation was created and have no action yet."""
    acted = select(AutomationAction.member_id).where(
        AutomationAction.automation_id == automation.id)
    return list(db.session.scalars(
        select(TagMember.member_id).where(TagMember.tag_id == automation.tag_id,
                                          TagMember.entered_at >= automation.created_at,
                                          TagMember.member_id.not_in(acted))
        .order_by(TagMember.member_id).limit(limit)))


def fire_chunk(automation_id: int, limit: int = 500) -> int:
    """Act for up to `limit` due members (one transaction); the number acted for (0: done or
    paused)."""
    # the automation's row first: concurrent workers take turns chunk by chunk (a worker that
    # took a member key another holds, then the row, while that one waited for the row, was a
    # deadlock); the unique key and the guarded UPDATE still decide on their own (Galera)
    automation = db.session.get(Automation, automation_id, with_for_update=True,
                                populate_existing=True)
    if automation is None:
        raise NotFound(f"No automation {automation_id}.")
    if automation.status != ACTIVE:
        return 0
    member_ids = due_members(automation, limit)
    entered = dict(db.session.execute(select(TagMember.member_id, TagMember.entered_on).where(
        TagMember.tag_id == automation.tag_id, TagMember.member_id.in_(member_ids))).all())
    segment_of = dict(db.session.execute(select(MemberSegment.member_id, MemberSegment.segment)
                                         .where(MemberSegment.store_id == CHAIN,
                                                MemberSegment.member_id.in_(member_ids))).all())
    product = (catalog.get_product(automation.product_id) if automation.action == "coupon"
               else None)
    acted = 0
    for member_id in member_ids:
        acted += act(automation, member_id, entered[member_id], segment_of.get(member_id),
                     product)
    if automation.action == "message":  # sent once this chunk has committed
        messages.send_after_commit(automation.id, list(db.session.scalars(
            select(AutomationAction.id).where(AutomationAction.automation_id == automation.id,
                                              AutomationAction.member_id.in_(member_ids),
                                              AutomationAction.outcome == messages.SENDING))))
    expire_loaded(Automation)  # spent moved by Core statements
    return acted


def act(automation: Automation, member_id: int, entered_on: date, segment, product=None) -> bool:
    """Claim the (automation, member) key, then act; False if it was claimed already."""
    holdout = held_out(automation.id, member_id, automation.holdout_percent)
    try:  # a failed INSERT undoes only itself (MariaDB, SQLite)
        action_id = db.session.execute(insert(_actions).values(
            automation_id=automation.id, member_id=member_id, arm=HOLDOUT if holdout else TREATED,
            outcome=HOLDOUT if holdout else "pending", cost=0, entered_on=entered_on,
            segment=segment, created_at=clock.now())).inserted_primary_key[0]
    except IntegrityError:
        return False
    if holdout:
        return True
    if automation.action == "message":
        outcome, cost = messages.claim(automation, member_id,
                                       lambda n: _take_budget(automation, n))
        db.session.execute(update(_actions).where(_actions.c.id == action_id).values(
            outcome=outcome, cost=cost))
        return True
    cost = 1 if product is not None else automation.points  # coupon budgets count coupons
    covered = _take_budget(automation, cost)
    if covered and product is not None:
        issuing.award(member_id, product)  # one coupon, no points, as the mall issues a prize
    elif covered:
        ledger.credit(member_id, cost, kind="bonus", key=f"automation:{automation.id}:{member_id}",
                      reason=f"automation: {automation.name}", ref=("automation", automation.id))
    db.session.execute(update(_actions).where(_actions.c.id == action_id).values(
        outcome="done" if covered else "over_budget", cost=cost if covered else 0))
    return True


def _take_budget(automation, cost) -> bool:
    """Raise `spent` by `cost` unless that passes the budget (a guarded UPDATE)."""
    return bool(db.session.execute(
        update(_automations).where(_automations.c.id == automation.id,
                                   _automations.c.spent + cost <= _automations.c.budget)
        .values(spent=_automations.c.spent + cost)).rowcount)
