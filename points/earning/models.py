"""Earning at the till: orders (the idempotency anchor of POS earning), their refunds, cash
deductions, and the rules marketers configure (category earn rules, promotions)."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.config_cache import cached_model
from core.db import Base, BigId, UTCDateTime


class Order(Base):
    """A paid order reported by a POS or a cashier; (store, order_no) is unique, so a retried
    report finds the first one instead of earning twice."""

    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("store_id", "order_no"),
                      Index("ix_orders_member_paid", "member_id", "paid_at"),
                      #: a store's day at the till (points.earning.day_sheet)
                      Index("ix_orders_store_created", "store_id", "created_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    order_no: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    amount_fen: Mapped[int]
    #: [{sku, category, amount_fen (the line's total), quantity}] as the POS sent them
    items: Mapped[list] = mapped_column(JSON)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: SHA-256 of the request's content: the same order_no with other content → 422
    request_hash: Mapped[str] = mapped_column(String(64))
    #: "pos" or "staff:<id>"
    source: Mapped[str] = mapped_column(String(32))
    points_earned: Mapped[int]
    #: what the cashier can read out: each contribution to points_earned
    breakdown: Mapped[list] = mapped_column(JSON)
    #: the member's balance once the order's points (and a till registration's bonus) were in;
    #: the order's ledger entry is the one keyed order:<id> (points.earning.orders.credit_key)
    balance_after: Mapped[int]
    refunded_fen: Mapped[int] = mapped_column(default=0)
    points_reversed: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    member: Mapped["Member"] = relationship()  # noqa: F821 (members.models)


class OrderRefund(Base):
    __tablename__ = "order_refunds"
    __table_args__ = (UniqueConstraint("order_id", "refund_no"),
                      Index("ix_order_refunds_created_at", "created_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    refund_no: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int]
    points_reversed: Mapped[int]
    deduction_points_returned: Mapped[int] = mapped_column(default=0)
    balance_after: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Deduction(Base):
    """Points used as cash on an order; (store, order_no) unique."""

    __tablename__ = "deductions"
    __table_args__ = (UniqueConstraint("store_id", "order_no"),
                      Index("ix_deductions_store_created", "store_id", "created_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    order_no: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    amount_fen: Mapped[int]
    points: Mapped[int]
    deduct_fen: Mapped[int]
    request_hash: Mapped[str] = mapped_column(String(64))
    entry_id: Mapped[int] = mapped_column(ForeignKey("points_entries.id"))
    balance_after: Mapped[int]
    points_returned: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


@cached_model
class EarnRule(Base):
    """A category earns `multiplier_percent` of the base rate (e.g. 200 = double points)."""

    __tablename__ = "earn_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    multiplier_percent: Mapped[int]
    #: empty = every store
    store_codes: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


@cached_model
class Promotion(Base):
    """A time-boxed promotion: a multiplier or bonus points, for some stores, weekdays,
    categories, above a minimum amount."""

    __tablename__ = "promotions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    #: 200 = double points; null for a bonus-points promotion
    multiplier_percent: Mapped[int | None]
    bonus_points: Mapped[int | None]
    store_codes: Mapped[list] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: ISO weekdays 1 (Monday) … 7, in business time; empty = every day
    weekdays: Mapped[list] = mapped_column(JSON, default=list)
    categories: Mapped[list] = mapped_column(JSON, default=list)
    min_amount_fen: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: a store's own campaign: the store that runs it, applies it only at itself and pays for
    #: the extra points (its lots' funder), within HQ's guardrails; null = HQ's promotion
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    #: draft, pending (HQ's approval), approved, rejected; HQ's promotions are approved. Only
    #: an approved (and active) promotion applies
    status: Mapped[str] = mapped_column(String(16), default="approved", server_default="approved")
    #: HQ's reason for a rejection
    review_reason: Mapped[str | None] = mapped_column(String(255))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
