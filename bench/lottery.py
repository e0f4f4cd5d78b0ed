"""Lottery benchmark: draws under gunicorn on MariaDB + Redis, next to GET /healthz.

    .venv/bin/python bench/lottery.py [--draws 2000] [--concurrency 64] [--members 1000]
                                      [--rounds 3]

Builds its own database (jifen_bench_<random>) with the migrations, the demo seed, members with
points and a lottery (points, a coupon and a gift with stock, 谢谢参与), claims a free Redis
database number, starts gunicorn (2 gthread workers) on loopback and drives it from a separate
load process (bench/load.py). Alternating rounds of GET /healthz and of draws (a tenth of them
double taps: the same Idempotency-Key twice), at the same concurrency. Prints, from one run:
  (a) correctness: one draw per key answered 201, no prize awarded beyond its stock, every
      draw's points debited, the ledger consistent, every draw's proof recomputed;
  (b) draws/s next to GET /healthz's requests/s (goal ≥ 0.15; medians of the rounds' own
      ratios, all shown).
Exits 1 if correctness fails. Everything it created is dropped at the end.
"""
import argparse
import os
import random
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.flash_sale import Resources, load, rate, start_gunicorn, stop  # noqa: E402

COST, START_POINTS = 10, 100_000
STOCK = {"coupon": 300, "gift": 60}


def seed(app, members: int):
    """Members with START_POINTS each (tokens by id) and the lottery (its id)."""
    from datetime import timedelta

    from flask_migrate import upgrade
    from sqlalchemy import select

    from core import clock
    from core.auth import issue_member_token
    from core.cli import seed_demo_data
    from core.db import db, run_in_transaction
    from lottery import catalog
    from mall.models import Product
    from members.models import Member
    from points import ledger

    def add(n):
        made = []
        for _ in range(n):
            member = Member(member_no=f"5{random.randrange(10**9):09d}", created_at=clock.now())
            db.session.add(member)
            db.session.flush()
            ledger.credit(member.id, START_POINTS, kind="earn", key=f"bench:{member.id}")
            made.append(member.id)
        return made

    def lottery():
        product = {kind: db.session.scalar(select(Product.id).filter_by(kind=kind, active=True)
                                           .where(Product.starts_at.is_(None)))
                   for kind in STOCK}
        now = clock.now()
        return catalog.create_lottery({
            "name": "bench lottery", "cost_points": COST, "starts_at": now,
            "ends_at": now + timedelta(days=1), "store_codes": [], "prizes": [
                {"name": "10 积分", "kind": "points", "points": 10, "weight": 30},
                {"name": "券", "kind": "coupon", "product_id": product["coupon"], "weight": 5,
                 "stock": STOCK["coupon"]},
                {"name": "礼品", "kind": "gift", "product_id": product["gift"], "weight": 2,
                 "stock": STOCK["gift"]},
                {"name": "谢谢参与", "kind": "none", "weight": 63}]}).id

    with app.app_context():
        upgrade()
        seed_demo_data()
        ids = []
        while len(ids) < members:
            ids += run_in_transaction(lambda: add(min(200, members - len(ids))))
        return run_in_transaction(lottery), {mid: issue_member_token(mid) for mid in ids}


def draw_request(token, lottery_id, key):
    return {"method": "POST", "path": f"/api/v1/lotteries/{lottery_id}/draws",
            "headers": {"Authorization": f"Bearer {token}", "Idempotency-Key": key},
            "body": None, "key": key}


def draw_plan(tokens, lottery_id, n):
    """`n` draws by random members, a tenth of them double taps."""
    plan, members = [], list(tokens)
    while len(plan) < n:
        key, token = uuid.uuid4().hex, tokens[random.choice(members)]
        plan.append(draw_request(token, lottery_id, key))
        if random.random() < 0.1:
            plan.append(draw_request(token, lottery_id, key))
    random.shuffle(plan)
    return plan[:n]


def run_rounds(args, lottery_id, tokens):
    """Alternating rounds of GET /healthz and of draws: (health rates, draw rates — draws
    made, a double tap's replay not counted —, answers, keys answered 201)."""
    health = {"method": "GET", "path": "/healthz"}
    health_rates, draw_rates, answers, won_keys = [], [], {}, set()
    for _ in range(args.rounds):
        health_rates.append(rate(load([health] * args.draws, args.port, args.concurrency)))
        plan = draw_plan(tokens, lottery_id, args.draws)
        results = load(plan, args.port, args.concurrency)
        drawn = {request["key"] for request, r in zip(plan, results) if r[0] == 201}
        draw_rates.append(len(drawn) / (max(r[3] for r in results) - min(r[2] for r in results)))
        for request, (status, code, *_rest) in zip(plan, results):
            answers[code or status] = answers.get(code or status, 0) + 1
            if status == 201:
                won_keys.add(request["key"])
    return health_rates, draw_rates, answers, won_keys


def check(app, lottery_id, keys: set, members):
    """What the database says after the run."""
    from sqlalchemy import func, select

    from core.db import db
    from lottery import proofs
    from lottery.models import LotteryDraw, LotteryPrize
    from points.ledger import reconcile
    from points.ledger.models import PointsEntry

    with app.app_context():
        draws = db.session.scalar(select(func.count()).select_from(LotteryDraw)
                                  .where(LotteryDraw.lottery_id == lottery_id))
        distinct = db.session.scalar(select(func.count(func.distinct(
            LotteryDraw.idempotency_key))).where(LotteryDraw.lottery_id == lottery_id))
        over = []
        for prize in db.session.scalars(select(LotteryPrize).where(
                LotteryPrize.lottery_id == lottery_id, LotteryPrize.stock_total.is_not(None))):
            won = db.session.scalar(select(func.count()).select_from(LotteryDraw).where(
                LotteryDraw.prize_id == prize.id, LotteryDraw.status == "won"))
            if won + prize.stock_left != prize.stock_total or prize.stock_left < 0:
                over.append(prize.name)
        debited = -db.session.scalar(select(func.sum(PointsEntry.delta)).where(
            PointsEntry.kind == "draw", PointsEntry.member_id.in_(members)))
        problems, cursor = [], 0
        while cursor is not None:
            _n, found, cursor = reconcile.check_chunk(cursor, 1000)
            problems += found
        unproven, checked, cursor = [], 0, 0
        while cursor is not None:
            n, found, cursor = proofs.verify_chunk(lottery_id, cursor)
            checked, unproven = checked + n, unproven + found
    return {"draws": draws, "keys": len(keys), "distinct": distinct, "over_stock": over,
            "debited": debited, "ledger_problems": len(problems), "proofs": checked,
            "unproven": len(unproven),
            "ok": draws == len(keys) == distinct and not over and debited == COST * draws
            and not problems and not unproven and checked == draws}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=2000, help="requests per draw round")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=19000 + os.getpid() % 1000)
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker")
    args = parser.parse_args()
    res, proc = Resources(), None
    res.create()
    try:
        env = dict(os.environ, DATABASE_URL=res.database_url, REDIS_URL=res.redis_url,
                   SECRET_KEY=uuid.uuid4().hex, JIFEN_ENV="development")
        os.environ.update(env)
        from app import create_app

        app = create_app()
        print(f"seeding {res.database} ({args.members} members)…", flush=True)
        lottery_id, tokens = seed(app, args.members)
        log = open(Path(tempfile.gettempdir()) / f"{res.database}-gunicorn.log", "w")
        proc = start_gunicorn(env, args.port, log, args.threads)
        report(app, args, proc, lottery_id, tokens)
    finally:
        stop(proc)
        res.drop()


def report(app, args, proc, lottery_id, tokens):
    token = next(iter(tokens.values()))
    warm = [draw_request(token, lottery_id, uuid.uuid4().hex) for _ in range(100)]
    results = load([{"method": "GET", "path": "/healthz"}] * 300 + warm, args.port,
                   args.concurrency)  # warm both workers up (these draws are checked too)
    warm_keys = {r["key"] for r, (status, *_rest) in zip(warm, results[300:]) if status == 201}
    health, draws, answers, keys = run_rounds(args, lottery_id, tokens)
    stop(proc)
    keys |= warm_keys
    truth = check(app, lottery_id, keys, list(tokens))
    ratios = [d / h for d, h in zip(draws, health)]
    print(f"\nlottery: {args.rounds} rounds of {args.draws} draw requests (a tenth double "
          f"taps) at concurrency {args.concurrency}; gunicorn 2 gthread workers × "
          f"{args.threads} threads; MariaDB + Redis on loopback\n  answers: {answers}")
    print(f"(a) correctness: {'OK' if truth['ok'] else 'FAILED'}: {truth['draws']} draws for "
          f"{truth['keys']} keys answered 201 ({truth['distinct']} distinct keys drawn), "
          f"prizes over stock {truth['over_stock'] or 'none'}, points debited "
          f"{truth['debited']} (= {COST} × draws), ledger mismatches "
          f"{truth['ledger_problems']}, proofs recomputed {truth['proofs']} "
          f"({truth['unproven']} mismatches)")
    print(f"(b) draws {statistics.median(draws):.0f}/s vs GET /healthz "
          f"{statistics.median(health):.0f} req/s: ratio {statistics.median(ratios):.3f} "
          f"(goal ≥ 0.15; rounds: {', '.join(f'{r:.3f}' for r in ratios)})")
    if not truth["ok"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
