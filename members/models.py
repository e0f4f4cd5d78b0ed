from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from core.db import Base, BigId, UTCDateTime
from members.phones import to_e164

#: how a member came to exist
ORIGIN_WECHAT = "wechat"   # logged in through the mini-program
ORIGIN_STORE = "store"     # created at a till by phone number, before the customer had the app

STATUS_ACTIVE = "active"
STATUS_MERGED = "merged"   # its points moved to `merged_into_id`; its member_no resolves there
#: logged in with WeChat, registration waiting for the current privacy policy to be accepted
STATUS_PENDING = "pending"
#: the account was cancelled (注销): personal data erased; the ledger keeps pointing here
STATUS_DELETED = "deleted"


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: printed on cards and said at the till; random, not sequential
    member_no: Mapped[str] = mapped_column(String(20), unique=True)
    invite_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    nickname: Mapped[str | None] = mapped_column(String(32))
    avatar_url: Mapped[str | None] = mapped_column(String(512))
    #: E.164 with the country code ("+8613812345678"); unique across members. Set from a
    #: mainland number ("13812345678") it becomes +86…; see members.phones
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
    #: when the birthday was last set (a birthday may change once a year: perks depend on it)
    birthday_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the member's first order was paid (set once, under the points-account lock)
    first_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when nickname, avatar and birthday were first all set (the one-off task pays once)
    profile_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: in every member token; bumped when the account is deleted, so older tokens are refused
    token_version: Mapped[int] = mapped_column(default=1, server_default="1")
    #: the invite code and store code a first login came with, kept while registration waits
    #: for consent (members.privacy.consent), then handed to `member.registered`
    signup_invite_code: Mapped[str | None] = mapped_column(String(32))

    @validates("phone")
    def _phone_in_e164(self, _key, phone):
        if phone is not None and to_e164(phone) is None:
            raise ValueError(f"not a phone number: {phone!r}")
        return to_e164(phone)


class WechatIdentity(Base):
    """One openid of a member in one WeChat app (the mini-program; an official account).
    Openids of the same unionid belong to one member."""

    __tablename__ = "member_wechat_identities"
    __table_args__ = (UniqueConstraint("appid", "openid"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    appid: Mapped[str] = mapped_column(String(32))
    openid: Mapped[str] = mapped_column(String(64))
    unionid: Mapped[str | None] = mapped_column(String(64), index=True)
    #: WeChat's session key of the last login; server-side only, never in a response or a log
    session_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SubscribeConsent(Base):
    """A member's one-time subscriptions to a template: each acceptance allows one message."""

    __tablename__ = "member_subscribe_consents"
    __table_args__ = (UniqueConstraint("member_id", "template_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    template_id: Mapped[str] = mapped_column(String(64))
    #: messages we may still send (accepted − sent; zero after WeChat says 43101)
    remaining: Mapped[int] = mapped_column(Integer, default=0)
    accepted_count: Mapped[int] = mapped_column(Integer, default=0)
    refused_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
