"""Drawing, in the caller's one transaction: the limits, the points debit, the pick, the prize's
stock and budget, the fulfilment and the record — all of it, or (on any failure, a failed
fulfilment too) none of it.

LOCK ORDER (the mall's, extended), so draws, redemptions and cancellations never deadlock:

    points account → (the ledger's lots) → the member's draw counter → the prize's stock row
    → the lottery's budget row → new rows (the draw, a redemption and coupons, a lot)

- The account is held first (points.ledger.hold_account): the one statement that takes the
  lock also reads the member's tier, their draw counter, the prizes sold out and what the
  budgets have paid (HOLD_READS), so everything refused is refused before anything is written.
- The counter is bumped by a guarded UPDATE (created once, by its primary key): the daily
  and total limits hold without a count-then-insert, also across Galera nodes.
- The prize is picked among those in stock; its stock (and the budget) is taken by a guarded
  UPDATE. A prize that ran out since is recorded as such, and the draw picks again among the
  prizes still in stock — never a silent "thanks for playing", never an error after the
  points are gone (with nothing left to win, the whole draw rolls back: 409 out_of_stock).
"""
from dataclasses import dataclass

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.exc import IntegrityError

from core import clock
from core.db import db, insert_row, insert_values, mark_written
from core.errors import Conflict, NotFound, ValidationFailed
from core.idempotency import KeyUsed
from lottery import fairness, fulfilment, prize_table, seeds
from lottery.models import LOST, NONE, WON, Lottery, LotteryDraw, LotteryMemberCount, LotteryPrize
from members.lookup import check_current
from points import ledger
from points.ledger.models import PointsAccount
from points.programme import tiers
from stores.models import Store

_counts, _prizes, _lotteries = (LotteryMemberCount.__table__, LotteryPrize.__table__,
                                Lottery.__table__)
_draws = LotteryDraw.__table__
NO_LIMIT = 2**31 - 1


#: a read not about the member, tied to the account row all the same: a subquery that is not
#: correlated is evaluated while the statement is optimised, before the lock wait, and with it
#: the statement's snapshot is taken — every other read would be as of then too
_after_lock = PointsAccount.member_id.is_not(None)


def _of_count(column):
    """Correlated with the account row: read after its lock is granted (hold_account)."""
    return (select(column).where(_counts.c.lottery_id == bindparam("lottery_id"),
                                 _counts.c.member_id == PointsAccount.member_id)
            .scalar_subquery())


def _of_lottery(column):
    return (select(column).where(_lotteries.c.id == bindparam("lottery_id"), _after_lock)
            .scalar_subquery())


#: what a draw decides on besides the balance and tier, read with the account's lock by the
#: statement that takes it (built once), every read correlated with the account row: read
#: after the lock is granted, so a draw sees what the member's previous draw committed
HOLD_READS = (
    _of_count(_counts.c.day).label("count_day"),
    _of_count(_counts.c.today).label("count_today"),
    _of_count(_counts.c.total).label("count_total"),
    select(func.group_concat(_prizes.c.id))
    .where(_prizes.c.lottery_id == bindparam("lottery_id"), _prizes.c.stock_left <= 0,
           _after_lock)
    .scalar_subquery().label("sold_out"),
    _of_lottery(_lotteries.c.awarded_points).label("awarded_points"),
    _of_lottery(_lotteries.c.awarded_fen).label("awarded_fen"),
    ledger.member_read("status"),
)

#: the member's counters: the day's count restarts on a new day; both limits guard the UPDATE
#: (MySQL assigns left to right: `today` is computed from the old `day`)
_count = (update(_counts)
          .where(_counts.c.lottery_id == bindparam("lottery"),
                 _counts.c.member_id == bindparam("member"),
                 _counts.c.total < bindparam("total_limit"),
                 (_counts.c.day != bindparam("on_day"))
                 | (_counts.c.today < bindparam("daily_limit")))
          .ordered_values((_counts.c.today, case((_counts.c.day == bindparam("on_day"),
                                                  _counts.c.today + 1), else_=1)),
                          (_counts.c.day, bindparam("on_day")),
                          (_counts.c.total, _counts.c.total + 1)))
_take_stock = (update(_prizes).where(_prizes.c.id == bindparam("prize"),
                                     _prizes.c.stock_left >= 1)
               .values(stock_left=_prizes.c.stock_left - 1))
_give_stock = (update(_prizes).where(_prizes.c.id == bindparam("prize"))
               .values(stock_left=_prizes.c.stock_left + 1))
_take_budget = (update(_lotteries).where(
    _lotteries.c.id == bindparam("lottery"),
    (_lotteries.c.budget_points.is_(None)) | (_lotteries.c.awarded_points + bindparam("points")
                                              <= _lotteries.c.budget_points),
    (_lotteries.c.budget_fen.is_(None)) | (_lotteries.c.awarded_fen + bindparam("fen")
                                           <= _lotteries.c.budget_fen))
    .values(awarded_points=_lotteries.c.awarded_points + bindparam("points"),
            awarded_fen=_lotteries.c.awarded_fen + bindparam("fen")))


class OutOfStock(Conflict):
    code, message = "out_of_stock", "Nothing is left to win in this lottery."


class LimitExceeded(Conflict):
    code, message = "limit_exceeded", "You have drawn as often as this lottery allows."


class DuplicateDraw(KeyUsed):
    message = "A draw with this Idempotency-Key is in progress."


@dataclass
class Drawn:
    """A draw as its response shows it: the record, and the member's balance after it."""
    draw: LotteryDraw
    balance: int


def draw(member, lottery_id: int, key: str, store_code: str | None = None) -> Drawn:
    """Draw once for the member, paying the lottery's cost: 409 invalid_state (not running,
    store, tier), limit_exceeded, insufficient_points, out_of_stock (nothing left to win), in
    the caller's transaction. `key` is the request's Idempotency-Key (part of the random input;
    unique per member and lottery)."""
    lottery, now = open_lottery(lottery_id), clock.now()
    store, day = _drawing_store(lottery, store_code), clock.business_date(now)
    held = ledger.hold_account(member.id, now, reads=HOLD_READS, params={"lottery_id": lottery.id})
    prizes = _checked(held, lottery, day)
    _bump_count(lottery, member.id, day, held.reads["count_day"] is not None)
    seed = seeds.for_draw(lottery.id, day)
    row = _open(lottery, member.id, day, seed.id, key, store, now)
    entry = ledger.debit(member.id, lottery.cost_points, kind="draw", key=f"lottery-draw:{row.id}",
                         store_id=row.store_id, ref=("lottery_draw", row.id), held=held,
                         new_key=True)
    prize, picks = _pick_and_take(lottery, prizes, seed.seed,
                                  fairness.draw_input(row.id, member.id, key))
    won = fulfilment.fulfil(prize, row, held, store, now)
    _close(row, prize, picks, entry.id, won)
    return Drawn(row, held.balance)


def open_lottery(lottery_id: int) -> prize_table.Rules:
    """The lottery's rules while one may draw: 404 if unknown or withdrawn, 409 invalid_state
    outside its window."""
    lottery, now = prize_table.rules(lottery_id), clock.now()
    if lottery is None or not lottery.active:
        raise NotFound(f"No lottery {lottery_id}.")
    if now < lottery.starts_at:
        raise Conflict("This lottery has not started yet.", code="invalid_state",
                       details={"starts_at": lottery.starts_at.isoformat()})
    if now >= lottery.ends_at:
        raise Conflict("This lottery has ended.", code="invalid_state",
                       details={"ends_at": lottery.ends_at.isoformat()})
    return lottery


def standing(reads: dict) -> prize_table.Standing:
    return prize_table.Standing(prize_table.sold_out_ids(reads["sold_out"]),
                                reads["awarded_points"] or 0, reads["awarded_fen"] or 0)


# --- checks ---------------------------------------------------------------------------------

def _checked(held, lottery, day) -> list[prize_table.Prize]:
    """Everything refused before anything is written, on what the account's hold read: the
    caller, tier, limits, something left to win, the balance. Returns the winnable prizes."""
    check_current(held.reads["member_status"])
    _check_tier(held.tier_code, lottery)
    _check_limits(held.reads, lottery, day)
    prizes = prize_table.winnable(lottery, standing(held.reads))
    if not prizes:
        raise OutOfStock()
    if held.balance < lottery.cost_points:
        raise ledger.InsufficientPoints(
            f"A draw costs {lottery.cost_points} points; the balance is {held.balance}.",
            details={"balance": held.balance, "needed": lottery.cost_points})
    return prizes


def _drawing_store(lottery, store_code):
    if not lottery.store_ids and not store_code:
        return None
    store = None
    if store_code:
        store = db.session.scalars(select(Store).filter_by(code=store_code)).first()
        if store is None:
            raise ValidationFailed(details={"store_code": [f"No store {store_code}."]})
    if lottery.store_ids and (store is None or not store.active
                              or store.id not in lottery.store_ids):
        raise Conflict("This lottery is drawn only at its stores.", code="invalid_state",
                       details={"store_codes": list(lottery.store_codes)})
    return store


def _check_tier(tier_code, lottery) -> None:
    if not tiers_allow(tier_code, lottery.tier_required):
        raise Conflict("This lottery needs a higher tier.", code="invalid_state",
                       details={"tier_required": lottery.tier_required, "tier": tier_code})


def tiers_allow(tier_code, tier_required) -> bool:
    """Whether a member of `tier_code` reaches `tier_required` (null: everyone does)."""
    if not tier_required:
        return True
    required, mine = tiers.tier_by_code(tier_required), tiers.tier_by_code(tier_code)
    return required is None or (mine is not None
                                and mine.threshold_points >= required.threshold_points)


def draws_made(reads: dict, day) -> tuple[int, int]:
    """(draws today, draws in total) by the member's counter."""
    today = reads["count_today"] if reads["count_day"] == day else 0
    return today or 0, reads["count_total"] or 0


def _check_limits(reads, lottery, day) -> None:
    today, total = draws_made(reads, day)
    if lottery.daily_limit is not None and today >= lottery.daily_limit:
        raise LimitExceeded("You have drawn as often as this lottery allows today.",
                            details={"daily_limit": lottery.daily_limit, "today": today})
    if lottery.total_limit is not None and total >= lottery.total_limit:
        raise LimitExceeded(details={"total_limit": lottery.total_limit, "total": total})


# --- the writes, in lock order ----------------------------------------------------------------

def _bump_count(lottery, member_id, day, exists: bool) -> None:
    """Count the draw against the member's limits: the guarded UPDATE decides (0 rows: over a
    limit); the row is created on the member's first draw, once (its primary key)."""
    params = {"lottery": lottery.id, "member": member_id, "on_day": day,
              "daily_limit": lottery.daily_limit or NO_LIMIT,
              "total_limit": lottery.total_limit or NO_LIMIT}
    if not exists:
        try:
            insert_values(_counts, {"lottery_id": lottery.id, "member_id": member_id, "day": day,
                                    "today": 1, "total": 1})
            return
        except IntegrityError:  # made meanwhile (only another node can: the account is held)
            pass
    if db.session.execute(_count, params).rowcount != 1:
        raise LimitExceeded()


def _open(lottery, member_id, day, seed_id, key, store, now) -> LotteryDraw:
    row = LotteryDraw(lottery_id=lottery.id, member_id=member_id, period=day, seed_id=seed_id,
                      idempotency_key=key, status=None, prize_id=None, prize_name=None,
                      prize_kind=None, points_spent=lottery.cost_points, points_won=None,
                      picks=None, redrawn=False, store_id=store.id if store else None,
                      entry_id=None, prize_entry_id=None, redemption_id=None, created_at=now)
    try:
        return insert_row(row)
    except IntegrityError:  # the same key, drawn by a request that got past the Redis lock
        raise DuplicateDraw() from None


def _pick_and_take(lottery, prizes, seed: bytes, draw_input: str):
    """(the prize taken, every pick made): pick among `prizes`; one that ran out since is
    dropped and the draw picks again among the rest."""
    picks, by_id = [], {p.id: p for p in prizes}
    while by_id:
        weights = prize_table.weights(list(by_id.values()))
        value, prize_id = fairness.pick(seed, fairness.pick_message(draw_input, len(picks)),
                                        weights)
        taken = _take(lottery, by_id[prize_id])
        picks.append({"weights": [list(w) for w in weights], "value": value,
                      "prize_id": prize_id, "taken": taken})
        if taken:
            return by_id[prize_id], picks
        del by_id[prize_id]
    raise OutOfStock(details={"picks": len(picks)})


def _take(lottery, prize) -> bool:
    """One unit of the prize's stock, then its points and value from the budgets: guarded
    UPDATEs. False when either is spent (a stock taken is given back)."""
    if prize.limited and db.session.execute(_take_stock, {"prize": prize.id}).rowcount != 1:
        return False
    cost = {"points": prize.points or 0, "fen": prize.value_fen}
    if (lottery.budget_points is not None and cost["points"]) or \
            (lottery.budget_fen is not None and cost["fen"]):
        if db.session.execute(_take_budget, {"lottery": lottery.id, **cost}).rowcount != 1:
            if prize.limited:
                db.session.execute(_give_stock, {"prize": prize.id})
            return False
    return True


_CLOSING = ("status", "prize_id", "prize_name", "prize_kind", "points_won", "picks", "redrawn",
            "entry_id", "prize_entry_id", "redemption_id")
_close_draw = (update(_draws).where(_draws.c.id == bindparam("draw"))
               .values(**{name: bindparam(f"new_{name}") for name in _CLOSING}))


def _close(row, prize, picks, entry_id, won: fulfilment.Won) -> None:
    values = dict(status=LOST if prize.kind == NONE else WON, prize_id=prize.id,
                  prize_name=prize.name, prize_kind=prize.kind, points_won=prize.points,
                  picks=picks, redrawn=len(picks) > 1, entry_id=entry_id,
                  prize_entry_id=won.entry_id, redemption_id=won.redemption_id)
    db.session.execute(_close_draw, {"draw": row.id, **{f"new_{k}": v for k, v in values.items()}})
    mark_written(row, **values)
    won.attach(row)
