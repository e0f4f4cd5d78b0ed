"""One row per reminder: who was reminded of which expiry date, with which template, and how it
went (the at-most-once record)."""
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, UTCDateTime

SENDING, SENT, REFUSED, FAILED = "sending", "sent", "refused", "failed"


class ExpiryReminder(Base):
    __tablename__ = "expiry_reminders"
    __table_args__ = (UniqueConstraint("member_id", "expiry_date", "template_id"),
                      Index("ix_expiry_reminders_expiry_date_status", "expiry_date", "status"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    #: the business date the points expire on
    expiry_date: Mapped[date] = mapped_column(Date)
    #: WeChat's template id
    template_id: Mapped[str] = mapped_column(String(64))
    points: Mapped[int]
    #: sending (recorded; if it stays so, the process died mid-send: never resent) | sent |
    #: refused (43101) | failed (WeChat kept failing or rejected the message)
    status: Mapped[str] = mapped_column(String(8))
    #: WeChat's errcode when refused or failed (-2: no answer from WeChat)
    errcode: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
