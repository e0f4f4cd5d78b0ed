"""The backfill's dry run for HQ's console, as a background job: it reads every live lot (a
million take about a minute), longer than nginx waits for a page (30 s). A request asks for the
run of an expiry policy and answers at once; the page polls the run's state, which the job
keeps in Redis: queued → running (lots read so far) → finished (backfill.dry_run's figures) or
failed. The same policy asked again within KEEP_SECONDS of the run's last news is the same run
(its id is a hash of the policy), so a second click starts nothing."""
import hashlib
import json
import re
from datetime import datetime

from core import clock
from core.db import after_commit, run_in_transaction
from core.redis import get_redis, rkey
from core.worker import enqueue
from points.ledger import backfill

JOB = "points.ledger.jobs:backfill_dry_run"
#: seconds a run's state is kept after it last changed: asked again within them, it is reused
KEEP_SECONDS = 600
QUEUED, RUNNING, FINISHED, FAILED = "queued", "running", "finished", "failed"
RUN_ID = re.compile(r"[0-9a-f]{16}")


def run_id(expiry_policy: dict) -> str:
    """The run of an expiry policy: a hash of the policy."""
    text = json.dumps(expiry_policy, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def ask(expiry_policy: dict) -> tuple[str, dict | None]:
    """The run of `expiry_policy` and its state now (None: not started yet). A run is queued
    once the request commits, unless this policy's run is queued, running or finished."""
    run = run_id(expiry_policy)
    after_commit(lambda: start(run, expiry_policy))
    now = state(run)
    return run, (None if now is None or now["status"] == FAILED else now)


def start(run: str, expiry_policy: dict) -> bool:
    """Queue the run unless it is already queued, running or finished; True if queued."""
    redis, key = get_redis(), _key(run)
    queued = json.dumps({"status": QUEUED})
    if not redis.set(key, queued, nx=True, ex=KEEP_SECONDS):
        now = state(run)
        if now is not None and now["status"] != FAILED:
            return False
        redis.set(key, queued, ex=KEEP_SECONDS)  # a failed (or just expired) run: again
    try:
        enqueue(JOB, run, expiry_policy)
    except Exception:
        redis.delete(key)  # not queued: the next click tries again
        raise
    return True


def state(run: str) -> dict | None:
    """{status, lots_read, as_of, result} of a run (None: unknown, or no longer kept)."""
    raw = get_redis().get(_key(run)) if RUN_ID.fullmatch(run) else None
    if raw is None:
        return None
    found = json.loads(raw)
    if found.get("as_of"):
        found["as_of"] = datetime.fromisoformat(found["as_of"])
    return found


def work_out(run: str, expiry_policy: dict) -> dict:
    """The job's body: backfill.dry_run, its state (and lots read, chunk by chunk) kept."""
    news = {"status": RUNNING, "lots_read": 0, "as_of": clock.now().isoformat()}
    _keep(run, news)

    def progress(lots_read: int) -> None:
        _keep(run, {**news, "lots_read": lots_read})

    try:
        result = run_in_transaction(lambda: backfill.dry_run(expiry_policy, progress=progress),
                                    should_commit=lambda _result: False)
    except Exception:
        _keep(run, {**news, "status": FAILED})
        raise
    _keep(run, {**news, "status": FINISHED, "result": result})
    return {"run": run, **result}


def _keep(run: str, news: dict) -> None:
    get_redis().set(_key(run), json.dumps(news), ex=KEEP_SECONDS)


def _key(run: str) -> str:
    return rkey("ledger", "backfill-dry-run", run)
