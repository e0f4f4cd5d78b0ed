"""What members see: the lotteries they may draw in (prizes with the odds a draw uses now,
their draws left, the seed commitments), their own draws, and a masked winners' ticker."""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from core import clock
from core.db import db
from core.errors import NotFound
from core.pagination import paginate
from lottery import drawing, prize_table, seeds
from lottery.models import NONE, WON, Lottery, LotteryDraw, LotteryMemberCount, LotteryPrize
from members.masking import mask_member_no
from members.models import Member


@dataclass
class PrizeView:
    id: int
    name: str
    kind: str
    points: int | None
    weight: int
    odds: float
    odds_fraction: str


@dataclass
class LotteryView:
    rules: prize_table.Rules
    prizes: list[PrizeView]
    total_weight: int
    draws_left_today: int | None
    draws_left_total: int | None
    seed_commitment: str | None
    next_seed_commitment: str | None


def visible_lotteries(member, store_code=None) -> list[LotteryView]:
    """Running lotteries the member's tier reaches (with a store: those drawn there), newest
    first."""
    now = clock.now()
    ids = db.session.scalars(select(Lottery.id).where(
        Lottery.active.is_(True), Lottery.starts_at <= now, Lottery.ends_at > now)
        .order_by(Lottery.id.desc())).all()
    found = [r for r in map(prize_table.rules, ids) if r is not None
             and drawing.tiers_allow(member.tier_code, r.tier_required)]
    if store_code:
        found = [r for r in found if not r.store_codes or store_code in r.store_codes]
    return _views(member, found, now)


def visible_lottery(member, lottery_id: int) -> LotteryView:
    """One lottery, whatever its window (a link to one not started yet shows its commitment);
    404 if unknown or withdrawn."""
    rules = prize_table.rules(lottery_id)
    if rules is None or not rules.active:
        raise NotFound(f"No lottery {lottery_id}.")
    return _views(member, [rules], clock.now())[0]


def _views(member, found, now) -> list[LotteryView]:
    ids, day = [r.id for r in found], clock.business_date(now)
    standing, counts = _standing(ids), _counts(member.id, ids)
    return [_view(rules, standing[rules.id], counts.get(rules.id, (None, 0, 0)), day)
            for rules in found]


def _view(rules, standing, count, day) -> LotteryView:
    winnable = prize_table.winnable(rules, standing)
    odds = prize_table.odds(winnable) if winnable else {}
    counted_day, today, total = count
    today = today if counted_day == day else 0
    period = max(day, clock.business_date(rules.starts_at))  # today's, or the first one's
    left_total = None if rules.total_limit is None else max(rules.total_limit - total, 0)
    left_today = None if rules.daily_limit is None else max(rules.daily_limit - today, 0)
    if left_total is not None and (left_today is None or left_total < left_today):
        left_today = left_total
    return LotteryView(
        rules, [PrizeView(p.id, p.name, p.kind, p.points, p.weight, float(odds[p.id]),
                          f"{odds[p.id].numerator}/{odds[p.id].denominator}") for p in winnable],
        sum(p.weight for p in winnable), left_today, left_total,
        seeds.commitment(rules.id, period), seeds.commitment(rules.id, period + timedelta(days=1)))


def _standing(ids) -> dict[int, prize_table.Standing]:
    """Each lottery's prizes sold out and budgets paid: two queries for all of them."""
    sold_out = db.session.execute(select(LotteryPrize.lottery_id, LotteryPrize.id).where(
        LotteryPrize.lottery_id.in_(ids), LotteryPrize.stock_left <= 0)).all()
    paid = dict((i, (p, f)) for i, p, f in db.session.execute(
        select(Lottery.id, Lottery.awarded_points, Lottery.awarded_fen)
        .where(Lottery.id.in_(ids))).all())
    return {i: prize_table.Standing(frozenset(p for lid, p in sold_out if lid == i),
                                    *paid.get(i, (0, 0))) for i in ids}


def _counts(member_id, ids) -> dict[int, tuple]:
    rows = db.session.execute(select(LotteryMemberCount.lottery_id, LotteryMemberCount.day,
                                     LotteryMemberCount.today, LotteryMemberCount.total)
                              .where(LotteryMemberCount.member_id == member_id,
                                     LotteryMemberCount.lottery_id.in_(ids))).all()
    return {lottery_id: (day, today, total) for lottery_id, day, today, total in rows}


def my_draws(member_id: int, limit, cursor, lottery_id=None):
    """The member's draws, newest first."""
    stmt = select(LotteryDraw).where(LotteryDraw.member_id == member_id,
                                     LotteryDraw.status.is_not(None))
    if lottery_id is not None:
        stmt = stmt.where(LotteryDraw.lottery_id == lottery_id)
    return paginate(db.session, stmt, LotteryDraw.id, limit=limit, cursor=cursor)


@dataclass
class Winner:
    member: str
    prize_name: str
    prize_kind: str
    created_at: object


def winners(lottery_id: int, limit: int = 20) -> list[Winner]:
    """The latest prizes won (not 谢谢参与), the winners masked: 张** or 90****1234."""
    if prize_table.rules(lottery_id) is None:
        raise NotFound(f"No lottery {lottery_id}.")
    rows = db.session.execute(
        select(Member.nickname, Member.member_no, LotteryDraw.prize_name, LotteryDraw.prize_kind,
               LotteryDraw.created_at)
        .join(Member, Member.id == LotteryDraw.member_id)
        .where(LotteryDraw.lottery_id == lottery_id, LotteryDraw.status == WON,
               LotteryDraw.prize_kind != NONE)
        .order_by(LotteryDraw.id.desc()).limit(limit)).all()
    return [Winner(mask_name(nickname) if nickname else mask_member_no(member_no), name, kind,
                   created_at) for nickname, member_no, name, kind, created_at in rows]


def mask_name(nickname: str) -> str:
    return nickname[0] + "**"
