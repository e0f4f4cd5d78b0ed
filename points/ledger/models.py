"""The ledger's tables (DESIGN.md, "The ledger"). Written only through the functions points.ledger exports."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, BigId, UTCDateTime
from stores.models import Store

class PointsAccount(Base):
    __tablename__ = "points_accounts"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    #: spendable points; negative only while a clawback's debt is outstanding (= -debt)
    balance: Mapped[int] = mapped_column(default=0)
    lifetime_earned: Mapped[int] = mapped_column(default=0)
    #: bumped on every change; lets readers see whether anything moved
    version: Mapped[int] = mapped_column(default=0)


class PointsLot(Base):
    """One credit. Debits consume lots soonest-expiring first, then oldest."""

    __tablename__ = "points_lots"
    __table_args__ = (
        #: a member's live lots (remaining > 0) in expiry order, read from the index alone
        Index("ix_points_lots_member_live", "member_id", "remaining", "expires_at"),
        #: the expiry sweep's chunks, in (expires_at, id) order, read from the index alone:
        #: without it every chunk sorted all due lots (a sweep quadratic in the table)
        Index("ix_points_lots_expiry_order", "expires_at", "id", "remaining", "member_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    amount: Mapped[int]
    remaining: Mapped[int]
    #: null = never expires
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the store that issued these points (settlement); null = issued by HQ
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    #: who pays for these points: the store whose campaign gave them; null = HQ (every lot
    #: before store campaigns). A lot a merge moved or a return made keeps its lot's funder
    funder_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    #: the credit entry that created the lot (for a lot a merge moved: the merge_in entry)
    entry_id: Mapped[int] = mapped_column(BigId, index=True)
    #: the lot these points came from when a merge moved them, or a refund returned them to the
    #: member a merge kept; null for a credit's own lot. An order's points are its credit's lot
    #: and the lots descending from it (refunds, expiry and reconciliation follow them)
    origin_lot_id: Mapped[int | None] = mapped_column(BigId, index=True)
    #: expires_at already includes the birthday-month extension (never extended twice)
    birthday_extended: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PointsEntry(Base):
    """The append-only journal: one row per change; never updated or deleted."""

    __tablename__ = "points_entries"
    __table_args__ = (
        Index("ix_points_entries_member_id_id", "member_id", "id"),
        Index("ix_points_entries_member_created", "member_id", "created_at"),
        Index("ix_points_entries_ref", "ref_type", "ref_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    #: earn, bonus, checkin, referral, task, spend, deduct, expire, adjust, clawback, reverse,
    #: merge_in, merge_out, forfeit (points.ledger.kinds)
    kind: Mapped[str] = mapped_column(String(16))
    delta: Mapped[int]
    balance_after: Mapped[int]
    #: change of the member's debt: + when a clawback could not be covered, − when a credit repaid it
    debt_change: Mapped[int] = mapped_column(default=0)
    #: where it happened (earned, spent, adjusted); null = online / HQ
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    #: what caused it, e.g. ("order", "123"), ("redemption", "45"), ("entry", "67") for a reversal
    ref_type: Mapped[str | None] = mapped_column(String(24))
    ref_id: Mapped[str | None] = mapped_column(String(64))
    #: the business event's key; unique, so one event changes points at most once
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    store: Mapped[Store | None] = relationship(lazy="selectin")


class PointsAllocation(Base):
    """Which lots an entry took points from (a debit) or returned points to (a reversal)."""

    __tablename__ = "points_allocations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("points_entries.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("points_lots.id"), index=True)
    #: always positive; the entry's sign says whether points left or came back
    amount: Mapped[int]
