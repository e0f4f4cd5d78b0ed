"""Analytics tables. Scores and statuses are derived data: the nightly job rebuilds them from
the orders; only the settings and the history are kept across runs.

`store_id` 0 is the chain (a member's RFM over every store); another value is one store (their
RFM at that store). It is not a foreign key: 0 names no store."""
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, UTCDateTime
from points.earning.models import Order

CHAIN = 0


class AnalyticsSetting(Base):
    """One JSON row per section (rfm, churn); defaults in analytics.settings."""

    __tablename__ = "analytics_settings"

    section: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RfmRun(Base):
    """One scoring run as of a business date; an unfinished run is resumed, not restarted."""

    __tablename__ = "analytics_rfm_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    #: aggregate (cursor: the last order id done) → chain_facts → score (cursor: -1 before the
    #: chain, 0 once the chain is scored; then the stores, all at once) → done
    phase: Mapped[str] = mapped_column(String(16))
    cursor: Mapped[int] = mapped_column(BigInteger)
    #: the settings the run scores with, fixed at its start
    settings: Mapped[dict] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MemberRfmFacts(Base):
    """A member's orders up to the run's as-of date, at a store or in the chain."""

    __tablename__ = "analytics_member_rfm_facts"

    store_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    member_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_order_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_order_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: orders in the window, not wholly refunded
    frequency: Mapped[int] = mapped_column(Integer)
    #: spend in the window, net of refunds
    monetary_fen: Mapped[int] = mapped_column(BigInteger)


class MemberSegment(Base):
    """A member's scores and segment, at a store or in the chain, as of the last run."""

    __tablename__ = "analytics_member_segments"
    __table_args__ = (Index("ix_analytics_member_segments_store_segment", "store_id", "segment"),)

    store_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    member_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    #: business days since the last order, as of the run (null: never bought)
    recency_days: Mapped[int | None] = mapped_column(Integer)
    frequency: Mapped[int] = mapped_column(Integer)
    monetary_fen: Mapped[int] = mapped_column(BigInteger)
    #: 1–5 each; null for 未消费
    r: Mapped[int | None] = mapped_column(SmallInteger)
    f: Mapped[int | None] = mapped_column(SmallInteger)
    m: Mapped[int | None] = mapped_column(SmallInteger)
    segment: Mapped[str] = mapped_column(String(24))
    as_of: Mapped[date] = mapped_column(Date)


class SegmentHistory(Base):
    """A member's segment each month: as of its last day (or of the month's first run, until
    the run as of its last day replaces it)."""

    __tablename__ = "analytics_segment_history"

    store_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    #: YYYY-MM
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    member_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    segment: Mapped[str] = mapped_column(String(24))


class MemberChurn(Base):
    """A member's churn status by their own rhythm, as of the last churn run."""

    __tablename__ = "analytics_member_churn"
    __table_args__ = (Index("ix_analytics_member_churn_status", "status"),)

    member_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    #: active, at_risk, lapsed
    status: Mapped[str] = mapped_column(String(16))
    #: the business date the status last changed
    changed_on: Mapped[date] = mapped_column(Date)
    #: why, in words a marketer reads (e.g. "47 days since the last order > 1.5 × median gap 30")
    reason: Mapped[str] = mapped_column(String(200))
    orders: Mapped[int] = mapped_column(Integer)
    last_order_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the member's median gap between orders in days (null below the minimum orders)
    median_gap_days: Mapped[int | None] = mapped_column(Integer)
    #: when the member is expected back: last order + their gap (or the chain's default)
    expected_next_visit: Mapped[date] = mapped_column(Date)
    as_of: Mapped[date] = mapped_column(Date)


#: a period's orders (the promotion preview's base points per store and per member: the index
#: alone, not every order's row)
Index("ix_orders_paid", Order.paid_at, Order.store_id, Order.member_id, Order.points_earned)
