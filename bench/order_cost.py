"""What one POS order costs, in-process on MariaDB + Redis: statements, and CPU next to GET /healthz.

    .venv/bin/python bench/order_cost.py [--orders 600] [--members 500] [--show-statements]
                                         [--member-by code|number]

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
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda _c, _cur, sql, _p, _ctx, _many: statements.append(" ".join(sql.split()))  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    order("ONE", 0, names[0])  # a member's second order (a first one also claims "first order")
    event.remove(engine, "before_cursor_execute", listener)
    print(f"a member's next order: {len(statements)} SQL statements (and its commit)")
    for sql in statements if args.show_statements else ():
        print(f"  {sql[:150]}")
    servers = {name: server_cpu(name) for name in ("mariadbd", "redis-server")}
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(args.orders):
        order("T", i)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    servers = {name: server_cpu(name) - before for name, before in servers.items()}
    health = time.process_time()
    for _ in range(args.orders):
        client.get("/healthz")
    health = time.process_time() - health
    per = 1000 / args.orders
    print(f"per order: {cpu * per:.2f} ms CPU here ({wall * per:.2f} ms wall), MariaDB "
          f"{servers['mariadbd'] * per:.2f} ms, Redis {servers['redis-server'] * per:.2f} ms")
    print(f"per GET /healthz: {health * per:.2f} ms CPU here; an order costs "
          f"{cpu / health:.1f}× a /healthz in this process")


if __name__ == "__main__":
    main()
