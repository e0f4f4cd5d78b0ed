"""Flash-sale benchmark: a 100-unit sale under gunicorn on MariaDB + Redis.

    .venv/bin/python bench/flash_sale.py [--requests 2000] [--concurrency 100] [--units 100]

Builds its own database (jifen_bench_<random>) with the migrations and a seed (members with
points, the flash-sale product), claims a free Redis database number, starts gunicorn (2
gthread workers) on loopback and drives it from a separate load process (bench/load.py).
Prints, from one run:
  (a) correctness: exactly `units` sold, stock 0, points debited exactly, ledger consistent;
  (b) the sold-out path's requests/s next to GET /healthz's (goal ≥ 0.5);
  (c) successful redemptions/s next to a raw guarded `UPDATE … SET stock_left = stock_left - 1
      WHERE id = ? AND stock_left > 0` loop at the same concurrency (goal ≥ 0.2);
  (d) successful redemptions/s next to GET /healthz's requests/s (goal ≥ 0.15).
Exits 1 if correctness fails. Everything it created is dropped at the end.
"""
import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from multiprocessing import Process, Queue
from pathlib import Path

import pymysql
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MYSQL = os.environ.get("BENCH_MYSQL", "root@127.0.0.1:3306")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
PRICE, START_POINTS = 100, 1000


def mysql_parts():
    user, _, hostport = MYSQL.partition("@")
    host, _, port = hostport.partition(":")
    return dict(user=user, host=host, port=int(port or 3306), password="")


class Resources:
    """The bench's own database and Redis database number; dropped at the end."""

    def __init__(self):
        self.database = f"jifen_bench_{uuid.uuid4().hex[:10]}"
        self.redis_number = None
        self.lock = redis.Redis.from_url(REDIS_URL)

    def create(self):
        with pymysql.connect(autocommit=True, **mysql_parts()) as conn, conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {self.database} CHARACTER SET utf8mb4")
        for number in range(15, 0, -1):  # tests claim from 1 upwards; the bench from 15 down
            if self.lock.set(f"jifen-test-lock:{number}", f"bench {os.getpid()}", nx=True, ex=3600):
                self.redis_number = number
                redis.Redis.from_url(self.redis_url).flushdb()
                return
        raise RuntimeError("no free Redis database number (1-15 all taken)")

    @property
    def database_url(self):
        p = mysql_parts()
        return f"mysql+pymysql://{p['user']}@{p['host']}:{p['port']}/{self.database}?charset=utf8mb4"

    @property
    def redis_url(self):
        return f"{REDIS_URL}/{self.redis_number}"

    def drop(self):
        with pymysql.connect(autocommit=True, **mysql_parts()) as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {self.database}")
        if self.redis_number is not None:
            redis.Redis.from_url(self.redis_url).flushdb()
            self.lock.delete(f"jifen-test-lock:{self.redis_number}")


# --- seed -----------------------------------------------------------------------------------

def seed(app, members: int, units: int, raw_units: int):
    """Members with START_POINTS each, the flash-sale product, the raw loop's product."""
    from datetime import timedelta

    from flask_migrate import upgrade

    from core import clock
    from core.auth import issue_member_token
    from core.cli import seed_demo_data
    from core.db import db, run_in_transaction
    from mall import catalog
    from mall.jobs import run_gate_rebuild
    from members.models import Member
    from points import ledger as points

    def add_members(n):
        made = []
        for _ in range(n):
            member = Member(member_no=f"8{random.randrange(10**9):09d}", created_at=clock.now())
            db.session.add(member)
            db.session.flush()
            points.credit(member.id, START_POINTS, kind="earn", key=f"bench:{member.id}")
            made.append(member.id)
        return made

    with app.app_context():
        upgrade()
        seed_demo_data()
        ids = []
        while len(ids) < members:
            ids += run_in_transaction(lambda: add_members(min(200, members - len(ids))))
        now = clock.now()
        sale = run_in_transaction(lambda: catalog.create_product({
            "title": "限时秒杀", "kind": "gift", "points_price": PRICE, "stock": units,
            "per_member_limit": 1, "starts_at": now - timedelta(minutes=1),
            "ends_at": now + timedelta(hours=2)})).id
        raw = run_in_transaction(lambda: catalog.create_product({
            "title": "raw loop", "kind": "virtual", "points_price": 1, "stock": raw_units,
            "active": False})).id
        run_gate_rebuild()
        return sale, raw, {mid: issue_member_token(mid) for mid in ids}


# --- gunicorn and the load process ----------------------------------------------------------

def start_gunicorn(env, port, log, threads):
    gunicorn = Path(sys.executable).parent / "gunicorn"
    cmd = [str(gunicorn), "--workers", "2", "--worker-class", "gthread", "--threads", str(threads),
           "--bind", f"127.0.0.1:{port}", "--backlog", "2048", "--keep-alive", "30",
           "--log-level", "warning", *os.environ.get("BENCH_GUNICORN_ARGS", "").split(),
           "app:create_app()"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log,
                            start_new_session=True)
    for _ in range(100):
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not come up; see its log")


def stop(proc):
    if proc and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)


def load(plan, port, concurrency):
    with tempfile.TemporaryDirectory() as tmp:
        plan_path, out_path = Path(tmp, "plan.json"), Path(tmp, "results.json")
        plan_path.write_text(json.dumps(plan))
        subprocess.run([sys.executable, str(ROOT / "bench" / "load.py"), str(plan_path),
                        str(out_path), "--port", str(port), "--concurrency", str(concurrency)],
                       check=True)
        return json.loads(out_path.read_text())


def redemption(token, product_id, key):
    return {"method": "POST", "path": "/api/v1/mall/redemptions",
            "headers": {"Authorization": f"Bearer {token}", "Idempotency-Key": key},
            "body": json.dumps({"product_id": product_id, "quantity": 1}), "key": key}


def sale_plan(tokens, product_id, requests):
    """`requests` redemptions: a quarter of them double taps (the same key twice)."""
    plan, members = [], list(tokens)
    random.shuffle(members)
    while len(plan) < requests:
        for mid in members:
            key = uuid.uuid4().hex
            plan.append(redemption(tokens[mid], product_id, key))
            if random.random() < 0.25:
                plan.append(redemption(tokens[mid], product_id, key))
            if len(plan) >= requests:
                break
    random.shuffle(plan)
    return plan


def rate(results):
    starts, ends = [r[2] for r in results], [r[3] for r in results]
    return len(results) / (max(ends) - min(starts))


# --- the raw guarded UPDATE loop ------------------------------------------------------------

def _raw_worker(database, product_id, threads, start_at, out):
    counts, ends = [0] * threads, [0.0] * threads

    def run(i):
        conn = pymysql.connect(database=database, autocommit=True, **mysql_parts())
        cur = conn.cursor()
        while time.time() < start_at:
            time.sleep(0.001)
        while cur.execute("UPDATE mall_products SET stock_left = stock_left - 1 "
                          "WHERE id = %s AND stock_left > 0", (product_id,)):
            counts[i] += 1
            ends[i] = time.time()
        conn.close()

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put((sum(counts), max(ends)))


def raw_update_rate(database, product_id, concurrency, processes=2):
    """Units/s sold by `concurrency` connections (over `processes` processes, so the client's
    GIL is not the limit) running the bare guarded decrement, autocommit."""
    out, start_at = Queue(), time.time() + 2.0
    per = [concurrency // processes + (1 if i < concurrency % processes else 0)
           for i in range(processes)]
    procs = [Process(target=_raw_worker, args=(database, product_id, n, start_at, out))
             for n in per]
    for p in procs:
        p.start()
    parts = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join()
    return sum(c for c, _ in parts) / (max(e for _, e in parts) - start_at)


# --- correctness ----------------------------------------------------------------------------

def check(app, sale_id, units, members):
    """What the database says after the sale, counting the bench's members only (the demo
    seed's members have histories of their own)."""
    from sqlalchemy import func, select

    from core.db import db
    from mall.models import Product, Redemption
    from points.ledger import reconcile
    from points.ledger.models import PointsAccount, PointsEntry

    with app.app_context():
        sold = db.session.scalar(select(func.count()).select_from(Redemption)
                                 .where(Redemption.product_id == sale_id))
        buyers = db.session.scalar(select(func.count(func.distinct(Redemption.member_id)))
                                   .where(Redemption.product_id == sale_id))
        left = db.session.scalar(select(Product.stock_left).where(Product.id == sale_id))
        debited = -db.session.scalar(select(func.sum(PointsEntry.delta)).where(
            PointsEntry.kind == "spend", PointsEntry.member_id.in_(members)))
        balances = db.session.scalar(select(func.sum(PointsAccount.balance))
                                     .where(PointsAccount.member_id.in_(members)))
        problems, cursor = [], 0
        while cursor is not None:
            _n, found, cursor = reconcile.check_chunk(cursor, 1000)
            problems += found
    return {"sold": sold, "buyers": buyers, "stock_left": left, "debited": debited,
            "balance_drop": len(members) * START_POINTS - balances,
            "ledger_problems": len(problems),
            "ok": sold == units == buyers and left == 0 and debited == units * PRICE
            == len(members) * START_POINTS - balances and not problems}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="healthz / sold-out rounds")
    parser.add_argument("--port", type=int, default=18000 + os.getpid() % 1000)
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker "
                        "(more only queue on the GIL: 25 halved /healthz's rate here)")
    args = parser.parse_args()
    res, proc = Resources(), None
    res.create()
    try:
        env = dict(os.environ, DATABASE_URL=res.database_url, REDIS_URL=res.redis_url,
                   SECRET_KEY=uuid.uuid4().hex, JIFEN_ENV="development",
                   # one address plays every member, each many times: no abuse limits
                   RATE_LIMIT_REDEMPTION_PER_MEMBER="", RATE_LIMIT_REDEMPTION_PER_ADDRESS="")
        os.environ.update(env)
        from app import create_app

        app = create_app()
        print(f"seeding {res.database} ({args.members} members)…", flush=True)
        sale_id, raw_id, tokens = seed(app, args.members, args.units, 50_000)
        log = open(Path(tempfile.gettempdir()) / f"{res.database}-gunicorn.log", "w")
        proc = start_gunicorn(env, args.port, log, args.threads)
        report(app, res, args, proc, sale_id, raw_id, tokens)
    finally:
        stop(proc)
        res.drop()


def stock_left(app, product_id):
    from sqlalchemy import select

    from core.db import db
    from mall.models import Product

    with app.app_context():
        return db.session.scalar(select(Product.stock_left).where(Product.id == product_id))


def run_sale(app, args, sale_id, tokens):
    """The sale: `requests` redemptions, then (rarely needed) more until the database says
    sold out: units reserved in the gate by requests that then failed come back after others
    were told "sold out", and real clients retry. Returns (answers, plan size, sold-out times)."""
    plan = sale_plan(tokens, sale_id, args.requests)
    results = load(plan, args.port, args.concurrency)
    while stock_left(app, sale_id) > 0:
        more = sale_plan(tokens, sale_id, 200)
        plan, results = plan + more, results + load(more, args.port, args.concurrency)
    first, won, when = min(r[2] for r in results), set(), []
    for request, (status, _code, _start, end) in sorted(zip(plan, results), key=lambda x: x[1][3]):
        if status == 201 and request["key"] not in won:
            won.add(request["key"])
            when.append(end - first)
    answers = {}
    for status, code, *_ in results:
        answers[code or status] = answers.get(code or status, 0) + 1
    return answers, len(plan), when


def run_rounds(args, sale_id, tokens):
    """Alternating rounds of GET /healthz and of redemptions of the sold-out product."""
    health, health_rates, sold_out_rates, ids = {"method": "GET", "path": "/healthz"}, [], [], list(tokens)
    for _ in range(args.rounds):
        health_rates.append(rate(load([health] * 3000, args.port, args.concurrency)))
        plan = [redemption(tokens[random.choice(ids)], sale_id, uuid.uuid4().hex)
                for _ in range(3000)]
        results = load(plan, args.port, args.concurrency)
        odd = [r for r in results if r[1] != "out_of_stock"]
        assert not odd, f"the sold-out path answered otherwise: {odd[:5]}"
        sold_out_rates.append(rate(results))
    return statistics.median(health_rates), statistics.median(sold_out_rates)


def report(app, res, args, proc, sale_id, raw_id, tokens):
    token = next(iter(tokens.values()))
    load([{"method": "GET", "path": "/healthz"}] * 300
         + [{"method": "GET", "path": "/api/v1/mall/products",
             "headers": {"Authorization": f"Bearer {token}"}}] * 100,
         args.port, args.concurrency)  # warm both workers up
    answers, requests, when = run_sale(app, args, sale_id, tokens)
    health_rps, sold_out_rps = run_rounds(args, sale_id, tokens)
    stop(proc)  # the raw loop gets the machine to itself
    raw = raw_update_rate(res.database, raw_id, args.concurrency)
    truth = check(app, sale_id, args.units, list(tokens))
    sale_rate = len(when) / when[-1]
    print(f"\nflash sale: {args.units} units, {requests} requests at concurrency "
          f"{args.concurrency}; gunicorn 2 gthread workers × {args.threads} threads; MariaDB + "
          f"Redis on loopback\n  answers: {answers}; sold out {when[-1]:.2f} s after the first "
          f"request")
    print(f"(a) correctness: {'OK' if truth['ok'] else 'FAILED'}: sold {truth['sold']} units to "
          f"{truth['buyers']} members ({len(when)} keys answered 201), stock_left "
          f"{truth['stock_left']}, points debited {truth['debited']} (expected "
          f"{args.units * PRICE}; balances dropped {truth['balance_drop']}), ledger mismatches "
          f"{truth['ledger_problems']}")
    print(f"(b) sold-out path {sold_out_rps:.0f} req/s vs GET /healthz {health_rps:.0f} req/s: "
          f"ratio {sold_out_rps / health_rps:.2f} (goal ≥ 0.5; medians of {args.rounds} "
          f"alternating rounds of 3000 requests)")
    print(f"(c) successful redemptions {sale_rate:.0f}/s vs raw guarded UPDATE loop "
          f"{raw:.0f}/s at concurrency {args.concurrency}: ratio {sale_rate / raw:.3f} "
          f"(goal ≥ 0.2; even GET /healthz reaches only {health_rps / raw:.3f} of that loop "
          f"on this machine)")
    print(f"(d) successful redemptions {sale_rate:.0f}/s vs GET /healthz {health_rps:.0f} req/s: "
          f"ratio {sale_rate / health_rps:.3f} (goal ≥ 0.15)")
    if not truth["ok"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
