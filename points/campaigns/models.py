"""Store campaigns' tables: the points each store's campaigns gave in a business month."""
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base


class StoreBudgetMonth(Base):
    """Spent with a guarded UPDATE (… WHERE spent_points + n <= budget), never read-then-write."""

    __tablename__ = "store_budget_months"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), primary_key=True)
    #: the business month, "2026-12"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    spent_points: Mapped[int]
