"""The task centre marketers configure: daily check-in, referral rewards, one-off tasks."""
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, UTCDateTime

CHECKIN, REFERRAL, ONE_OFF = "checkin", "referral", "one_off"
KINDS = (CHECKIN, REFERRAL, ONE_OFF)
#: kinds of which at most one task is active at a time
ONE_ACTIVE = (CHECKIN, REFERRAL)
#: actions the server verifies itself, and `manual` (claimable on the member's word)
ACTIONS = ("bind_phone", "complete_profile", "first_order", "first_redemption", "manual")


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(64))
    #: what the task centre shows under the title (how to do it, what it pays)
    description: Mapped[str | None] = mapped_column(String(500))
    #: check-in: {schedule: [..], makeup: {enabled, cost_points, per_month}};
    #: referral: {inviter_points, invitee_points, trigger, monthly_cap};
    #: one-off: {reward_points, action}
    config: Mapped[dict] = mapped_column(JSON)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: total points this task may pay (null = no limit); `spent_points` only grows under a
    #: guarded UPDATE, so concurrent rewards cannot overspend it
    budget_points: Mapped[int | None]
    spent_points: Mapped[int] = mapped_column(default=0)
    #: the most points one member may receive from this task (null = no limit), counted in
    #: TaskMemberTotal
    member_limit_points: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    #: = kind while a check-in or referral task is active, NULL otherwise: the unique key makes
    #: "one active task of a kind" hold even for two created at once (NULLs never collide)
    active_kind: Mapped[str | None] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TaskMemberTotal(Base):
    """Points a member has received from a task, for its per-member limit; grows only under a
    guarded UPDATE. No foreign keys on purpose: an FK check takes a shared lock on the task
    row, which a budget's guarded UPDATE of that row would then wait for (deadlock)."""

    __tablename__ = "task_member_totals"

    task_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    member_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    points: Mapped[int]


class CheckIn(Base):
    """One business day a member checked in (or made up); unique per member and day."""

    __tablename__ = "task_checkins"
    __table_args__ = (UniqueConstraint("member_id", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    day: Mapped[date] = mapped_column(Date)
    streak: Mapped[int]
    points: Mapped[int]
    made_up: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TaskClaim(Base):
    """A member's reward from a one-off task; unique per task and member."""

    __tablename__ = "task_claims"
    __table_args__ = (UniqueConstraint("task_id", "member_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    points: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


PENDING, REWARDED, CAPPED, REFUSED = "pending", "rewarded", "capped", "refused"
#: paid, then taken back: a merge showed the invitee was an existing customer
REVOKED = "revoked"


class Referral(Base):
    """Who invited whom (one inviter per invitee, ever), and whether it was rewarded."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_inviter_month", "inviter_id", "rewarded_month"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    inviter_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    invitee_id: Mapped[int] = mapped_column(ForeignKey("members.id"), unique=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    #: the task's trigger when the invitee registered: register | first_order
    trigger: Mapped[str] = mapped_column(String(16))
    #: pending → rewarded | capped (invitee paid, the inviter's monthly cap was reached) |
    #: refused (the invitee turned out to be an existing customer)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    #: business month (YYYY-MM) the inviter was paid, for the monthly cap
    rewarded_month: Mapped[str | None] = mapped_column(String(7))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rewarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
