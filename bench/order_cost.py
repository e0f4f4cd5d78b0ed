"""What one POS order costs, in-process on MariaDB + Redis: statements, and CPU next to GET /healthz.

    .venv/bin/python bench/order_cost.py [--orders 600] [--members 500] [--show-statements]
                                         [--member-by code|number]

Measured twice in the same run: without a store campaign, then with SH001's own campaign (a
bonus funded by the store's monthly budget) applying to every order; the goal is at most one
more statement per order (the budget's guarded UPDATE; the store's lot goes in the same INSERT).

Builds its own database (migrations, demo seed, members), sends signed POST /pos/orders through
the Flask test client (no gunicorn, no load generator), and prints the statements one new order
runs, then the CPU time per order of this process and of MariaDB and Redis (from /proc), next
to the same process's CPU per GET /healthz measured in the same run. Orders name their member
by a member code, as a till scanning the mini-program does, or by number. bench/pos_earn.py
measures throughput under gunicorn; this one says where an order's cost goes.
"""
import argparse
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.flash_sale import Resources  # noqa: E402
from bench.pos_earn import member_names, seed, signed_order  # noqa: E402


def server_cpu(name) -> float:
    """Seconds of CPU the named server process has used (0 if it is not on this machine)."""
    pids = os.popen(f"pgrep -x {name}").read().split()
    if not pids:
        return 0.0
    fields = Path(f"/proc/{pids[0]}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=600)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--show-statements", action="store_true")
    parser.add_argument("--member-by", choices=("code", "number"), default="code")
    args = parser.parse_args()
    res = Resources()
    res.create()
    try:
        os.environ.update(DATABASE_URL=res.database_url, REDIS_URL=res.redis_url,
                          SECRET_KEY=uuid.uuid4().hex, JIFEN_ENV="development", LOG_LEVEL="WARNING")
        from app import create_app

        app = create_app()
        measure(app, seed(app, args.members), args)
    finally:
        res.drop()


def measure(app, numbers, args):
    from sqlalchemy import event

    from core.db import db

    client = app.test_client()
    names = member_names(app, numbers, args.member_by)  # codes stay valid for 90 s: enough here

    def order(prefix, i, name=None):
        how, value = name or random.choice(names)
        request = signed_order(value, f"{prefix}-{i}", random.randrange(500, 50000), how)
        response = client.post(request["path"], data=request["body"],
                               headers={**request["headers"], "Content-Type": "application/json"})
        assert response.status_code == 201, response.get_data(as_text=True)

    for i in range(50):  # warm-up: caches, compiled statements, pooled connections
        order("W", i, names[0] if i == 0 else None)
        client.get("/healthz")
    with app.app_context():
        engine = db.engine
    means = {}
    for label, campaign in (("without a store campaign", False), ("with a store campaign", True)):
        store_campaign(app, campaign)
        names[:] = member_names(app, numbers, args.member_by)  # fresh codes (valid 90 s)
        for i in range(10):  # warm-up again: the campaign's statements and caches
            order(f"W{campaign:d}", i)
        statements = []
        listener = lambda _c, _cur, sql, _p, _ctx, _many: statements.append(" ".join(sql.split()))  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        order(f"ONE{campaign:d}", 0, names[0])  # a member's next order (a first one also claims "first order")
        event.remove(engine, "before_cursor_execute", listener)
        print(f"{label}: a member's next order: {len(statements)} SQL statements (and its commit)")
        for sql in statements if args.show_statements else ():
            print(f"  {sql[:150]}")
        counted = []
        counter = lambda *_a: counted.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", counter)
        for i in range(COUNTED):  # the mean over many orders: a tier upgrade or a month's first
            order(f"C{campaign:d}", i)  # budget row adds a statement to some
        event.remove(engine, "before_cursor_execute", counter)
        means[campaign] = len(counted) / COUNTED
        print(f"  over {COUNTED} orders: {means[campaign]:.2f} statements per order")
    costs = {False: [], True: []}
    per_round = max(args.orders // ROUNDS, 1)
    for r in range(ROUNDS):  # alternating, so the shared machine's drift hits both alike
        for campaign in (False, True):
            store_campaign(app, campaign)
            names[:] = member_names(app, numbers, args.member_by)
            servers = {name: server_cpu(name) for name in ("mariadbd", "redis-server")}
            cpu, wall = time.process_time(), time.perf_counter()
            for i in range(per_round):
                order(f"T{campaign:d}-{r}", i)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            servers = {name: server_cpu(name) - before for name, before in servers.items()}
            health = time.process_time()
            for _ in range(per_round):
                client.get("/healthz")
            health = time.process_time() - health
            per = 1000 / per_round
            print(f"round {r + 1}, {'with' if campaign else 'without'} a store campaign: per order "
                  f"{cpu * per:.2f} ms CPU here ({wall * per:.2f} ms wall), MariaDB "
                  f"{servers['mariadbd'] * per:.2f} ms, Redis {servers['redis-server'] * per:.2f} ms;"
                  f" {cpu / health:.1f}× a /healthz ({health * per:.2f} ms)")
            costs[campaign].append(cpu / health)
    ratios = [b / a for a, b in zip(costs[False], costs[True])]
    print(f"a store campaign adds {means[True] - means[False]:.2f} statement(s) per order (goal ≤ 1); "
          f"its CPU (× /healthz) is {statistics.median(ratios):.2f} of an order without one "
          f"(median of the rounds: {', '.join(f'{x:.2f}' for x in ratios)})")


ROUNDS = 5
COUNTED = 200


def store_campaign(app, on: bool):
    """The demo's SH001 campaign applying to every order (a big budget), or switched off."""
    from sqlalchemy import select

    from core.db import db, run_in_transaction
    from points.campaigns import policy
    from points.earning.models import Promotion

    def switch():
        policy.save_store_policy({"monthly_budget_points": 10**8})
        for promotion in db.session.scalars(select(Promotion).where(Promotion.store_id.is_not(None))):
            promotion.active = on and promotion.status == "approved"
            promotion.min_amount_fen = 0

    with app.app_context():
        run_in_transaction(switch)


if __name__ == "__main__":
    main()
