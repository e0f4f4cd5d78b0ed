"""Each store's monthly points budget, spent by its campaigns' extra points with a guarded
UPDATE: two orders never both take the last room, on any engine or node (no read first).

LOCK ORDER: the member's points account, then the store's budget row (orders and visits
alike), so two members' orders at one store queue on the budget row without a cycle."""
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from core import clock, config_cache
from core.db import db
from points.campaigns.models import StoreBudgetMonth

_budget = StoreBudgetMonth.__table__
_spend = (update(_budget).where(_budget.c.store_id == bindparam("store"),
                                _budget.c.month == bindparam("m"),
                                _budget.c.spent_points + bindparam("points") <= bindparam("budget"))
          .values(spent_points=_budget.c.spent_points + bindparam("points")))
_give_back = (update(_budget).where(_budget.c.store_id == bindparam("store"),
                                    _budget.c.month == bindparam("m"))
              .values(spent_points=_budget.c.spent_points - bindparam("points")))
_open = insert(_budget)


def month_of(moment: datetime) -> str:
    return moment.astimezone(clock.business_tz()).strftime("%Y-%m")


def spend(store_id: int, points: int, budget: int, now: datetime) -> bool:
    """Take `points` of the store's budget for this month (at most `budget` in all): True,
    or False and nothing taken when there is no room. One statement once the month has begun;
    none for a while once this process has seen the budget too full for this many points."""
    month = month_of(now)
    full = config_cache.cached("store_budget_full", dict)  # dropped within a minute, and on
    if points >= full.get((store_id, month, budget), points + 1):  # any configuration change
        return False
    params = {"store": store_id, "m": month, "points": points, "budget": budget}
    if db.session.execute(_spend, params).rowcount:
        return True
    if points <= budget:
        try:  # the month's first spending opens its row; a failed INSERT undoes only itself
            db.session.execute(_open, {"store_id": store_id, "month": month, "spent_points": points})
            return True
        except IntegrityError:  # the row is there (opened meanwhile, or full): the guard again
            if db.session.execute(_spend, params).rowcount:
                return True
    key = (store_id, month, budget)
    full[key] = min(points, full.get(key, points))
    return False


def give_back(store_id: int, points: int, now: datetime) -> None:
    """Return points taken by spend() in this transaction (an order that turned out a replay)."""
    db.session.execute(_give_back, {"store": store_id, "m": month_of(now), "points": points})


def spent(month: str, store_ids=None) -> dict[int, int]:
    """store id → points spent in the month."""
    query = select(_budget.c.store_id, _budget.c.spent_points).where(_budget.c.month == month)
    if store_ids is not None:
        query = query.where(_budget.c.store_id.in_(list(store_ids)))
    return dict(db.session.execute(query).all())
