"""A lottery as draws and members see it: its rules and prize table as a frozen snapshot
(cached per configuration generation: core.config_cache), which prizes can be won now, and
the odds members are shown — computed by the one function a draw picks with.

Published odds = weight / Σ weights of the prizes that can be won now: active, in stock (or
unlimited), and within the lottery's budgets.
"""
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core import config_cache
from core.db import db
from lottery.models import Lottery


@dataclass(frozen=True)
class Prize:
    id: int
    name: str
    kind: str
    weight: int
    points: int | None
    product_id: int | None
    value_fen: int
    limited: bool  #: has a stock (else unlimited)


@dataclass(frozen=True)
class Rules:
    id: int
    name: str
    description: str | None
    cost_points: int
    starts_at: datetime
    ends_at: datetime
    daily_limit: int | None
    total_limit: int | None
    tier_required: str | None
    budget_points: int | None
    budget_fen: int | None
    active: bool
    store_ids: tuple[int, ...]
    store_codes: tuple[str, ...]
    prizes: tuple[Prize, ...]  #: the active lines, in prize-id order


@dataclass(frozen=True)
class Standing:
    """What changes with every win: the prizes sold out, what the budgets have paid."""
    sold_out: frozenset
    awarded_points: int
    awarded_fen: int


def rules(lottery_id: int) -> Rules | None:
    """The lottery's rules and active prize lines (None if there is no such lottery)."""
    return config_cache.cached(f"lottery:{lottery_id}", lambda: _load(lottery_id))


def _load(lottery_id):
    lottery = db.session.scalars(select(Lottery).where(Lottery.id == lottery_id).options(
        selectinload(Lottery.stores), selectinload(Lottery.prizes))).one_or_none()
    if lottery is None:
        return None
    prizes = tuple(Prize(p.id, p.name, p.kind, p.weight, p.points, p.product_id, p.value_fen,
                         p.stock_left is not None)
                   for p in sorted(lottery.prizes, key=lambda p: p.id) if p.active)
    return Rules(lottery.id, lottery.name, lottery.description, lottery.cost_points,
                 lottery.starts_at, lottery.ends_at, lottery.daily_limit, lottery.total_limit,
                 lottery.tier_required, lottery.budget_points, lottery.budget_fen,
                 lottery.active, tuple(s.id for s in lottery.stores),
                 tuple(lottery.store_codes), prizes)


def winnable(lottery: Rules, standing: Standing) -> list[Prize]:
    """The prizes a draw can win now, in prize-id order."""
    points_left = None if lottery.budget_points is None \
        else lottery.budget_points - standing.awarded_points
    fen_left = None if lottery.budget_fen is None else lottery.budget_fen - standing.awarded_fen
    return [p for p in lottery.prizes
            if p.weight > 0 and p.id not in standing.sold_out
            and (points_left is None or (p.points or 0) <= points_left)
            and (fen_left is None or p.value_fen <= fen_left)]


def weights(prizes: list[Prize]) -> list[tuple[int, int]]:
    """(prize id, weight) in prize-id order: what a pick maps its random value onto."""
    return [(p.id, p.weight) for p in prizes]


def odds(prizes: list[Prize]) -> dict[int, Fraction]:
    """Each winnable prize's chance, exactly: its weight over their total weight."""
    total = sum(p.weight for p in prizes)
    return {p.id: Fraction(p.weight, total) for p in prizes}


def sold_out_ids(text: str | None) -> frozenset:
    """The ids of a GROUP_CONCAT of sold-out prize ids (see lottery.drawing.HOLD_READS)."""
    return frozenset(int(i) for i in text.split(",")) if text else frozenset()
