"""Each store's monthly points budget, spent by its campaigns' extra points with a guarded
UPDATE: two orders never both take the last room, on any engine or node (no read first).

LOCK ORDER: the member's points account, then the store's budget row (orders and visits
alike), so two members' orders at one store queue on the budget row without a cycle. An
order spends as its last statement (the row is held only until the commit right after); when
that finds no room, the order is run again without the campaign: `may_spend` then says no,
from what this process learnt (kept outside the transaction, for up to a minute)."""
import threading
import time
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from flask import current_app

from core import clock
from core.db import db
from points.campaigns.models import StoreBudgetMonth

_budget = StoreBudgetMonth.__table__
_spend = (update(_budget).where(_budget.c.store_id == bindparam("store"),
                                _budget.c.month == bindparam("m"),
                                _budget.c.spent_points + bindparam("points") <= bindparam("budget"))
          .values(spent_points=_budget.c.spent_points + bindparam("points")))
_open = insert(_budget)


def month_of(moment: datetime) -> str:
    return moment.astimezone(clock.business_tz()).strftime("%Y-%m")


#: how long this process remembers a budget as too full for some points
FULL_SECONDS = 60
_lock = threading.Lock()


def _full() -> dict:
    """(store id, month, budget) → (fewest points refused, when): this app's, this process's."""
    return current_app.extensions.setdefault("jifen_store_budget_full", {})


def may_spend(store_id: int, points: int, budget: int, now: datetime) -> bool:
    """False when this process saw, within the last minute, the store's budget for the month
    refuse this many points (or fewer); no statement."""
    refused = _full().get((store_id, month_of(now), budget))
    return not (refused and points >= refused[0] and time.monotonic() - refused[1] < FULL_SECONDS)


def _remember_full(store_id, month, budget, points) -> None:
    with _lock:
        full, key = _full(), (store_id, month, budget)
        if len(full) > 10_000:
            full.clear()
        earlier = full.get(key)
        fresh = earlier and time.monotonic() - earlier[1] < FULL_SECONDS
        full[key] = (min(points, earlier[0]) if fresh else points, time.monotonic())


def spend(store_id: int, points: int, budget: int, now: datetime) -> bool:
    """Take `points` of the store's budget for this month (at most `budget` in all): True,
    or False and nothing taken when there is no room (remembered: may_spend). One statement
    once the month has begun; none while may_spend says no."""
    if not may_spend(store_id, points, budget, now):
        return False
    month = month_of(now)
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
    _remember_full(store_id, month, budget, points)
    return False


def spent(month: str, store_ids=None) -> dict[int, int]:
    """store id → points spent in the month."""
    query = select(_budget.c.store_id, _budget.c.spent_points).where(_budget.c.month == month)
    if store_ids is not None:
        query = query.where(_budget.c.store_id.in_(list(store_ids)))
    return dict(db.session.execute(query).all())
