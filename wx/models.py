"""Subscribe-message templates: which WeChat template a purpose uses, and what fills it."""
from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, UTCDateTime


class SubscribeTemplate(Base):
    __tablename__ = "subscribe_templates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32), index=True)
    #: WeChat's template id (from the mini-program's admin console)
    template_id: Mapped[str] = mapped_column(String(64))
    #: the mini-program page the message opens, e.g. "pages/points/index"
    page: Mapped[str | None] = mapped_column(String(256))
    #: WeChat data key → what fills it, e.g. {"thing1": "tip", "number2": "points"}
    fields: Mapped[dict] = mapped_column(JSON)
    tip: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    #: = purpose while active, NULL once deactivated: one active template per purpose (unique)
    active_purpose: Mapped[str | None] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
