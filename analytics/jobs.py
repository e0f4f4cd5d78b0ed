"""Analytics background jobs (scheduled by app.py; `flask analytics …` runs them). Each owns
its loop, commits one chunk at a time and can be killed and rerun."""
from datetime import date

from core import clock
from core.db import run_in_transaction
from analytics import churn, runs

SCORE_CHUNK = 5000  # member ids per transaction
CHURN_CHUNK = 2000


def nightly(as_of: str | None = None) -> dict:
    """Scores, segments, churn status (the nightly schedule)."""
    return {**score(as_of), **churn_statuses(as_of)}


def score(as_of: str | None = None, chunk: int = SCORE_CHUNK) -> dict:
    """RFM scores and segments as of a business date (default today); resumes a killed run."""
    day = _day(as_of)
    run_id = run_in_transaction(lambda: runs.open_run(day))
    steps = 0
    while run_in_transaction(lambda: runs.step(run_id, chunk)) != runs.DONE:
        steps += 1
    return {"rfm_run": run_id, "as_of": day.isoformat(), "steps": steps}


def churn_statuses(as_of: str | None = None, chunk: int = CHURN_CHUNK) -> dict:
    """Every member's churn status as of a business date."""
    day, cursor, changed = _day(as_of), 0, 0
    while cursor is not None:
        n, cursor = run_in_transaction(lambda c=cursor: churn.update_chunk(day, c, chunk))
        changed += n
    return {"churn_changed": changed}


def _day(as_of: str | None) -> date:
    return date.fromisoformat(as_of) if as_of else clock.business_date()
