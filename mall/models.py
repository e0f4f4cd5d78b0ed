"""The points mall's tables: products, per-member redemption counters, redemptions, coupons.

Stock is `products.stock_left`, changed only by guarded UPDATEs (mall.service). The Redis
stock gate (mall.stock_gate) is a fast copy of it, never the truth.
"""
from datetime import datetime

from sqlalchemy import (JSON, Boolean, Column, ForeignKey, Index, String, Table, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.config_cache import cached_model
from core.db import Base, BigId, UTCDateTime
from members.models import Member
from stores.models import Store

KINDS = ("gift", "coupon", "virtual")

#: redemption statuses: a gift waits for pickup (`pending`); coupons and virtual products are
#: `fulfilled` at once; a pending gift ends `fulfilled` (handed over), `cancelled` (by the
#: member or staff) or `expired` (not picked up in time: cancelled by the sweep)
PENDING, FULFILLED, CANCELLED, EXPIRED = "pending", "fulfilled", "cancelled", "expired"
STATUSES = (PENDING, FULFILLED, CANCELLED, EXPIRED)

#: coupon statuses stored; "expired" is shown for an unused coupon past its expiry; "void":
#: ended unused by the member's account deletion
UNUSED, USED, VOID = "unused", "used", "void"

#: where a redemption comes from: bought in the mall with points, or a prize (a lottery's),
#: for which no points were paid here and none of the product's stock was taken
MALL, PRIZE = "mall", "prize"

product_stores = Table(
    "mall_product_stores", Base.metadata,
    Column("product_id", BigId, ForeignKey("mall_products.id", ondelete="CASCADE"),
           primary_key=True),
    Column("store_id", BigId, ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True),
)


@cached_model  # a redemption reads it from the cache (mall.catalog.product_rules), not its stock
class Product(Base):
    __tablename__ = "mall_products"
    __table_args__ = (Index("ix_mall_products_active_category", "active", "category"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    #: gift (picked up in a store), coupon (used at the till), virtual (fulfilled at once)
    kind: Mapped[str] = mapped_column(String(8))
    points_price: Mapped[int]
    #: paid in the store at pickup, on top of the points (points + cash); 0 = points only
    cash_price_fen: Mapped[int] = mapped_column(default=0)
    #: units ever put on sale (initial stock plus every adjustment)
    stock_total: Mapped[int] = mapped_column(default=0)
    #: units still redeemable: THE stock, changed only by guarded UPDATEs
    stock_left: Mapped[int] = mapped_column(default=0)
    #: most units one member may hold (cancelled ones do not count); 0 = no limit
    per_member_limit: Mapped[int] = mapped_column(default=0)
    #: the lowest tier (by threshold) that may redeem; null = everyone
    tier_required: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(32))
    image_urls: Mapped[list] = mapped_column(JSON, default=list)
    #: the redemption window (a timed flash sale); null = open-ended
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: a gift not picked up within this many days is cancelled and its points returned
    pickup_days: Mapped[int] = mapped_column(default=30)
    #: coupon products only: what the coupon takes off, the order it needs, how long it lasts
    coupon_deduct_fen: Mapped[int | None]
    coupon_min_spend_fen: Mapped[int | None]
    coupon_valid_days: Mapped[int | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: where it can be picked up / redeemed; empty = every store (loaded when used: a
    #: redemption without a store never needs it; lists load it with selectinload)
    stores: Mapped[list[Store]] = relationship(secondary=product_stores, order_by=Store.code)
    #: a store's own product (a gift picked up at that store, which its manager runs, within
    #: HQ's store policy); null = HQ's
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))

    @property
    def store_codes(self) -> list[str]:
        return [s.code for s in self.stores]

    def allows_store(self, store: Store) -> bool:
        return not self.stores or any(s.id == store.id for s in self.stores)


class MemberProductCount(Base):
    """Units of a product a member holds (redeemed, not cancelled): the per-member limit's
    counter. Created once (primary key = the pair), then changed only by guarded UPDATEs."""

    __tablename__ = "mall_member_counts"

    #: no foreign key to mall_products, here and in redemptions and coupons: InnoDB's check
    #: would take a shared lock on the product row, which every buyer then wants exclusively
    #: (the stock decrement) → deadlocks in a flash sale. Products are never deleted.
    product_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    units: Mapped[int] = mapped_column(default=0)


class Redemption(Base):
    __tablename__ = "mall_redemptions"
    __table_args__ = (
        Index("ix_mall_redemptions_member_id_id", "member_id", "id"),
        Index("ix_mall_redemptions_status_pickup", "status", "pickup_expires_at"),
        #: what a store handed over on a day (mall.day_sheet)
        Index("ix_mall_redemptions_fulfilled_store_at", "fulfilled_store_id", "fulfilled_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    #: the product (no foreign key: see MemberProductCount.product_id)
    product_id: Mapped[int] = mapped_column(BigId, index=True)
    #: the product's title and kind when redeemed (the product may change later)
    title: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[int]
    #: points debited in total (points_price × quantity)
    points: Mapped[int]
    #: cash to pay at pickup in total (cash_price_fen × quantity)
    cash_fen: Mapped[int] = mapped_column(default=0)
    #: mall (bought with points) or prize (mall.issuing.award: no points, no product stock)
    origin: Mapped[str] = mapped_column(String(8), default=MALL, server_default=MALL)
    status: Mapped[str] = mapped_column(String(10))
    #: the store the member chose for pickup / redemption; null = any allowed store
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    #: a gift's pickup code, kept for history
    pickup_code: Mapped[str | None] = mapped_column(String(16), index=True)
    #: the pickup code while the gift is pending, null after: unique among open redemptions
    open_pickup_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    #: a pending gift not picked up by then is cancelled by the sweep
    pickup_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the ledger's spend entry (reversed on cancellation)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("points_entries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fulfilled_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    fulfilled_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: "member", "staff" or "system" (the unpicked-gift sweep)
    cancelled_by: Mapped[str | None] = mapped_column(String(8))
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    member: Mapped[Member] = relationship()
    store: Mapped[Store | None] = relationship(foreign_keys=[store_id], lazy="selectin")
    fulfilled_store: Mapped[Store | None] = relationship(foreign_keys=[fulfilled_store_id],
                                                         lazy="selectin")
    coupons: Mapped[list["Coupon"]] = relationship(back_populates="redemption",
                                                   lazy="selectin", order_by="Coupon.id")


class Coupon(Base):
    __tablename__ = "mall_coupons"
    __table_args__ = (Index("ix_mall_coupons_member_id_id", "member_id", "id"),
                      #: what a store wrote off on a day (mall.day_sheet)
                      Index("ix_mall_coupons_used_store_at", "used_store_id", "used_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: what the member shows at the till: 12 random digits, unique
    code: Mapped[str] = mapped_column(String(16), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    redemption_id: Mapped[int] = mapped_column(ForeignKey("mall_redemptions.id"), index=True)
    #: the product (no foreign key: see MemberProductCount.product_id)
    product_id: Mapped[int] = mapped_column(BigId)
    title: Mapped[str] = mapped_column(String(100))
    deduct_fen: Mapped[int]
    min_spend_fen: Mapped[int] = mapped_column(default=0)
    #: unused, used, void ("expired" is shown for an unused coupon past expires_at)
    status: Mapped[str] = mapped_column(String(8), default=UNUSED)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    #: the order it was used on, when the till said
    order_amount_fen: Mapped[int | None]
    member: Mapped[Member] = relationship()
    redemption: Mapped[Redemption] = relationship(back_populates="coupons")
    used_store: Mapped[Store | None] = relationship(lazy="selectin")

    def status_at(self, now: datetime) -> str:
        return "expired" if self.status == UNUSED and self.expires_at <= now else self.status


class MallReminder(Base):
    """One reminder of a gift waiting for pickup or a coupon about to expire: the at-most-once
    record (mall.reminders), as points.reminders keeps for expiring points."""

    __tablename__ = "mall_reminders"
    __table_args__ = (UniqueConstraint("purpose", "subject_id", "template_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: pickup_reminder (subject: a redemption) or coupon_expiring (subject: a coupon)
    purpose: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(BigId)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    template_id: Mapped[str] = mapped_column(String(64))
    #: sending (recorded before the send; never resent) | sent | refused | failed
    status: Mapped[str] = mapped_column(String(8))
    errcode: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
