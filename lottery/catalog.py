"""Lotteries as marketers configure them (audited): rules, prize table, prize stock; the draw
log for the console. A new lottery commits the seeds of its first two periods at once."""
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from core import audit, clock
from core.db import db
from core.errors import Conflict, NotFound, ValidationFailed
from core.pagination import paginate
from lottery import seeds
from lottery.models import COUPON, GIFT, NONE, POINTS, Lottery, LotteryDraw, LotteryPrize
from mall.models import Product
from members.lookup import member_by_no
from points.programme import tiers
from stores import service as stores_service

FIELDS = ("name", "description", "cost_points", "starts_at", "ends_at", "daily_limit",
          "total_limit", "tier_required", "budget_points", "budget_fen", "active")
PRIZE_FIELDS = ("id", "name", "kind", "weight", "stock_total", "stock_left", "points",
                "product_id", "value_fen", "active")
#: what a prize line may change once it exists (its kind and stock stay: POST …/stock)
PRIZE_CHANGES = ("name", "weight", "points", "product_id", "value_fen")


def snapshot(lottery: Lottery) -> dict:
    snap = audit.snapshot(lottery, FIELDS)
    snap["store_codes"] = lottery.store_codes
    snap["prizes"] = [audit.snapshot(p, PRIZE_FIELDS) for p in lottery.prizes]
    return snap


def get_lottery(lottery_id: int) -> Lottery:
    lottery = db.session.get(Lottery, lottery_id)
    if lottery is None:
        raise NotFound(f"No lottery {lottery_id}.")
    return lottery


def list_lotteries(limit, cursor, *, active=None):
    stmt = select(Lottery).options(selectinload(Lottery.stores), selectinload(Lottery.prizes))
    if active is not None:
        stmt = stmt.where(Lottery.active.is_(active))
    return paginate(db.session, stmt, Lottery.id, limit=limit, cursor=cursor)


def create_lottery(data: dict) -> Lottery:
    """A new lottery and its prize table; the seeds of its first two periods are committed
    (their SHA-256 published) at once. Audited."""
    now, data = clock.now(), dict(data)
    prizes = data.pop("prizes")
    lottery = Lottery(active=True, awarded_points=0, awarded_fen=0, created_at=now,
                      updated_at=now, prizes=[])
    _apply(lottery, data)
    db.session.add(lottery)
    db.session.flush()
    _set_prizes(lottery, prizes)
    seeds.ensure(lottery.id, seeds.periods(lottery.starts_at, lottery.ends_at, now))
    audit.record("lottery.create", "lottery", lottery.id, after=snapshot(lottery))
    return lottery


def update_lottery(lottery_id: int, changes: dict) -> Lottery:
    """Change what is sent; `prizes`, when sent, is the whole table: a line with an `id`
    changes that line, one without is new, a line left out is taken off (kept for the draws
    that won it). Audited."""
    lottery, changes = get_lottery(lottery_id), dict(changes)
    before = snapshot(lottery)
    prizes = changes.pop("prizes", None)
    _apply(lottery, changes)
    lottery.updated_at = clock.now()
    if prizes is not None:
        _set_prizes(lottery, prizes)
    _check_winnable(lottery)
    db.session.flush()
    seeds.ensure(lottery.id, seeds.periods(lottery.starts_at, lottery.ends_at, clock.now()))
    audit.record("lottery.update", "lottery", lottery.id, before=before, after=snapshot(lottery))
    return lottery


def deactivate(lottery_id: int) -> Lottery:
    """Withdraw a lottery: no more draws; the draws made stand."""
    return update_lottery(lottery_id, {"active": False})


def adjust_prize_stock(lottery_id: int, prize_id: int, delta: int, reason: str) -> LotteryPrize:
    """Add (or, negative, remove) units of a limited prize; never below what is left.
    Audited with the reason."""
    prize = db.session.get(LotteryPrize, prize_id)
    if prize is None or prize.lottery_id != lottery_id:
        raise NotFound(f"No prize {prize_id} in lottery {lottery_id}.")
    if prize.stock_left is None:
        raise Conflict("This prize is unlimited.", code="invalid_state")
    changed = db.session.execute(
        update(LotteryPrize).where(LotteryPrize.id == prize_id,
                                   LotteryPrize.stock_left + delta >= 0)
        .values(stock_left=LotteryPrize.stock_left + delta,
                stock_total=LotteryPrize.stock_total + delta)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(prize)
    if changed == 0:
        raise Conflict(f"Only {prize.stock_left} units are left; cannot remove {-delta}.",
                       code="invalid_state", details={"stock_left": prize.stock_left})
    audit.record("lottery.prize_stock", "lottery_prize", prize_id, reason=reason,
                 before={"stock_left": prize.stock_left - delta},
                 after={"stock_left": prize.stock_left, "delta": delta})
    return prize


def draws_for_console(lottery_id: int, limit, cursor, *, member_no=None, prize_id=None,
                      status=None):
    """The lottery's draw log, newest first (a merged member's number finds the one it joined)."""
    get_lottery(lottery_id)
    stmt = select(LotteryDraw).where(LotteryDraw.lottery_id == lottery_id,
                                     LotteryDraw.status.is_not(None))
    member_id = member_by_no(member_no).id if member_no else None
    for column, value in ((LotteryDraw.member_id, member_id), (LotteryDraw.prize_id, prize_id),
                          (LotteryDraw.status, status)):
        if value is not None:
            stmt = stmt.where(column == value)
    return paginate(db.session, stmt, LotteryDraw.id, limit=limit, cursor=cursor)


# --- applying and checking ----------------------------------------------------------------

def _apply(lottery: Lottery, data: dict) -> None:
    if "store_codes" in data:
        lottery.stores = stores_service.stores_by_codes(data.pop("store_codes"))
    for name, value in data.items():
        setattr(lottery, name, value)
    problems = {}
    if lottery.ends_at <= lottery.starts_at:
        problems["ends_at"] = ["Must be after starts_at."]
    if lottery.tier_required and tiers.tier_by_code(lottery.tier_required) is None:
        problems["tier_required"] = [f"No tier {lottery.tier_required}."]
    if problems:
        raise ValidationFailed(details=problems)


def _set_prizes(lottery: Lottery, lines: list[dict]) -> None:
    existing, kept = {p.id: p for p in lottery.prizes}, set()
    for n, line in enumerate(lines):
        line = dict(line)
        if (prize_id := line.pop("id", None)) is not None:
            prize = existing.get(prize_id)
            if prize is None:
                raise ValidationFailed(details={"prizes": {n: [f"No prize {prize_id} here."]}})
            _change_prize(prize, line, n)
            kept.add(prize_id)
        else:
            prize = _new_prize(lottery, line)
        _check_prize(prize, n)
    for prize_id, prize in existing.items():
        if prize_id not in kept:
            prize.active = False
    db.session.flush()
    _check_winnable(lottery)


def _new_prize(lottery, line) -> LotteryPrize:
    stock = line.pop("stock", None)
    prize = LotteryPrize(lottery_id=lottery.id, stock_total=stock, stock_left=stock, active=True,
                         value_fen=line.pop("value_fen", 0), **line)
    lottery.prizes.append(prize)
    db.session.add(prize)
    return prize


def _change_prize(prize, line, n) -> None:
    if line.get("kind", prize.kind) != prize.kind or \
            ("stock" in line and line["stock"] != prize.stock_total):
        raise ValidationFailed(details={"prizes": {n: [
            "A prize line keeps its kind; change its stock with POST …/prizes/{id}/stock."]}})
    for name in PRIZE_CHANGES:
        if name in line:
            setattr(prize, name, line[name])
    prize.active = True


def _check_prize(prize, n) -> None:
    problem = None
    if prize.kind == POINTS and not prize.points:
        problem = "A points prize needs points."
    elif prize.kind in (COUPON, GIFT):
        product = db.session.get(Product, prize.product_id) if prize.product_id else None
        if product is None or not product.active or product.kind != prize.kind:
            problem = f"A {prize.kind} prize needs an active {prize.kind} product (product_id)."
    if prize.kind in (NONE, GIFT, COUPON) and prize.points:
        problem = "Only a points prize has points."
    if prize.kind in (NONE, POINTS) and prize.product_id:
        problem = "Only a coupon or gift prize has a product."
    if problem:
        raise ValidationFailed(details={"prizes": {n: [problem]}})


def _check_winnable(lottery) -> None:
    if not any(p.active and (p.stock_left is None or p.stock_left > 0) for p in lottery.prizes):
        raise ValidationFailed(details={"prizes": ["At least one prize must be in stock."]})
