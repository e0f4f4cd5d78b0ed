"""Banners and announcements on the mini-program's home page (首页), managed by marketers."""
from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from core.config_cache import cached_model
from core.db import Base, BigId, UTCDateTime

#: where tapping a banner leads: a mall product, a task, a mini-program page, or nowhere
LINK_TYPES = ("product", "task", "page", "none")


@cached_model
class Banner(Base):
    __tablename__ = "banners"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(64))
    image_url: Mapped[str] = mapped_column(String(512))
    link_type: Mapped[str] = mapped_column(String(8), default="none")
    #: the product or task id, or the page path ("pages/mall/index?tab=new"); null for none
    link_target: Mapped[str | None] = mapped_column(String(256))
    #: where it shows; empty = every store
    store_codes: Mapped[list] = mapped_column(JSON, default=list)
    #: the window it shows in; null = open-ended
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: lower first
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
