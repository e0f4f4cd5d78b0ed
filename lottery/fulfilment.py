"""Handing a prize over, inside the draw's transaction (a failure rolls the whole draw back):
points through the ledger; a coupon or gift as a mall redemption of origin `prize`
(mall.issuing.award) — the coupon is written off at the till like any coupon, the gift's
pickup code verified like any gift. A prize gift cancelled or expired before pickup goes back
to the prize's stock (and budget); the draw's points do not come back."""
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from core import events
from core.db import db
from core.errors import Conflict
from lottery.models import CANCELLED, COUPON, GIFT, POINTS, WON, Lottery, LotteryDraw, LotteryPrize
from mall import catalog, issuing
from mall.models import PRIZE, Redemption
from points import ledger

_draws, _prizes, _lotteries = LotteryDraw.__table__, LotteryPrize.__table__, Lottery.__table__


@dataclass
class Won:
    """What a prize became: a ledger entry (points) or a redemption (coupon, gift)."""
    entry_id: int | None = None
    redemption: Redemption | None = None

    @property
    def redemption_id(self):
        return self.redemption.id if self.redemption else None

    def attach(self, row: LotteryDraw) -> None:
        set_committed_value(row, "redemption", self.redemption)


def fulfil(prize, row: LotteryDraw, held: ledger.Held, store, now) -> Won:
    """Award `prize` (a prize_table.Prize) to the draw's member, whose account `held` is."""
    if prize.kind == POINTS:
        entry = ledger.credit(row.member_id, prize.points, kind="prize",
                              key=f"lottery-draw:{row.id}:prize", ref=("lottery_draw", row.id),
                              held=held, new_key=True)
        return Won(entry_id=entry.id)
    if prize.kind in (COUPON, GIFT):
        product = _product(prize)
        return Won(redemption=issuing.award(row.member_id, product, store=store, now=now))
    return Won()


def _product(prize) -> catalog.ProductRules:
    product = catalog.product_rules(prize.product_id)
    if product is None or not product.active or product.kind != prize.kind:
        raise Conflict(f"The prize {prize.name} cannot be handed out now; nothing was drawn.",
                       code="invalid_state", details={"prize_id": prize.id})
    return product


_cancel_draw = (update(_draws).where(_draws.c.id == bindparam("draw"), _draws.c.status == WON)
                .values(status=CANCELLED))
_return_stock = (update(_prizes).where(_prizes.c.id == bindparam("prize"),
                                       _prizes.c.stock_left.is_not(None))
                 .values(stock_left=_prizes.c.stock_left + 1))
_return_value = (update(_lotteries).where(_lotteries.c.id == bindparam("lottery"),
                                          _lotteries.c.budget_fen.is_not(None),
                                          _lotteries.c.awarded_fen >= bindparam("fen"))
                 .values(awarded_fen=_lotteries.c.awarded_fen - bindparam("fen")))


@events.subscribe("redemption.cancelled")
def on_prize_cancelled(redemption) -> None:
    """A prize gift not picked up (cancelled by the member or staff, or expired): the draw
    says so, and the unit goes back to the prize's stock and its value to the budget, once.
    Locks after the redemption row (mall.cancellation): the draw, the prize, the lottery."""
    if redemption.origin != PRIZE:
        return
    row = db.session.execute(select(_draws.c.id, _draws.c.prize_id, _draws.c.lottery_id)
                             .where(_draws.c.redemption_id == redemption.id)).first()
    if row is None or db.session.execute(_cancel_draw, {"draw": row.id}).rowcount != 1:
        return
    db.session.execute(_return_stock, {"prize": row.prize_id})
    value = db.session.scalar(select(_prizes.c.value_fen).where(_prizes.c.id == row.prize_id))
    if value:
        db.session.execute(_return_value, {"lottery": row.lottery_id, "fen": value})
    if (loaded := db.session.get(LotteryDraw, row.id)) is not None:
        db.session.expire(loaded, ["status"])
