"""A scoring run's steps, each one transaction: find or start the run, aggregate a chunk of
members, score a scope. A run killed halfway is resumed from its cursor."""
from datetime import date

from sqlalchemy import func, select, update

from core import clock
from core.db import db
from analytics import scoring, settings
from analytics.models import CHAIN, RfmRun
from analytics.sql import roomy_temporary_tables
from points.earning.models import Order

AGGREGATE, CHAIN_FACTS, SCORE, DONE = "aggregate", "chain_facts", "score", "done"
ABANDONED = "abandoned"  #: unfinished when a run as of another date started
#: the score phase's cursor: before the chain, chain scored, stores scored
BEFORE_CHAIN, CHAIN_SCORED = -1, 0


def open_run(as_of: date) -> int:
    """The unfinished run as of this date, or a new one; its id."""
    run = db.session.scalars(select(RfmRun).filter_by(as_of=as_of, finished_at=None)
                             .order_by(RfmRun.id.desc())).first()
    if run is None:
        # one set of facts: an unfinished run as of another date cannot resume after this one
        db.session.execute(update(RfmRun).where(RfmRun.finished_at.is_(None))
                           .values(phase=ABANDONED, finished_at=clock.now()))
        run = RfmRun(as_of=as_of, phase=AGGREGATE, cursor=0, started_at=clock.now(),
                     settings=settings.get_settings()["rfm"])
        db.session.add(run)
        db.session.flush()
        scoring.clear_facts()  # in the run's first transaction: a resumed run keeps its facts
    return run.id


def step(run_id: int, chunk: int) -> str:
    """Do the run's next piece of work; its phase afterwards (DONE when finished)."""
    run = db.session.get(RfmRun, run_id, with_for_update=True)
    roomy_temporary_tables()
    if run.phase == AGGREGATE:
        _aggregate(run, chunk)
    elif run.phase == CHAIN_FACTS:
        scoring.chain_facts()
        run.phase, run.cursor = SCORE, BEFORE_CHAIN
    elif run.phase == SCORE:
        _score_next_scope(run)
    return run.phase


def _aggregate(run, chunk):
    """The next `chunk` order ids (the orders are read in their primary key's order)."""
    last_order = db.session.scalar(select(func.max(Order.id))) or 0
    if run.cursor >= last_order:
        run.phase = CHAIN_FACTS
        return
    upto = min(run.cursor + chunk, last_order)
    scoring.aggregate_chunk(run.as_of, run.settings["window_days"], run.cursor + 1, upto)
    run.cursor = upto


def _score_next_scope(run):
    """The chain, then every store in one statement."""
    if run.cursor == BEFORE_CHAIN:
        scoring.score_scope(CHAIN, run.as_of, run.settings)
        run.cursor = CHAIN_SCORED
        return
    scoring.score_scope(None, run.as_of, run.settings)
    run.phase, run.finished_at = DONE, clock.now()
