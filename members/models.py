from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, UTCDateTime

#: how a member came to exist
ORIGIN_WECHAT = "wechat"   # logged in through the mini-program
ORIGIN_STORE = "store"     # created at a till by phone number, before the customer had the app

STATUS_ACTIVE = "active"
STATUS_MERGED = "merged"   # its points moved to `merged_into_id`; its member_no resolves there


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: printed on cards and said at the till; random, not sequential
    member_no: Mapped[str] = mapped_column(String(20), unique=True)
    invite_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    nickname: Mapped[str | None] = mapped_column(String(32))
    avatar_url: Mapped[str | None] = mapped_column(String(512))
    #: E.164-less mainland number as WeChat returns it (purePhoneNumber); unique across members
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    birthday: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(8))
    #: the member's tier code (members' tiers are kept by points/tiers); null = no tier
    tier_code: Mapped[str | None] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(8), default=ORIGIN_WECHAT)
    status: Mapped[str] = mapped_column(String(8), default=STATUS_ACTIVE)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    registered_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    #: who invited this member (referral analytics); set once, at registration
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
