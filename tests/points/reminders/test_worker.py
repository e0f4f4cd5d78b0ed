"""The jobs under a real RQ worker process (`flask --app app worker --burst`) on real Redis, and
the fake WeChat server over real HTTP. RQ needs a real Redis: skipped on the embedded backend,
whose in-process path tests/points/reminders/test_reminders.py covers."""
import json
from collections import Counter

import pytest
from sqlalchemy import func, select

from core.db import db
from core.redis import get_redis, rkey
from core.worker import enqueue
from points.reminders.jobs import plan_reminders
from points.ledger.models import PointsLot
from points.reminders.models import ExpiryReminder
from tests.points.ledger_checks import assert_ledger_consistent
from tests.reminder_fixtures import (AS_OF, EXPIRY_DAY, expiring_member, fake_wechat, make_template,
                                     openid_of, reminder_clock)
from tests.worker_process import kill_hard, run_burst, start_worker, wait_until

_ = fake_wechat, reminder_clock  # fixtures


@pytest.fixture(autouse=True)
def _real_redis(app):
    if not app.config["REDIS_URL"]:
        pytest.skip("RQ workers need a real Redis (the embedded default runs jobs in-process)")


pytestmark = [pytest.mark.committing, pytest.mark.usefixtures("reminder_clock")]


def job_lines(log: str) -> list[dict]:
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "job"]


def test_the_worker_sends_the_reminders_with_the_right_data(app, factory, fake_wechat):
    make_template()
    members = [expiring_member(factory, 100 + i) for i in range(3)]
    expiring_member(factory, consent=0)

    assert plan_reminders(AS_OF, enqueue_batches=True)["batches"] == 1
    log = run_burst(app)

    sent = {m["touser"]: m["data"] for m in fake_wechat.messages()}
    assert set(sent) == {openid_of(m) for m in members}
    assert sent[openid_of(members[2])]["number2"] == {"value": "102"}
    assert sent[openid_of(members[2])]["date3"] == {"value": "2026年3月8日"}
    [line] = job_lines(log)
    assert line["job"] == "send_reminder_batch" and line["outcome"] == "ok"
    assert line["result"] == {"sent": 3} and line["duration_ms"] > 0 and line["rq_job_id"]


def test_a_worker_killed_mid_batch_and_rerun_sends_no_duplicate(app, factory, fake_wechat):
    make_template()
    members = [expiring_member(factory) for _ in range(12)]
    fake_wechat.fail(times=1000, delay_ms=150)  # slow WeChat: time to kill mid-batch
    plan_reminders(AS_OF, enqueue_batches=True)
    worker = start_worker(app, "--burst", REMINDER_CLAIM_SIZE=4, REMINDER_SEND_THREADS=1)
    wait_until(lambda: len(fake_wechat.messages()) >= 2)
    kill_hard(worker)
    first_run = Counter(m["touser"] for m in fake_wechat.messages())
    assert 2 <= sum(first_run.values()) < len(members)

    fake_wechat.server.state.failures.clear()
    plan_reminders(AS_OF, enqueue_batches=True)
    run_burst(app)

    received = Counter(m["touser"] for m in fake_wechat.messages())
    assert max(received.values()) == 1  # nobody twice
    db.session.expire_all()
    status = {r.member_id: r.status for r in db.session.scalars(select(ExpiryReminder))}
    lost = [m for m in members if openid_of(m) not in received]
    assert all(status[m.id] == "sending" for m in lost)  # at most once: lost, never repeated
    assert len(lost) <= 4  # only the claim in flight (REMINDER_CLAIM_SIZE) can be lost
    assert sum(1 for s in status.values() if s == "sent") >= len(members) - 4


def test_a_worker_killed_between_claim_and_send_loses_at_most_and_gives_back_only_failures(
        app, factory, fake_wechat):
    """The first claim's sends fail (47003: not the members' doing) and give their consent
    back; the worker dies while the second claim is in flight: those stay `sending`, their
    consent used (a message may have gone), and a rerun sends nobody anything twice."""
    from points.reminders.recipients import Recipients
    from tests.reminder_fixtures import TEMPLATE_ID

    make_template()
    members = [expiring_member(factory, consent=1) for _ in range(8)]
    fake_wechat.fail(times=4, errcode=47003)
    fake_wechat.fail(times=1000, delay_ms=3000)  # then a slow WeChat: time to kill mid-send
    plan_reminders(AS_OF, enqueue_batches=True)
    worker = start_worker(app, "--burst", REMINDER_CLAIM_SIZE=4, REMINDER_SEND_THREADS=1)
    wait_until(lambda: reminder_statuses() == Counter(failed=4, sending=4))
    kill_hard(worker)

    fake_wechat.server.state.failures.clear()
    assert plan_reminders(AS_OF, enqueue_batches=True)["batches"] == 0  # all recorded
    run_burst(app)

    assert reminder_statuses() == Counter(failed=4, sending=4)
    received = Counter(m["touser"] for m in fake_wechat.messages())
    assert not received or max(received.values()) == 1  # the one in flight may have gone, once
    status = {r.member_id: r.status for r in db.session.scalars(select(ExpiryReminder))}
    left = {m.id: Recipients().remaining(m.id, TEMPLATE_ID) for m in members}
    assert all(left[m] == (1 if s == "failed" else 0) for m, s in status.items())


def reminder_statuses() -> Counter:
    db.session.rollback()  # a fresh snapshot: the worker commits in another process
    return Counter(dict(db.session.execute(
        select(ExpiryReminder.status, func.count()).group_by(ExpiryReminder.status)).all()))


def test_the_expiry_sweep_runs_under_the_worker(app, factory):
    for _ in range(5):
        factory.member(points=10)
    due = [expiring_member(factory, 7, day=EXPIRY_DAY, consent=0) for _ in range(20)]

    enqueue("points.ledger.jobs:expiry_sweep", "2026-03-08")
    log = run_burst(app)

    [line] = job_lines(log)
    assert line["result"] == {"lots_expired": 20}
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(PointsLot).where(
        PointsLot.remaining > 0, PointsLot.member_id.in_([m.id for m in due]))) == 0
    assert_ledger_consistent()
    runs = get_redis().hgetall(rkey("metrics", "jifen_job_runs_total"))
    assert runs[b'{"job": "expiry_sweep", "outcome": "ok"}'] == b"1"


def test_a_failing_job_is_logged_and_counted_as_failed(app):
    enqueue("points.ledger.jobs:birthday_extension", "not-a-month")
    log = run_burst(app)
    [line] = job_lines(log)
    assert line["outcome"] == "failed" and "ValueError" in line["error"]
    runs = get_redis().hgetall(rkey("metrics", "jifen_job_runs_total"))
    assert runs[b'{"job": "birthday_extension", "outcome": "failed"}'] == b"1"


def test_the_worker_runs_the_cron_scheduler_beside_it(app):
    from rq.cron import CronScheduler

    from core.jobs import SCHEDULE

    worker = start_worker(app)
    try:
        wait_until(lambda: CronScheduler.all(get_redis()), timeout=30)
        [scheduler] = CronScheduler.all(get_redis())
        names = {job.name for job in scheduler._cron_jobs}
        assert names == {e.name for e in SCHEDULE if e.function}
    finally:
        kill_hard(worker)
