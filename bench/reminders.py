"""Expiry reminders under real RQ workers, batched (≈1,000 members per job) next to one RQ job
per member, in the same run; and the expiry sweep under a worker next to the same sweep run
in-process. MariaDB + Redis (a fresh database and Redis db number, dropped afterwards) and the
fake WeChat server (its own process) over real HTTP.

    .venv/bin/python bench/reminders.py \
        [--members 100000] [--baseline 2000] [--workers 2]

The baseline runs the same job code on one member per job (what a naive design enqueues);
it reminds --baseline members (a sample: at its rate 100,000 would take an hour) and its rate
is members per second, so the two figures compare directly.
"""
import argparse
import os
import socket
import subprocess
import sys
import time
from datetime import date, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import insert  # noqa: E402

AS_OF = date(2027, 3, 1)
TEMPLATE_ID = "bench-points-expiring"
SH = timezone(timedelta(hours=8))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_fake_server():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "wx.fake_server", "--port", str(port)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(url + "/_fake/calls", timeout=1)
            return process, url
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError("fake WeChat server did not start")


def seed(n_batched, n_baseline):
    """Members 1..n_batched: 100 points expiring on D (reminded), 50 on D+1 (swept by the
    worker). Members after them: 80 points expiring on D−1 (the baseline's reminders).
    Written in bulk, as consistent ledger rows, with an openid and one consent each."""
    from core import clock
    from core.db import db
    from flask import current_app

    from members.models import Member, SubscribeConsent, WechatIdentity
    from points.ledger.models import PointsAccount, PointsEntry, PointsLot

    day = AS_OF + timedelta(days=7)
    now = clock.now()
    total = n_batched + n_baseline
    for start in range(1, total + 1, 5000):
        ids = range(start, min(start + 5000, total + 1))
        members, accounts, entries, lots = [], [], [], []
        for m in ids:
            lots_of = ([(100, day), (50, day + timedelta(days=1))] if m <= n_batched
                       else [(80, day - timedelta(days=1))])
            members.append({"id": m, "member_no": f"8{m:011d}", "invite_code": f"B{m:09d}",
                            "origin": "wechat", "status": "active", "created_at": now})
            balance = 0
            for i, (points, expiry) in enumerate(lots_of):
                balance += points
                entry_id = m * 2 - 1 + i
                entries.append({"id": entry_id, "member_id": m, "kind": "earn", "delta": points,
                                "balance_after": balance, "debt_change": 0,
                                "idempotency_key": f"bench:{entry_id}", "created_at": now})
                lots.append({"id": entry_id, "member_id": m, "amount": points,
                             "remaining": points, "entry_id": entry_id, "created_at": now,
                             "expires_at": clock.end_of_business_day(expiry),
                             "birthday_extended": False})
            accounts.append({"member_id": m, "balance": balance, "lifetime_earned": balance,
                             "version": len(lots_of)})
        for model, rows in ((Member, members), (PointsAccount, accounts),
                            (PointsEntry, entries), (PointsLot, lots)):
            db.session.execute(insert(model), rows)
        appid = current_app.config["WECHAT_APPID"]
        db.session.execute(insert(WechatIdentity), [
            {"member_id": m, "appid": appid, "openid": f"openid-{m}",
             "created_at": now, "last_login_at": now} for m in ids])
        db.session.execute(insert(SubscribeConsent), [
            {"member_id": m, "template_id": TEMPLATE_ID, "remaining": 1, "accepted_count": 1,
             "refused_count": 0, "updated_at": now} for m in ids])
        db.session.commit()


def run_workers(env, n, label, timeout=7200) -> float:
    """Start n burst workers on the queued jobs; seconds until the last one is done."""
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    logs = [open(out / f"reminders-{label}-worker{i}.log", "w") for i in range(n)]
    started = time.perf_counter()
    processes = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker",
                                   "--burst"], cwd=ROOT, env=env, stdout=log, stderr=log)
                 for log in logs]
    for p in processes:
        if p.wait(timeout=timeout) != 0:
            raise RuntimeError(f"a worker failed: see bench/out/reminders-{label}-*.log")
    return time.perf_counter() - started


def messages(url) -> list:
    return requests.get(url + "/_fake/messages", timeout=60).json()


def bench(args, app, env, url):
    from core import clock
    from core.db import run_in_transaction
    from core.worker import enqueue
    from points.reminders import planning as reminders
    from points.ledger.jobs import expire_due_lots as run_expiry_sweep
    from points.reminders.jobs import plan_reminders
    from wx import templates

    fields = {"thing1": "tip", "number2": "points", "date3": "expiry_date", "number4": "balance"}
    requests.put(f"{url}/_fake/templates/{TEMPLATE_ID}", json={"keys": list(fields)},
                 timeout=5).raise_for_status()  # the WeChat account has the template
    run_in_transaction(lambda: templates.create_template({
        "purpose": "points_expiring", "template_id": TEMPLATE_ID, "page": "pages/points/index",
        "fields": fields, "tip": "积分即将过期，快去兑换吧"}))
    t = time.perf_counter()
    seed(args.members, args.baseline)
    print(f"seeded {args.members + args.baseline:,} members in {time.perf_counter() - t:.1f} s")

    # baseline: one RQ job per member (the same job, on a batch of one member)
    first = args.members + 1
    for m in range(first, first + args.baseline):
        enqueue("points.reminders.jobs:send_reminder_batch", (AS_OF - timedelta(days=1)).isoformat(), [m])
    baseline_s = run_workers(env, args.workers, "baseline")
    baseline_sent = len(messages(url))
    assert baseline_sent == args.baseline, baseline_sent

    # batched: the planner's batches of REMINDER_BATCH_SIZE members
    t = time.perf_counter()
    plan = plan_reminders(AS_OF, enqueue_batches=True)
    plan_s = time.perf_counter() - t
    batched_s = run_workers(env, args.workers, "batched")
    sent = messages(url)
    assert len(sent) == args.members + args.baseline, len(sent)
    assert len({m["touser"] for m in sent}) == len(sent), "a member got two reminders"
    counts = run_in_transaction(lambda: reminders.reminder_counts(AS_OF + timedelta(days=7)))

    # the expiry sweep: in-process, then the same amount of work as a job under a worker
    day = AS_OF + timedelta(days=7)
    t = time.perf_counter()
    inline_lots = run_expiry_sweep(clock.end_of_business_day(day))
    inline_s = time.perf_counter() - t
    job = enqueue("points.ledger.jobs:expiry_sweep", (day + timedelta(days=1)).isoformat())
    worker_sweep_s = run_workers(env, 1, "sweep")
    job.refresh()
    sweep_job_s = (job.ended_at - job.started_at).total_seconds()
    assert job.return_value() == {"lots_expired": args.members}, job.return_value()

    b_rate, rate = args.baseline / baseline_s, args.members / batched_s
    print(f"workers: {args.workers}; fake WeChat server over HTTP; MariaDB + Redis")
    print(f"baseline, one RQ job per member: {args.baseline:,} members in {baseline_s:.1f} s "
          f"= {b_rate:,.0f} members/s")
    print(f"batched ({plan['batches']} jobs of ≤{app.config['REMINDER_BATCH_SIZE']:,}): "
          f"{args.members:,} members in {batched_s:.1f} s = {rate:,.0f} members/s "
          f"(statuses {counts})")
    print(f"  planning (one process, {args.members:,} members found due and reachable): "
          f"{plan_s:.1f} s; with it {args.members / (plan_s + batched_s):,.0f} members/s")
    print(f"ratio batched / baseline: {rate / b_rate:.1f}x (goal ≥ 20x)")
    print(f"expiry sweep in-process: {inline_lots:,} lots in {inline_s:.1f} s = "
          f"{inline_lots / inline_s:,.0f} lots/s")
    inline_rate, job_rate = inline_lots / inline_s, args.members / sweep_job_s
    print(f"expiry sweep as a job under the worker: {args.members:,} lots in {sweep_job_s:.1f} s "
          f"= {job_rate:,.0f} lots/s ({job_rate / inline_rate:.2f}x in-process; "
          f"{worker_sweep_s:.1f} s with the worker's start-up)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from tests.backends import MariaDB, RealRedis

    database, redis_backend = MariaDB(), RealRedis()
    db_url, redis_url = database.create(), redis_backend.create()
    fake, url = start_fake_server()
    overrides = {"DATABASE_URL": db_url, "REDIS_URL": redis_url, "WECHAT_API_BASE": url,
                 "WECHAT_SECRET": "bench-secret", "LOG_LEVEL": "WARNING"}
    env = {**os.environ, **overrides}
    os.environ.update(overrides)
    try:
        from flask_migrate import upgrade

        from app import create_app

        app = create_app()
        with app.app_context():
            upgrade()
            bench(args, app, env, url)
    finally:
        fake.terminate()
        database.drop()
        redis_backend.drop()


if __name__ == "__main__":
    main()
