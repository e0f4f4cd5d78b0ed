"""Tags, their members and membership changes; automations and what each did per member."""
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, UTCDateTime

RULE, MANUAL = "rule", "manual"


class Tag(Base):
    __tablename__ = "analytics_tags"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    #: rule (recomputed nightly) or manual (HQ adds and removes members)
    kind: Mapped[str] = mapped_column(String(8))
    #: {"all" | "any": [condition | group]} (analytics.tags.rules); null for a manual tag
    rule: Mapped[dict | None] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the last time the rule was evaluated
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TagMember(Base):
    """A member in a tag now."""

    __tablename__ = "analytics_tag_members"

    tag_id: Mapped[int] = mapped_column(ForeignKey("analytics_tags.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entered_on: Mapped[date] = mapped_column(Date)
    #: when it was recorded (an automation acts for members entering after it was created)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TagMatch(Base):
    """A member the tag's rule matched at its last evaluation (scratch: rewritten each time)."""

    __tablename__ = "analytics_tag_matches"

    tag_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    member_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class TagChange(Base):
    """A member entered or left a tag (append-only)."""

    __tablename__ = "analytics_tag_changes"
    __table_args__ = (Index("ix_analytics_tag_changes_tag_member", "tag_id", "member_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("analytics_tags.id"))
    member_id: Mapped[int] = mapped_column(BigInteger)
    #: entered, left
    change: Mapped[str] = mapped_column(String(8))
    changed_on: Mapped[date] = mapped_column(Date)
    #: rule, or staff:<id> for a manual change
    by: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Automation(Base):
    """When a member enters the tag: do one thing, once, within a budget; a hashed share of
    the entrants is held out and gets nothing (the control group)."""

    __tablename__ = "analytics_automations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    tag_id: Mapped[int] = mapped_column(ForeignKey("analytics_tags.id"), index=True)
    #: points, coupon, message
    action: Mapped[str] = mapped_column(String(8))
    points: Mapped[int | None]
    #: coupon: the mall coupon product issued (no foreign key, as mall_coupons.product_id)
    product_id: Mapped[int | None] = mapped_column(BigId)
    #: message: the WeChat subscribe template (an active automation_message template)
    template_id: Mapped[str | None] = mapped_column(String(64))
    #: in the action's unit (points, or coupons); spent is raised by a guarded UPDATE, never
    #: past it
    budget: Mapped[int] = mapped_column(BigInteger)
    spent: Mapped[int] = mapped_column(BigInteger, default=0)
    holdout_percent: Mapped[int] = mapped_column(default=10)
    #: active, paused
    status: Mapped[str] = mapped_column(String(8), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AutomationAction(Base):
    """What an automation did for a member: once per (automation, member), by a unique key."""

    __tablename__ = "analytics_automation_actions"
    __table_args__ = (UniqueConstraint("automation_id", "member_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    automation_id: Mapped[int] = mapped_column(ForeignKey("analytics_automations.id"))
    member_id: Mapped[int] = mapped_column(BigInteger)
    #: treated, holdout
    arm: Mapped[str] = mapped_column(String(8))
    #: done, holdout, over_budget; a message: sending (consent used, not yet answered), sent,
    #: refused (43101), failed, no_consent (no openid or no consent unit left: nothing sent)
    outcome: Mapped[str] = mapped_column(String(12))
    cost: Mapped[int] = mapped_column(default=0)
    #: a refused or failed message: WeChat's errcode
    errcode: Mapped[int | None]
    #: the business date the member entered the tag (results count orders from then)
    entered_on: Mapped[date] = mapped_column(Date)
    #: the member's chain segment when it fired (results per segment)
    segment: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
