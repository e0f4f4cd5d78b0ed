from datetime import datetime

from sqlalchemy import Boolean, Column, Double, ForeignKey, LargeBinary, String, Table, true
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from core.config_cache import cached_model
from core.db import Base, BigId, UTCDateTime

HQ_ADMIN, MARKETER, STORE_MANAGER, CASHIER = "hq_admin", "marketer", "store_manager", "cashier"
ROLES = (HQ_ADMIN, MARKETER, STORE_MANAGER, CASHIER)
#: who configures the programme: earn rules, promotions, tasks, the mall, templates
MARKETING = (HQ_ADMIN, MARKETER)
#: who may correct a member's balance by hand (with a reason; audited)
ADJUSTERS = (HQ_ADMIN, STORE_MANAGER)
#: roles that act for the whole group rather than for their own stores
HQ_ROLES = ("hq_admin", "marketer")

staff_stores = Table(
    "staff_stores", Base.metadata,
    Column("staff_id", BigId, ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    Column("store_id", BigId, ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True),
)


@cached_model
class Store(Base):
    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    brand: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    address: Mapped[str | None] = mapped_column(String(200))
    #: GCJ-02 (what WeChat's map and wx.openLocation use), degrees
    latitude: Mapped[float | None] = mapped_column(Double)
    longitude: Mapped[float | None] = mapped_column(Double)
    #: opening hours as shown, e.g. "周一至周日 10:00-22:00"
    hours: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    #: whether mall gifts can be picked up here
    pickup: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: bumped on password change or deactivation, so older tokens stop working
    token_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stores: Mapped[list[Store]] = relationship(secondary=staff_stores, lazy="selectin",
                                               order_by=Store.code)

    @classmethod
    def load_options(cls) -> tuple:
        """How core.auth reads the account at every staff request: with its stores, in one
        query (they decide what the staff member may do)."""
        return (joinedload(cls.stores),)

    @property
    def is_hq(self) -> bool:
        return self.role in HQ_ROLES

    @property
    def store_codes(self) -> list[str]:
        return [s.code for s in self.stores]

    def may_act_for(self, store: Store) -> bool:
        return self.is_hq or any(s.id == store.id for s in self.stores)


@cached_model
class ApiKey(Base):
    """A POS key: the secret is stored encrypted (HMAC needs it) and shown only at creation."""

    __tablename__ = "pos_api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(40), unique=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary(512))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    store: Mapped[Store] = relationship(lazy="joined")
