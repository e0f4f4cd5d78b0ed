"""The programme's configuration tables: settings sections, tiers, the monthly earnings
tiers are computed from, and each member's tier changes."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
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


class TierChange(Base):
    """A member's tier changed (append-only): written by the statement's transaction that
    changed members.tier_code, only when it did change (points.programme.tier_history)."""

    __tablename__ = "member_tier_changes"
    __table_args__ = (Index("ix_member_tier_changes_member_id_id", "member_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    #: the tier's code before and after (null: no tier)
    from_code: Mapped[str | None] = mapped_column(String(16))
    to_code: Mapped[str | None] = mapped_column(String(16))
    #: why: earned, review, merge, rules (tier_history.REASONS)
    reason: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
