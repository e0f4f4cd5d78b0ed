"""The schedule (declared in app.py, kept in core/jobs.py): declared once, printed, read in business time, run by the
worker's cron scheduler (one leader) and by the embedded default's in-process scheduler."""
import logging
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from rq import Queue

from core.db import run_in_transaction
from core.jobs import NOT_SCHEDULED, SCHEDULE
from core.redis import get_redis, rkey
from core.worker import (QUEUE_NAME, InlineScheduler, LeaderCronScheduler, cron_jobs,
                         enqueue_after_commit, next_run, resolve)

SH = ZoneInfo("Asia/Shanghai")


def test_every_schedule_entry_is_declared_once_and_runnable_or_a_named_todo():
    names = [e.name for e in SCHEDULE]
    assert len(names) == len(set(names))
    for entry in SCHEDULE:
        assert croniter.is_valid(entry.cron), entry.name
        if entry.function is None:
            assert entry.name.startswith("TODO-") and entry.what.startswith("TODO")
        else:
            assert callable(resolve(entry.function)), entry.name
    assert {e.name for e in SCHEDULE if e.function} >= {
        "expiry-sweep", "expiry-reminders", "ledger-reconciliation", "tier-review",
        "birthday-extension", "idempotency-key-purge"}


def test_the_schedule_is_printed_with_every_entry_once(app):
    result = app.test_cli_runner().invoke(args=["jobs", "schedule"])
    assert result.exit_code == 0
    assert "business time (Asia/Shanghai)" in result.output
    for entry in SCHEDULE:
        [line] = [l for l in result.output.splitlines() if l.startswith(entry.name + " ")]
        assert entry.cron in line
        assert (entry.function or "TODO: not run") in line
    for name in NOT_SCHEDULED:
        assert name in result.output


def test_cron_expressions_are_read_in_business_time():
    after = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)  # 20:00 in Shanghai
    assert next_run("5 0 * * *", after, SH) == datetime(2026, 11, 22, 16, 5, tzinfo=timezone.utc)
    # the 1st of the month in Shanghai is still the last day of the month before in UTC
    assert next_run("0 3 1 * *", after, SH) == datetime(2026, 11, 30, 19, 0, tzinfo=timezone.utc)


def test_the_worker_and_the_embedded_scheduler_run_the_same_schedule(app):
    runnable = [e.name for e in SCHEDULE if e.function]
    assert [job.name for job in cron_jobs(SH)] == runnable
    assert [job.name for job in InlineScheduler(app).jobs] == runnable
    scheduler = LeaderCronScheduler(get_redis(), SH, rkey("test-cron-leader"))
    assert [job.name for job in scheduler._cron_jobs] == runnable


def test_only_the_cron_leader_enqueues(app):
    connection = get_redis()
    leader = LeaderCronScheduler(connection, SH, rkey("test-cron-leader"))
    follower = LeaderCronScheduler(connection, SH, rkey("test-cron-leader"))
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    for scheduler in (leader, follower):
        scheduler._cron_jobs[0].next_enqueue_time = past

    assert [j.name for j in leader.enqueue_jobs()] == ["expiry-sweep"]
    assert follower.enqueue_jobs() == []
    assert follower._cron_jobs[0].next_enqueue_time > past  # its timetable still moves on
    [job] = Queue(QUEUE_NAME, connection=connection).get_jobs()
    assert job.func_name == "core.worker.run_scheduled" and job.args == ("expiry-sweep",)


def test_the_embedded_scheduler_runs_what_is_due(app, monkeypatch):
    ran = []
    monkeypatch.setattr("core.worker.run_scheduled", ran.append)
    scheduler = InlineScheduler(app)
    assert scheduler.run_pending() == []
    scheduler.jobs[1].next_enqueue_time = datetime.now(timezone.utc) - timedelta(seconds=1)

    assert scheduler.run_pending() == ["expiry-reminders"] == ran
    assert scheduler.run_pending() == []


def test_jobs_run_runs_one_job_now(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run", "expiry-sweep"])
    assert result.exit_code == 0 and '"lots_expired": 0' in result.output
    assert runner.invoke(args=["jobs", "run", "no-such-job"]).exit_code != 0
    assert runner.invoke(args=["jobs", "run", "unpicked-gift-expiry"]).exit_code == 0


def test_the_worker_needs_redis_on_the_embedded_default(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL" in result.output


def test_a_job_enqueued_by_a_request_runs_only_after_its_commit(app, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "RQ_ASYNC", False)  # the embedded queue: runs at once
    caplog.set_level(logging.INFO, logger="jifen.job")

    def jobs_run():
        return [r.fields["job"] for r in caplog.records if r.name == "jifen.job"]

    def fails():
        enqueue_after_commit("points.programme.jobs:tier_review")
        raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        run_in_transaction(fails)
    assert jobs_run() == []
    run_in_transaction(lambda: enqueue_after_commit("points.programme.jobs:tier_review"))
    assert jobs_run() == ["tier_review"]


def test_the_idempotency_purge_deletes_only_expired_records_batch_by_batch(app):
    from sqlalchemy import func, select

    from core import clock
    from core.db import db
    from core.idempotency import IdempotencyRecord, purge_job

    now = datetime(2026, 5, 1, tzinfo=timezone.utc)
    clock.set(now)
    keep = timedelta(hours=app.config["IDEMPOTENCY_KEEP_HOURS"])
    db.session.add_all([IdempotencyRecord(scope="s", key=f"k{i}", request_hash="h", status_code=201,
                                          response_body="{}",
                                          created_at=now - keep - timedelta(minutes=1 + i % 2))
                        for i in range(1500)] + [
        IdempotencyRecord(scope="s", key="fresh", request_hash="h", status_code=201,
                          response_body="{}", created_at=now - keep + timedelta(minutes=1))])
    db.session.commit()

    assert purge_job() == {"records_purged": 1500}
    assert db.session.scalars(select(IdempotencyRecord.key)).all() == ["fresh"]
    assert db.session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1
