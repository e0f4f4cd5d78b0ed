"""The dashboard's rollup: one row per business day and store, built by the rollup job from
the source tables (analytics.dashboard.sources). Also the indexes those day-by-day reads need
on other domains' tables (declared here so each day is an index range, not a table scan)."""
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, UTCDateTime
from mall.models import Redemption
from members.models import Member
from points.earning.models import Order
from points.ledger.models import PointsEntry
from tasks.models import CheckIn, Referral

#: store_key of figures that belong to no store (online, HQ, check-ins, referrals)
NO_STORE = 0


class Figures:
    """A day's figures (per store, or the chain's)."""

    points_issued: Mapped[int] = mapped_column(default=0)
    points_spent: Mapped[int] = mapped_column(default=0)
    points_expired: Mapped[int] = mapped_column(default=0)
    members_registered: Mapped[int] = mapped_column(default=0)
    #: distinct members who earned or spent that day (there; the chain's: anywhere)
    members_active: Mapped[int] = mapped_column(default=0)
    orders: Mapped[int] = mapped_column(default=0)
    orders_fen: Mapped[int] = mapped_column(BigId, default=0)
    #: all orders the POS reported for the day, with or without a member (PosDayTotal)
    pos_orders: Mapped[int | None]
    checkins: Mapped[int] = mapped_column(default=0)
    referrals: Mapped[int] = mapped_column(default=0)
    redemptions: Mapped[int] = mapped_column(default=0)


class DashboardDay(Figures, Base):
    """A business day the rollup has built (its store rows are complete), with the chain's
    figures (what the dashboard reads when no store is picked)."""

    __tablename__ = "dashboard_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DashboardStoreDay(Figures, Base):
    """One business day at one store (store_key 0: no store), read by store then day."""

    __tablename__ = "dashboard_store_days"

    #: the store's id, or 0 (NO_STORE) for online / HQ
    store_key: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)


class DashboardProductDay(Base):
    """Redemptions of one product on one business day at one store (store_key 0: none)."""

    __tablename__ = "dashboard_product_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    store_key: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    product_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(default=0)
    points: Mapped[int] = mapped_column(default=0)


class PosDayTotal(Base):
    """What a store's POS counted for a business day: every order, with or without a member
    (POST /pos/day-totals; the last report of a day wins)."""

    __tablename__ = "pos_day_totals"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    store_id: Mapped[int] = mapped_column(BigId, ForeignKey("stores.id"), primary_key=True)
    orders: Mapped[int]
    amount_fen: Mapped[int] = mapped_column(BigId)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)


#: one business day of each source table, read from an index (rollup and today's live figures)
Index("ix_points_entries_created_kind", PointsEntry.created_at, PointsEntry.kind,
      PointsEntry.store_id, PointsEntry.delta, PointsEntry.member_id)
Index("ix_members_created", Member.created_at, Member.registered_store_id)
Index("ix_orders_created", Order.created_at, Order.store_id, Order.amount_fen)
Index("ix_task_checkins_day", CheckIn.day)
Index("ix_referrals_created", Referral.created_at)
Index("ix_mall_redemptions_created", Redemption.created_at)
