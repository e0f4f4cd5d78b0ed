"""The lottery's tables: lotteries and their prize tables, one committed seed per period,
per-member draw counters, and the draws.

Prize stock (`lottery_prizes.stock_left`), the budgets (`lotteries.awarded_*`) and the
counters change only by guarded UPDATEs (lottery.drawing). As in the mall, no foreign key
points at a lottery or prize row from the rows a draw writes: InnoDB's check would share-lock
the row that concurrent winners update.
"""
from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, Column, Date, ForeignKey, Index, LargeBinary, String,
                        Table, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.config_cache import cached_model
from core.db import Base, BigId, UTCDateTime
from mall.models import Redemption
from stores.models import Store

POINTS, COUPON, GIFT, NONE = "points", "coupon", "gift", "none"
PRIZE_KINDS = (POINTS, COUPON, GIFT, NONE)

#: a draw won a prize, won nothing ("none", 谢谢参与), or its gift was cancelled or expired
#: unpicked (the prize went back to the stock; the draw's points do not come back)
WON, LOST, CANCELLED = "won", "lost", "cancelled"
DRAW_STATUSES = (WON, LOST, CANCELLED)

lottery_stores = Table(
    "lottery_stores", Base.metadata,
    Column("lottery_id", BigId, ForeignKey("lotteries.id", ondelete="CASCADE"), primary_key=True),
    Column("store_id", BigId, ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True),
)


@cached_model
class Lottery(Base):
    __tablename__ = "lotteries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    #: points debited per draw
    cost_points: Mapped[int]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: draws per member per business day / in total; null = no limit
    daily_limit: Mapped[int | None]
    total_limit: Mapped[int | None]
    #: the lowest tier (by threshold) that may draw; null = everyone
    tier_required: Mapped[str | None] = mapped_column(String(16))
    #: points the points prizes may award in total / value (fen) the prizes may award; null =
    #: no budget. The awarded_* sums grow only by guarded UPDATEs, so winners never overspend
    budget_points: Mapped[int | None]
    budget_fen: Mapped[int | None]
    awarded_points: Mapped[int] = mapped_column(default=0)
    awarded_fen: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: where one may draw (the draw names its store); empty = anywhere
    stores: Mapped[list[Store]] = relationship(secondary=lottery_stores, order_by=Store.code)
    prizes: Mapped[list["LotteryPrize"]] = relationship(
        order_by="LotteryPrize.id", primaryjoin="Lottery.id == foreign(LotteryPrize.lottery_id)")

    @property
    def store_codes(self) -> list[str]:
        return [s.code for s in self.stores]


@cached_model
class LotteryPrize(Base):
    """One line of a prize table. A line taken off the table stays (inactive) for the draws
    that won it; its odds are then 0."""

    __tablename__ = "lottery_prizes"
    __table_args__ = (Index("ix_lottery_prizes_lottery_id_id", "lottery_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: no foreign key: see the module doc
    lottery_id: Mapped[int] = mapped_column(BigId)
    name: Mapped[str] = mapped_column(String(64))
    #: points (n points credited), coupon / gift (a mall product, issued as the mall does),
    #: none (谢谢参与)
    kind: Mapped[str] = mapped_column(String(8))
    #: the prize's share of the odds among the prizes in stock
    weight: Mapped[int]
    #: units ever put in the table / still to win; null = unlimited. stock_left is THE stock,
    #: changed only by guarded UPDATEs
    stock_total: Mapped[int | None]
    stock_left: Mapped[int | None]
    #: a points prize's points
    points: Mapped[int | None]
    #: a coupon or gift prize's mall product (no foreign key: products are never deleted)
    product_id: Mapped[int | None] = mapped_column(BigId)
    #: what one unit costs, counted against the lottery's budget_fen
    value_fen: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class LotterySeed(Base):
    """The secret behind one period's draws (a business day): its SHA-256 is published before
    the period starts, the seed itself once it has ended."""

    __tablename__ = "lottery_seeds"
    __table_args__ = (UniqueConstraint("lottery_id", "period"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lottery_id: Mapped[int] = mapped_column(BigId)
    #: the business day whose draws use this seed
    period: Mapped[date] = mapped_column(Date)
    #: hex SHA-256 of the seed's 32 bytes: the commitment
    commitment: Mapped[str] = mapped_column(String(64))
    #: the seed, encrypted like POS secrets (core.auth.encrypt_secret)
    seed_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    #: the seed in hex, written once the period is over (lottery.seeds.reveal_ended)
    revealed_seed: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LotteryMemberCount(Base):
    """A member's draws in a lottery: in total, and on `day` (the business day of their latest
    draw). Created once (primary key = the pair), then changed only by a guarded UPDATE."""

    __tablename__ = "lottery_member_counts"

    lottery_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    today: Mapped[int]
    total: Mapped[int]


class LotteryDraw(Base):
    __tablename__ = "lottery_draws"
    __table_args__ = (
        #: one draw per Idempotency-Key of a member in a lottery, whatever Redis says
        UniqueConstraint("lottery_id", "member_id", "idempotency_key"),
        Index("ix_lottery_draws_member_id_id", "member_id", "id"),
        Index("ix_lottery_draws_lottery_id_id", "lottery_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: no foreign keys to the lottery or its prizes: see the module doc
    lottery_id: Mapped[int] = mapped_column(BigId)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    #: the business day the draw belongs to, and that day's seed
    period: Mapped[date] = mapped_column(Date)
    seed_id: Mapped[int] = mapped_column(BigId)
    #: the request's Idempotency-Key: part of the random input
    idempotency_key: Mapped[str] = mapped_column(String(128))
    #: won, lost, cancelled (null only inside the drawing transaction)
    status: Mapped[str | None] = mapped_column(String(10))
    prize_id: Mapped[int | None] = mapped_column(BigId)
    #: the prize as won (the table may change later)
    prize_name: Mapped[str | None] = mapped_column(String(64))
    prize_kind: Mapped[str | None] = mapped_column(String(8))
    points_spent: Mapped[int]
    points_won: Mapped[int | None]
    #: every pick, in order: [{"weights": [[prize id, weight], ...], "value": n, "prize_id":
    #: id, "taken": bool}] — a pick whose prize had just run out is followed by another among
    #: the prizes still in stock (`redrawn`)
    picks: Mapped[list | None] = mapped_column(JSON)
    redrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    #: where the member drew (a lottery limited to stores); null = online
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    #: the ledger's entries: the draw's debit, a points prize's credit
    entry_id: Mapped[int | None] = mapped_column(BigId)
    prize_entry_id: Mapped[int | None] = mapped_column(BigId)
    #: a coupon or gift prize: the mall redemption (origin prize) that holds it
    redemption_id: Mapped[int | None] = mapped_column(ForeignKey("mall_redemptions.id"),
                                                      index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    redemption: Mapped[Redemption | None] = relationship(lazy="selectin")
