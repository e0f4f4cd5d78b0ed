"""PIPL: the legal documents members accept (privacy policy, member terms), each acceptance,
and account deletion requests with their cooling-off period."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.config_cache import cached_model
from core.db import Base, BigId, UTCDateTime

PRIVACY, TERMS = "privacy", "terms"
DOCUMENT_KINDS = (PRIVACY, TERMS)

#: a deletion request: pending (cooling off) → completed by the job, or withdrawn
PENDING, WITHDRAWN, COMPLETED = "pending", "withdrawn", "completed"


@cached_model
class LegalDocument(Base):
    """One published version of a document. Never changed once published: a new text is a
    new version. The current version of a kind is the latest whose effective_at has come."""

    __tablename__ = "legal_documents"
    __table_args__ = (UniqueConstraint("kind", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(100))
    #: where the mini-program shows it (https), and/or the text itself
    url: Mapped[str | None] = mapped_column(String(512))
    text: Mapped[str | None] = mapped_column(Text)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Consent(Base):
    """A member accepted a version of a document: the history, kept (also after deletion, as
    the evidence of what was agreed)."""

    __tablename__ = "member_consents"
    __table_args__ = (UniqueConstraint("member_id", "kind", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(String(32))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeletionRequest(Base):
    """A member asked to cancel their account; the deletion job completes it once
    `completes_at` has come, unless the member withdrew it."""

    __tablename__ = "member_deletions"
    __table_args__ = (Index("ix_member_deletions_status_completes", "status", "completes_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    #: = member_id while pending, NULL after: one pending request per member (unique)
    open_member_id: Mapped[int | None] = mapped_column(BigId, unique=True)
    status: Mapped[str] = mapped_column(String(10))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
