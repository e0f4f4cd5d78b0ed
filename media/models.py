"""Uploaded images: what was stored under which key, for what, by whom."""
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, UTCDateTime

MIB = 1024 * 1024
#: what an image is for → (the longest side it is scaled down to, the most bytes uploaded)
PURPOSES = {"avatar": (640, 2 * MIB), "product": (1600, 5 * MIB), "banner": (1600, 5 * MIB),
            "tier": (512, 2 * MIB)}
STAFF_PURPOSES = ("product", "banner", "tier")


class Upload(Base):
    __tablename__ = "media_uploads"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: the stored file's name: random (unguessable), with the re-encoded format's extension
    key: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    #: "member" or "staff", and their id
    owner_type: Mapped[str] = mapped_column(String(8))
    owner_id: Mapped[int] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
