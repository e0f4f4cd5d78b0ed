"""What one spend costs, in-process on MariaDB + Redis: statements, and CPU next to GET /healthz.

    .venv/bin/python bench/spend_cost.py [--spends 400] [--members 200] [--show-statements]

Builds its own database (migrations, demo seed, members with points, a product of each kind,
a lottery), sends POST /mall/redemptions and POST /lotteries/{id}/draws through the Flask test
client (no gunicorn, no load generator), and prints the statements one redemption of each
kind and one draw of each outcome run, then the CPU time per redemption and per draw of this
process and of MariaDB and Redis (from /proc), next to the same process's CPU per GET /healthz
measured in the same run. bench/order_cost.py does the same for a till order;
bench/flash_sale.py and bench/lottery.py measure throughput under gunicorn.
"""
import argparse
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.flash_sale import Resources  # noqa: E402
from bench.order_cost import server_cpu  # noqa: E402

START_POINTS = 1_000_000


def seed(app, members: int) -> tuple[dict, dict]:
    """Members with START_POINTS each (tokens by id), and a product of each kind and
    lotteries whose one prize is of each kind (ids)."""
    from flask_migrate import upgrade

    from core import clock
    from core.auth import issue_member_token
    from core.cli import seed_demo_data
    from core.db import db, run_in_transaction
    from mall import catalog
    from mall.jobs import run_gate_rebuild
    from members.models import Member
    from points import ledger

    def add(n):
        made = []
        for _ in range(n):
            member = Member(member_no=f"6{random.randrange(10**9):09d}", created_at=clock.now())
            db.session.add(member)
            db.session.flush()
            ledger.credit(member.id, START_POINTS, kind="earn", key=f"bench:{member.id}")
            made.append(member.id)
        return made

    def products():
        terms = {"deduct_fen": 500, "min_spend_fen": 0, "valid_days": 7}
        return {kind: catalog.create_product({
            "title": f"bench {kind}", "kind": kind, "points_price": 10, "stock": 1_000_000,
            **({"coupon": terms} if kind == "coupon" else {})}).id
            for kind in ("gift", "coupon", "virtual")}

    def lotteries(products):
        from datetime import timedelta

        from lottery import catalog as lottery_catalog

        now, prizes = clock.now(), {
            "none": {"kind": "none"}, "points": {"kind": "points", "points": 5},
            "coupon": {"kind": "coupon", "product_id": products["coupon"], "stock": 1_000_000},
            "gift": {"kind": "gift", "product_id": products["gift"], "stock": 1_000_000}}
        return {f"draw {outcome}": lottery_catalog.create_lottery({
            "name": f"bench {outcome}", "cost_points": 10, "starts_at": now,
            "ends_at": now + timedelta(days=1), "store_codes": [],
            "prizes": [{"name": outcome, "weight": 1, **prize}]}).id
            for outcome, prize in prizes.items()}

    with app.app_context():
        upgrade()
        seed_demo_data()
        ids = []
        while len(ids) < members:
            ids += run_in_transaction(lambda: add(min(200, members - len(ids))))
        made = run_in_transaction(products)
        made.update(run_in_transaction(lambda: lotteries(made)))
        run_gate_rebuild()
        return {mid: issue_member_token(mid) for mid in ids}, made


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spends", type=int, default=400)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--show-statements", action="store_true")
    args = parser.parse_args()
    res = Resources()
    res.create()
    try:
        os.environ.update(DATABASE_URL=res.database_url, REDIS_URL=res.redis_url,
                          SECRET_KEY=uuid.uuid4().hex, JIFEN_ENV="development", LOG_LEVEL="WARNING")
        from app import create_app

        app = create_app()
        tokens, products = seed(app, args.members)
        measure(app, tokens, products, args)
    finally:
        res.drop()


def statements_of(app, call) -> list[str]:
    from sqlalchemy import event

    from core.db import db

    with app.app_context():
        engine = db.engine
    seen = []

    def listener(_conn, _cursor, sql, _params, _context, _many):
        seen.append(" ".join(sql.split()))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return seen


def measure(app, tokens, made, args):
    client, members = app.test_client(), list(tokens)

    def post(path, body, member=None):
        token = tokens[member or random.choice(members)]
        response = client.post(path, data=json.dumps(body) if body else None,
                               headers={"Authorization": f"Bearer {token}",
                                        "Idempotency-Key": uuid.uuid4().hex,
                                        "Content-Type": "application/json"})
        assert response.status_code == 201, response.get_data(as_text=True)

    def redeem(kind, member=None):
        post("/api/v1/mall/redemptions", {"product_id": made[kind], "quantity": 1}, member)

    def draw(outcome, member=None):
        post(f"/api/v1/lotteries/{made[f'draw {outcome}']}/draws", None, member)

    for i in range(60):  # warm-up: caches, compiled statements, pooled connections
        redeem(("gift", "coupon", "virtual")[i % 3], members[0] if i < 3 else None)
        draw(("none", "points", "coupon", "gift")[i % 4], members[0] if i < 4 else None)
        client.get("/healthz")
    for kind in ("gift", "coupon", "virtual"):
        show(app, f"a member's next {kind} redemption", lambda: redeem(kind, members[0]), args)
    for outcome in ("none", "points", "coupon", "gift"):
        show(app, f"a member's next draw winning {outcome}", lambda: draw(outcome, members[0]),
             args)
    report(client, args.spends, "redemption", lambda i: redeem(("gift", "virtual")[i % 2]))
    report(client, args.spends, "draw", lambda i: draw(("none", "points")[i % 2]))


def show(app, what, call, args):
    seen = statements_of(app, call)
    print(f"{what}: {len(seen)} SQL statements (and its commit)")
    for sql in seen if args.show_statements else ():
        print(f"  {sql[:150]}")


def report(client, n, what, spend):
    servers = {name: server_cpu(name) for name in ("mariadbd", "redis-server")}
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(n):
        spend(i)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    servers = {name: server_cpu(name) - before for name, before in servers.items()}
    health = time.process_time()
    for _ in range(n):
        client.get("/healthz")
    health = time.process_time() - health
    per = 1000 / n
    print(f"per {what}: {cpu * per:.2f} ms CPU here ({wall * per:.2f} ms wall), MariaDB "
          f"{servers['mariadbd'] * per:.2f} ms, Redis {servers['redis-server'] * per:.2f} ms")
    print(f"per GET /healthz: {health * per:.2f} ms CPU here; a {what} costs "
          f"{cpu / health:.1f}× a /healthz in this process")


if __name__ == "__main__":
    main()
