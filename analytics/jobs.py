"""Analytics background jobs (scheduled by app.py; `flask analytics …` runs them). Each owns
its loop, commits one chunk at a time and can be killed and rerun."""
from datetime import date

from core import clock
from core.db import run_in_transaction
from analytics import churn, runs
from analytics.tags import automations, service as tags

SCORE_CHUNK = 100_000  # order ids per transaction
CHURN_CHUNK = 2000


def nightly(as_of: str | None = None) -> dict:
    """Scores, segments, churn status, then tags and their automations (the nightly schedule)."""
    return {**score(as_of), **churn_statuses(as_of), **tags_and_automations(as_of)}


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


def tags_and_automations(as_of: str | None = None, chunk: int = 500) -> dict:
    """Recompute every active rule tag (a transaction each), then let each active automation
    act for the members who entered its tag (`chunk` members per transaction)."""
    day = _day(as_of)
    entered = left = acted = 0
    for tag_id in run_in_transaction(tags.active_rule_tag_ids):
        changes = run_in_transaction(lambda t=tag_id: tags.evaluate(t, day))
        entered, left = entered + changes["entered"], left + changes["left"]
    for automation_id in run_in_transaction(automations.active_ids):
        acted += fire(automation_id, chunk)
    return {"tag_entered": entered, "tag_left": left, "automation_actions": acted}


def fire(automation_id: int, chunk: int = 500) -> int:
    """Run an automation until nobody is due (safe to rerun, and beside another worker)."""
    total = 0
    while n := run_in_transaction(lambda: automations.fire_chunk(automation_id, chunk)):
        total += n
    return total
