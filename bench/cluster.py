"""POS orders/s on a 3-node MariaDB Galera cluster (the app's connections spread over the
nodes, DATABASE_URLS) next to one MariaDB server, in the same run; p99 at half each one's
peak; 1213 conflicts retried per 1,000 orders; every order credited exactly once.

    .venv/bin/python bench/cluster.py [--orders 1500] [--concurrency 32] [--rounds 2]

The single server is the shared one on 3306 (a database of the bench's own); the cluster is
started by ops/cluster/galera.sh in a temporary directory (its start-up time is printed: what
the cluster adds to CI) and destroyed afterwards. Both run under the same gunicorn (2 gthread
workers) and the same Redis. No goal on the ratio: Galera trades write throughput for
availability; the goal is zero lost or doubled orders.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.flash_sale import Resources, load, rate, start_gunicorn, stop  # noqa: E402
from bench.pos_earn import (_paced, earn_plan, latencies, member_names, recorded,  # noqa: E402
                            seed)


def measure(app, args, env, label):
    from core.db import db

    db.use(app.config)
    numbers = seed(app, args.members)
    log_path = Path(tempfile.gettempdir()) / f"jifen-bench-cluster-{label}-{os.getpid()}.log"
    port = args.port + (1 if label == "galera" else 0)
    proc = start_gunicorn(env, port, open(log_path, "w"), args.threads)
    try:
        args.port_now = port
        names = member_names(app, numbers, "number")
        load(earn_plan(names, 200, f"W{label}"), port, args.concurrency)  # warm-up
        rates, lat = [], []
        for r in range(args.rounds):
            results = load(earn_plan(names, args.orders, f"B{r}"), port, args.concurrency)
            bad = [x for x in results if x[0] != 201]
            assert not bad, f"{label}: earn requests failed: {bad[:5]}"
            rates.append(rate(results))
            lat.append(latencies(results))
        peak = statistics.median(rates)
        paced = _paced(argparse.Namespace(port=port), names, peak / 2)
    finally:
        stop(proc)
    # every request was answered 201 (asserted): warm-up, rounds, and the paced run's
    acknowledged = 200 + args.orders * args.rounds + max(int(peak / 2 * 10), 200)
    retries = log_path.read_text().count("retrying transaction")
    orders, credits, problems = recorded(app)
    return {"rps": peak, "p99_full": sorted(lat)[len(lat) // 2][1], "paced": paced,
            "retries": retries, "acknowledged": acknowledged, "orders": orders,
            "credits": credits, "problems": len(problems)}


def storage_per_row(app) -> dict:
    """Bytes per row (data + indexes) of the tables an order writes, and Redis bytes per POS
    nonce key: the capacity plan's unit costs (README, "Scaling")."""
    from sqlalchemy import text

    from core.db import db
    from core.redis import get_redis

    tables = ("orders", "points_entries", "points_lots", "points_accounts")
    out = {}
    with app.app_context():
        for table in tables:
            db.session.execute(text(f"ANALYZE TABLE {table}")).all()
            rows, data, index = db.session.execute(text(
                "SELECT table_rows, data_length, index_length FROM information_schema.tables "
                "WHERE table_schema = DATABASE() AND table_name = :t"), {"t": table}).one()
            out[table] = (data + index) / max(rows, 1)
        redis = get_redis()
        keys = [k for _, k in zip(range(200), redis.scan_iter(match="*pos-nonce*", count=1000))]
        out["redis"] = (sum(redis.memory_usage(k) or 0 for k in keys) / len(keys)) if keys else 0
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--tx-retries", type=int, default=8,
                        help="TX_RETRIES for both (Galera: certification conflicts on hot rows)")
    parser.add_argument("--port", type=int, default=19500 + os.getpid() % 400)
    args = parser.parse_args()
    from tests.galera import Servers, create_database, url

    servers = Servers(tempfile.mkdtemp(prefix="jifen-bench-galera-"))
    started = time.monotonic()
    servers.run("start")
    startup = time.monotonic() - started
    res = Resources()
    res.create()
    try:
        name = create_database(servers.node_ports()[0])
        urls = ",".join(url(p, name) for p in servers.node_ports())
        base = dict(os.environ, REDIS_URL=res.redis_url, SECRET_KEY=uuid.uuid4().hex,
                    JIFEN_ENV="development", LOG_LEVEL="WARNING",
                    TX_RETRIES=str(args.tx_retries))
        single_env = dict(base, DATABASE_URL=res.database_url)
        galera_env = dict(base, DATABASE_URLS=urls)
        galera_env.pop("DATABASE_URL", None)
        os.environ.update(single_env)
        from app import create_app

        app = create_app()
        figures = {"single": measure(app, args, single_env, "single")}
        sizes = storage_per_row(app)
        from core.redis import get_redis

        with app.app_context():
            get_redis().flushdb()
        app.config.update(DATABASE_URLS=urls.split(","), DATABASE_URL=urls.split(",")[0])
        figures["galera"] = measure(app, args, galera_env, "galera")
        report(figures, startup, args)
        print("  per row, single server (InnoDB avg_row_length + indexes / rows): " + ", ".join(
            f"{table} {size:.0f} B" for table, size in sizes.items() if table != "redis")
            + f"; Redis per POS nonce key {sizes['redis']:.0f} B")
    finally:
        res.drop()
        servers.run("destroy")


def report(figures, startup, args):
    print(f"\nPOS orders, {args.orders} per round × {args.rounds}, concurrency {args.concurrency},"
          f" gunicorn 2 × {args.threads} threads, TX_RETRIES {args.tx_retries}, same Redis; Galera "
          f"started in {startup:.1f} s")
    for label, f in figures.items():
        paced = f["paced"]
        print(f"  {label:7} {f['rps']:6.0f} orders/s (p99 {f['p99_full']:.0f} ms at full load); "
              f"at half the peak p99 {paced['p99']:.1f} ms; retried transactions "
              f"{1000 * f['retries'] / f['acknowledged']:.0f} per 1,000 orders; "
              f"{f['acknowledged']} orders answered 201, {f['orders']} recorded (with the demo's),"
              f" {f['credits']} credited, ledger mismatches {f['problems']}")
    print(f"  galera / single = {figures['galera']['rps'] / figures['single']['rps']:.2f}")
    if any(f["orders"] != f["credits"] or f["orders"] < f["acknowledged"] or f["problems"]
           for f in figures.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
