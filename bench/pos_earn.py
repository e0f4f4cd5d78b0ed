"""POS earning benchmark: POST /pos/orders under gunicorn (2 workers) on MariaDB + Redis.

    .venv/bin/python bench/pos_earn.py [--orders 3000] [--concurrency 32] [--members 2000]
                                       [--member-by code|number]

Builds its own database with the migrations and the demo seed (store SH001 and its POS key),
adds members, starts gunicorn on loopback and drives it from a separate load process
(bench/load.py), every request HMAC-signed with a fresh nonce as a POS would. Prints, from one
run, at the same concurrency: GET /healthz requests/s; POS earn requests/s with p50/p99 and
their ratio to /healthz (goal ≥ 0.25); then earn p50/p99 when sent at half the peak earn rate
(open loop; goal p99 ≤ 50 ms); and checks every order credited exactly once.

Orders name their member as a till does when the customer shows the mini-program's member code
(--member-by code, fresh codes for every round), or by member number (--member-by number).

Each round measures /healthz, then earning, for about as long each (the machine is shared: its
speed drifts over a run); the ratio is the median of the rounds' own ratios, all of them shown.
"""
import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.flash_sale import Resources, load, rate, start_gunicorn, stop  # noqa: E402

KEY_ID, SECRET, STORE = "pk_demo_sh001", "demo-pos-secret-sh001", "SH001"


def seed(app, members):
    from flask_migrate import upgrade

    from core import clock
    from core.cli import seed_demo_data
    from core.db import db, run_in_transaction
    from members.models import Member
    from points import ledger as points

    def add(n):
        made = []
        for _ in range(n):
            member = Member(member_no=f"7{random.randrange(10**11):011d}", created_at=clock.now())
            db.session.add(member)
            db.session.flush()
            points.open_account(member.id)
            made.append(member.member_no)
        return made

    with app.app_context():
        upgrade()
        seed_demo_data()
        numbers = []
        while len(numbers) < members:
            numbers += run_in_transaction(lambda: add(min(500, members - len(numbers))))
        return numbers


def signed_order(member_no, order_no, amount_fen, named_by="member_no"):
    from core.auth import sign, signing_message

    path = "/api/v1/pos/orders"
    body = json.dumps({"store_code": STORE, "order_no": order_no, "amount_fen": amount_fen,
                       named_by: member_no,
                       "items": [{"sku": "MT-01", "category": "tea", "amount_fen": amount_fen // 2,
                                  "quantity": 1}]})
    ts, nonce = str(int(time.time())), uuid.uuid4().hex
    signature = sign(SECRET, signing_message("POST", path, ts, nonce, body.encode()))
    return {"method": "POST", "path": path, "body": body,
            "headers": {"X-Api-Key": KEY_ID, "X-Timestamp": ts, "X-Nonce": nonce,
                        "X-Signature": signature}}


def earn_plan(names, n, prefix):
    """`names`: (how, value) pairs, as member_names gives them."""
    chosen = (random.choice(names) for _ in range(n))
    return [signed_order(value, f"{prefix}-{i}", random.randrange(500, 50000), how)
            for i, (how, value) in enumerate(chosen)]


def member_names(app, numbers, by):
    """How orders name the members: their numbers, or member codes issued now, valid for 90 s
    (a member's current code is forgotten first: asked again within 60 s, issue_code would
    hand back the one it issued then, with less time left)."""
    if by == "number":
        return [("member_no", n) for n in numbers]
    from core.redis import get_redis, rkey
    from members import codes
    from members.lookup import member_by_no

    with app.app_context():
        members = [member_by_no(n) for n in numbers]
        get_redis().delete(*(rkey("mcode-of", m.id) for m in members))
        return [("member_code", codes.issue_code(m)[0]) for m in members]


def latencies(results):
    ms = sorted((r[3] - r[2]) * 1000 for r in results)
    return ms[len(ms) // 2], ms[int(len(ms) * 0.99) - 1]


def recorded(app, order_prefix: str | None = None):
    """(orders, order credits, ledger mismatches) in the database (orders whose number starts
    with `order_prefix`, if given)."""
    from sqlalchemy import func, select

    from core.db import db
    from points.earning.models import Order
    from points.ledger.models import PointsEntry
    from points.ledger.reconcile import check_chunk

    with app.app_context():
        query = select(func.count()).select_from(Order)
        if order_prefix:
            query = query.where(Order.order_no.like(order_prefix + "%"))
        orders = db.session.scalar(query)
        credits = db.session.scalar(select(func.count()).select_from(PointsEntry)
                                    .where(PointsEntry.ref_type == "order"))
        problems, cursor = [], 0
        while cursor is not None:
            _n, found, cursor = check_chunk(cursor)
            problems += found
        return orders, credits, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--member-by", choices=("code", "number"), default="code")
    parser.add_argument("--port", type=int, default=19000 + os.getpid() % 1000)
    args = parser.parse_args()
    res, proc = Resources(), None
    res.create()
    try:
        env = dict(os.environ, DATABASE_URL=res.database_url, REDIS_URL=res.redis_url,
                   SECRET_KEY=uuid.uuid4().hex, JIFEN_ENV="development", LOG_LEVEL="WARNING")
        os.environ.update(env)
        from app import create_app

        app = create_app()
        print(f"seeding {res.database} ({args.members} members)…", flush=True)
        numbers = seed(app, args.members)
        log = open(Path(tempfile.gettempdir()) / f"{res.database}-gunicorn.log", "w")
        proc = start_gunicorn(env, args.port, log, args.threads)
        run(app, args, numbers)
    finally:
        stop(proc)
        res.drop()


def run(app, args, numbers):
    health = {"method": "GET", "path": "/healthz"}
    names = lambda: member_names(app, numbers, args.member_by)  # noqa: E731 (fresh codes)
    load([health] * 500 + earn_plan(names(), 200, "W"), args.port, args.concurrency)  # warm-up
    health_rates, earn_rates, earn_lat, sent = [], [], [], 200
    for r in range(args.rounds):  # /healthz runs about 4× faster: 4× the requests, as long
        health_rates.append(rate(load([health] * args.orders * 4, args.port, args.concurrency)))
        results = load(earn_plan(names(), args.orders, f"B{r}"), args.port, args.concurrency)
        bad = [x for x in results if x[0] != 201]
        assert not bad, f"earn requests failed: {bad[:5]}"
        earn_rates.append(rate(results))
        earn_lat.append(latencies(results))
        sent += args.orders
    health_rps, earn_rps = statistics.median(health_rates), statistics.median(earn_rates)
    ratios = [e / h for e, h in zip(earn_rates, health_rates)]
    half = earn_rps / 2
    paced = _paced(args, names(), half)
    orders, credits, problems = recorded(app, "B")
    p50, p99 = sorted(earn_lat)[len(earn_lat) // 2]
    print(f"\nPOS earning: {args.orders} signed orders per round, {args.rounds} rounds, "
          f"concurrency {args.concurrency}; member by {args.member_by}; gunicorn 2 gthread "
          f"workers × {args.threads} threads; MariaDB + Redis on loopback")
    print(f"  GET /healthz {health_rps:.0f} req/s; POST /pos/orders {earn_rps:.0f} req/s "
          f"(p50 {p50:.1f} ms, p99 {p99:.1f} ms at full load)")
    print(f"  earn / healthz = {statistics.median(ratios):.3f} (goal ≥ 0.25; the rounds: "
          f"{', '.join(f'{r:.3f}' for r in ratios)})")
    print(f"  at half the peak ({half:.0f} req/s, open loop): achieved {paced['rate']:.0f} req/s, "
          f"p50 {paced['p50']:.1f} ms, p99 {paced['p99']:.1f} ms (goal p99 ≤ 50 ms)")
    others = _demo_orders(app)  # warm-up and seeded orders
    print(f"  exactly once: {orders + others} orders recorded ({orders} timed, {others} warm-up "
          f"and seed), {credits} order credits, ledger mismatches {len(problems)}")
    if orders + others != credits or problems:
        sys.exit(1)


def _paced(args, names, per_second):
    n = max(int(per_second * 10), 200)  # about ten seconds
    results = _load_paced(earn_plan(names, n, "BP"), args.port, per_second)
    bad = [x for x in results if x[0] != 201]
    assert not bad, f"paced earn requests failed: {bad[:5]}"
    p50, p99 = latencies(results)
    return {"rate": rate(results), "p50": p50, "p99": p99}


def _load_paced(plan, port, per_second):
    import subprocess

    with tempfile.TemporaryDirectory() as tmp:
        plan_path, out_path = Path(tmp, "plan.json"), Path(tmp, "results.json")
        plan_path.write_text(json.dumps(plan))
        subprocess.run([sys.executable, str(ROOT / "bench" / "load.py"), str(plan_path),
                        str(out_path), "--port", str(port), "--concurrency", "64",
                        "--rate", str(per_second)], check=True)
        return json.loads(out_path.read_text())


def _demo_orders(app):
    from sqlalchemy import func, select

    from core.db import db
    from points.earning.models import Order

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Order)
                                 .where(~Order.order_no.like("B%")))


if __name__ == "__main__":
    main()
