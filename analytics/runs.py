"""A scoring run's steps, each one transaction: find or start the run, aggregate a chunk of
members, score a scope. A run killed halfway is resumed from its cursor."""
from datetime import date

from sqlalchemy import func, select

from core import clock
from core.db import db
from analytics import scoring, settings
from analytics.models import CHAIN, RfmRun
from members.models import Member
from stores.models import Store

AGGREGATE, SCORE, DONE = "aggregate", "score", "done"


def open_run(as_of: date) -> int:
    """The unfinished run as of this date, or a new one; its id."""
    run = db.session.scalars(select(RfmRun).filter_by(as_of=as_of, finished_at=None)
                             .order_by(RfmRun.id.desc())).first()
    if run is None:
        run = RfmRun(as_of=as_of, phase=AGGREGATE, cursor=0, started_at=clock.now(),
                     settings=settings.get_settings()["rfm"])
        db.session.add(run)
        db.session.flush()
    return run.id


def step(run_id: int, chunk: int) -> str:
    """Do the run's next piece of work; its phase afterwards (DONE when finished)."""
    run = db.session.get(RfmRun, run_id, with_for_update=True)
    if run.phase == AGGREGATE:
        _aggregate(run, chunk)
    elif run.phase == SCORE:
        _score_next_scope(run)
    return run.phase


def _aggregate(run, chunk):
    last_member = db.session.scalar(select(func.max(Member.id))) or 0
    if run.cursor >= last_member:
        run.phase, run.cursor = SCORE, -1
        return
    upto = min(run.cursor + chunk, last_member)
    scoring.aggregate_chunk(run.as_of, run.settings["window_days"], run.cursor + 1, upto)
    run.cursor = upto


def _score_next_scope(run):
    scope = CHAIN if run.cursor < CHAIN else db.session.scalar(
        select(func.min(Store.id)).where(Store.id > run.cursor))
    if scope is None:
        run.phase, run.finished_at = DONE, clock.now()
        return
    scoring.score_scope(scope, run.as_of, run.settings)
    run.cursor = scope
