"""Store campaigns' tables: the points each store's campaigns gave in a business month, and
members' visits (到店打卡) to stores."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, UTCDateTime


class StoreBudgetMonth(Base):
    """Spent with a guarded UPDATE (… WHERE spent_points + n <= budget), never read-then-write."""

    __tablename__ = "store_budget_months"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), primary_key=True)
    #: the business month, "2026-12"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    spent_points: Mapped[int]


class StoreVisit(Base):
    """A member's visit to a store, paid once per business day per store: the unique
    (member, store, day) decides, so a burst of scans pays once."""

    __tablename__ = "store_visits"
    __table_args__ = (UniqueConstraint("member_id", "store_id", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    #: the business day of the visit
    day: Mapped[date]
    points: Mapped[int]
    #: "scan" (the member scanned the store's code) or "staff" (staff scanned the member's)
    source: Mapped[str] = mapped_column(String(8))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
