"""Running jobs: the RQ queue, the job boundary, the worker, and RQ's cron scheduler beside it.

A job is a plain function named "module:function". `enqueue(path, *args)` hands it to the RQ
queue (after the current transaction commits: `enqueue_after_commit`); `core.jobs.SCHEDULE`
says when the cron scheduler enqueues the scheduled ones. Every job runs through `run_job`:
an app context, one JSON log line (duration, outcome), the job metrics, and nothing left
uncommitted — the function commits its own chunks with core.db.run_in_transaction.

Without REDIS_URL or REDIS_SENTINELS (the embedded default, fakeredis) the queue is RQ's
synchronous queue: a job runs at once, in the process that enqueued it; core.embedded runs the
schedule in a thread.
"""
import logging
import time
from contextlib import nullcontext
from datetime import datetime, timezone
from importlib import import_module

import redis as redis_lib
from croniter import croniter
from flask import current_app, has_app_context, has_request_context
from rq import Queue, Worker, get_current_job
from rq.cron import CronJob, CronScheduler
from rq.utils import now as rq_now

from core import clock, metrics
from core.db import after_commit, db, rollback
from core.jobs import SCHEDULE, by_name
from core.logs import log_event
from core.redis import client_for, get_redis, is_configured, rkey

QUEUE_NAME = "jifen"
#: seconds a job may run before RQ kills its work horse
DEFAULT_TIMEOUT = 3600
job_log = logging.getLogger("jifen.job")
_worker_app = None
#: builds the app a job runs in when there is none (app.create_app, given by app.py)
_app_factory = None


# --- the job boundary -----------------------------------------------------------------------

def resolve(path: str):
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


def use_app_factory(factory) -> None:
    global _app_factory
    _app_factory = factory


def _app_context():
    if has_app_context():
        return nullcontext()
    global _worker_app
    if _worker_app is None:
        _worker_app = _app_factory()
    return _worker_app.app_context()


def run_job(name: str, path: str, args=(), kwargs=None):
    """Run one job with an app context, logged and counted. What RQ executes."""
    with _app_context():
        started = time.perf_counter()
        try:
            result = resolve(path)(*args, **(kwargs or {}))
        except Exception as exc:
            rollback()
            _finish(name, started, "failed", error=f"{type(exc).__name__}: {exc}")
            raise
        rollback()  # a job commits its own chunks; anything it left uncommitted is dropped
        _finish(name, started, "ok", result=result)
        return result


def _finish(name, started, outcome, **fields):
    seconds = time.perf_counter() - started
    log_event(job_log, "job", level=logging.INFO if outcome == "ok" else logging.ERROR,
              job=name, duration_ms=round(seconds * 1000, 2), outcome=outcome,
              rq_job_id=current_job.id if (current_job := get_current_job()) else None,
              **fields)
    try:
        metrics.count("jifen_job_runs_total", job=name, outcome=outcome)
        metrics.count("jifen_job_duration_seconds_total", seconds, job=name)
        if outcome == "ok":
            metrics.set_gauge("jifen_job_last_success_timestamp_seconds", time.time(), job=name)
    except redis_lib.RedisError:
        job_log.warning("job metrics not recorded: Redis unavailable")


def run_scheduled(name: str):
    """What the cron scheduler enqueues: the SCHEDULE entry `name`."""
    return run_job(name, by_name(name).function)


# --- the queue ------------------------------------------------------------------------------

def queue(connection=None) -> Queue:
    is_async = current_app.config.get("RQ_ASYNC", is_configured(current_app.config))
    return Queue(QUEUE_NAME, connection=connection or get_redis(), is_async=is_async,
                 default_timeout=DEFAULT_TIMEOUT)


def enqueue(path: str, *args, name: str | None = None, **kwargs):
    """Queue `path(*args, **kwargs)` as a job (runs at once on the embedded backend).

    From a request, use `enqueue_after_commit`: a job must not see (or, run at once on the
    embedded backend, commit) a transaction that is still open."""
    q = queue()
    if not q.is_async and has_request_context() and db.session().in_transaction():
        raise RuntimeError(f"enqueue({path!r}) inside a request's transaction: "
                           "use enqueue_after_commit")
    return q.enqueue(run_job, args=(name or path.rpartition(":")[2], path, args, kwargs),
                           result_ttl=86400, failure_ttl=7 * 86400)


def enqueue_after_commit(path: str, *args, **kwargs) -> None:
    """For requests: queue the job only once the request's transaction has committed."""
    after_commit(lambda: enqueue(path, *args, **kwargs))


# --- the schedule in business time ----------------------------------------------------------

def next_run(cron: str, after: datetime, tz) -> datetime:
    """The first moment after `after` matching `cron` read in `tz`, as UTC."""
    return croniter(cron, after.astimezone(tz)).get_next(datetime).astimezone(timezone.utc)


class BusinessCronJob(CronJob):
    """RQ's CronJob with its cron expression read in business time, not the host's time."""

    def __init__(self, *args, tz, **kwargs):
        self.tz = tz
        super().__init__(*args, **kwargs)

    def get_next_enqueue_time(self) -> datetime:
        if not self.cron:
            return super().get_next_enqueue_time()
        return next_run(self.cron, self.latest_enqueue_time or rq_now(), self.tz)


def cron_jobs(tz) -> list[BusinessCronJob]:
    """One cron job per runnable SCHEDULE entry (TODO entries are left out)."""
    return [BusinessCronJob(QUEUE_NAME, func=run_scheduled, args=(entry.name,), cron=entry.cron,
                            name=entry.name, job_timeout=DEFAULT_TIMEOUT, tz=tz)
            for entry in SCHEDULE if entry.function]


class LeaderCronScheduler(CronScheduler):
    """RQ's cron scheduler, enqueueing only while it holds the cron lock: run a worker (and its
    scheduler) on every host, and one of them enqueues; another takes over within LOCK_TTL
    seconds if it dies. The others keep their timetable moving without enqueueing."""

    LOCK_TTL = 150  # the scheduler loop wakes at least every 60 s and extends it

    def __init__(self, connection, tz, lock_key):
        super().__init__(connection=connection)
        self._cron_jobs.extend(cron_jobs(tz))
        self._lock = connection.lock(lock_key, timeout=self.LOCK_TTL)

    def _lead(self) -> bool:
        try:
            return self._lock.reacquire() if self._lock.owned() else self._lock.acquire(
                blocking=False)
        except redis_lib.exceptions.LockError:
            return False

    def enqueue_jobs(self):
        if self._lead():
            return super().enqueue_jobs()
        for job in self._cron_jobs:
            if job.should_run():
                job.set_enqueue_time(rq_now())
        return []


def run_cron_scheduler(redis_config: dict, tz, lock_key: str) -> None:
    """The cron scheduler's process (forked beside the worker): loop until SIGTERM."""
    connection = client_for(redis_config, patient=True)
    LeaderCronScheduler(connection, tz, lock_key).start()


class JifenWorker(Worker):
    """RQ's forking worker; each work horse starts with its own database connections."""

    def main_work_horse(self, job, queue):
        db.session.registry.clear()  # never touch the parent's connections
        db.engine.dispose(close=False)
        super().main_work_horse(job, queue)


def cron_lock_key() -> str:
    return rkey("cron-leader")


class InlineScheduler:
    """The embedded default's stand-in for worker + cron: the same schedule, run in a thread of
    the web process (core.embedded starts it)."""

    def __init__(self, app):
        self.app = app
        with app.app_context():
            self.jobs = cron_jobs(clock.business_tz())

    def run_pending(self) -> list[str]:
        """Run every job whose time has come; returns their names."""
        ran = []
        for job in self.jobs:
            if job.should_run():
                job.set_enqueue_time(rq_now())
                with self.app.app_context():
                    try:
                        run_scheduled(job.name)
                    except Exception:  # run_job logged it; the next run tries again
                        pass
                ran.append(job.name)
        return ran

    def run_forever(self, stop_event, poll: float = 30.0) -> None:
        while not stop_event.is_set():
            self.run_pending()
            stop_event.wait(poll)
