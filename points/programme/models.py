"""The programme's configuration tables: settings sections, tiers, and the monthly earnings
tiers are computed from."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.config_cache import cached_model
from core.db import Base, BigId, UTCDateTime


@cached_model
class ProgrammeSetting(Base):
    """One row per section of /admin/settings (earn, expiry, deduction, ...)."""

    __tablename__ = "programme_settings"

    section: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


@cached_model
class Tier(Base):
    __tablename__ = "tiers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    #: points earned in the trailing 12 months needed to hold this tier
    threshold_points: Mapped[int]
    #: earning multiplier in percent (150 = ×1.5); integers only
    multiplier_percent: Mapped[int] = mapped_column(default=100)
    active: Mapped[bool] = mapped_column(default=True)
    #: what members of the tier get, as the tiers page shows it (one benefit a line)
    benefits: Mapped[str | None] = mapped_column(Text)
    icon_url: Mapped[str | None] = mapped_column(String(512))


class EarnedMonth(Base):
    """Points earned per member per business month (less refunds): tiers read 12 rows, not the
    journal."""

    __tablename__ = "points_earned_monthly"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    #: YYYYMM in business time
    month: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    points: Mapped[int] = mapped_column(default=0)
