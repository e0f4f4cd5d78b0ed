"""Ledger benchmark on MariaDB: the expiry sweep against raw SQL, its scaling, and GET /me/points
for a member with a long history.

    .venv/bin/python bench/ledger.py [--lots 1000000] [--small 100000] [--entries 100000]
    .venv/bin/python bench/ledger.py --quick          # 1/10 of everything, about a minute

(a) The sweep (`points.ledger.sweep.expire_chunk`, `--chunk` lots a transaction, the default of
    `flask points expire`) over `--lots` due lots, 5 per member, next to a raw chunked
    `INSERT … SELECT` + `UPDATE` in chunks of the same size doing the same writes (an expire
    entry per member, an allocation per lot, lots zeroed, balances and versions updated) on an
    identical copy, in the same run. Goal: sweep ≥ 25% of raw; 1M lots in under 2 minutes. Then
    the same sweep over `--small` lots: the time per lot should not grow with the table (goal:
    10× the lots ≤ 11× the time). Before each timed part MariaDB is left to write out the
    pages the load (or the other sweep) dirtied, so neither pays for the other's writes.
(b) GET /me/points in-process (Flask test client) for a member with `--entries` journal
    entries, p50/p99 next to GET /healthz. Goal: p99 ≤ 10 ms.

Data are loaded with set-based SQL from MariaDB's sequence engine (seq_1_to_N), not row by
row. Each run builds its own databases (jifen_bench_<random>) and drops them.
"""
import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pymysql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.flash_sale import Resources, mysql_parts  # noqa: E402
from points.ledger.sweep import SWEEP_CHUNK

LOTS_PER_MEMBER, POINTS = 5, 10
AS_OF = datetime(2026, 6, 30, 16, 0, tzinfo=timezone.utc)
NOW = "2025-06-01 00:00:00"
TABLES = ("members", "points_accounts", "points_entries", "points_lots", "points_allocations")


def connect(database):
    return pymysql.connect(database=database, autocommit=True, **mysql_parts())


def load(database, lots):
    """`lots` due lots, 5 per member, each from its own earn entry; ledger-consistent."""
    members = lots // LOTS_PER_MEMBER
    due = AS_OF.replace(tzinfo=None)
    with connect(database) as conn, conn.cursor() as cur:
        cur.execute("SET FOREIGN_KEY_CHECKS = 0")
        cur.execute(f"INSERT INTO members (id, member_no, invite_code, origin, status, created_at) "
                    f"SELECT seq, CONCAT('7', LPAD(seq, 11, '0')), CONCAT('B', seq), 'wechat', "
                    f"'active', '{NOW}' FROM seq_1_to_{members}")
        cur.execute(f"INSERT INTO points_accounts (member_id, balance, lifetime_earned, version) "
                    f"SELECT seq, {POINTS * LOTS_PER_MEMBER}, {POINTS * LOTS_PER_MEMBER}, "
                    f"{LOTS_PER_MEMBER} FROM seq_1_to_{members}")
        cur.execute(f"INSERT INTO points_entries (id, member_id, kind, delta, balance_after, "
                    f"debt_change, idempotency_key, created_at) SELECT seq, "
                    f"(seq - 1) DIV {LOTS_PER_MEMBER} + 1, 'earn', {POINTS}, "
                    f"((seq - 1) MOD {LOTS_PER_MEMBER} + 1) * {POINTS}, 0, CONCAT('bench:', seq), "
                    f"'{NOW}' FROM seq_1_to_{lots}")
        # expiry spread over the last 30 days before AS_OF, so chunks cross many members
        cur.execute(f"INSERT INTO points_lots (id, member_id, amount, remaining, expires_at, "
                    f"entry_id, birthday_extended, created_at) SELECT seq, "
                    f"(seq - 1) DIV {LOTS_PER_MEMBER} + 1, {POINTS}, {POINTS}, "
                    f"'{due:%Y-%m-%d %H:%M:%S}' - INTERVAL (seq * 7919 MOD 2592000) SECOND, seq, 0, "
                    f"'{NOW}' FROM seq_1_to_{lots}")
        cur.execute("SET FOREIGN_KEY_CHECKS = 1")
        cur.execute("ANALYZE TABLE points_lots, points_entries, points_accounts")


def copy_database(source, target):
    with connect(source) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE {target} CHARACTER SET utf8mb4")
        cur.execute("SET FOREIGN_KEY_CHECKS = 0")
        for table in TABLES:
            cur.execute(f"CREATE TABLE {target}.{table} LIKE {source}.{table}")
            cur.execute(f"INSERT INTO {target}.{table} SELECT * FROM {source}.{table}")


def app_sweep(app, chunk) -> tuple[int, float]:
    from core.db import run_in_transaction
    from points.ledger import sweep

    with app.app_context():
        started, total, cursor = time.perf_counter(), 0, None
        while True:
            expired, cursor = run_in_transaction(
                lambda c=cursor: sweep.expire_chunk(AS_OF, c, chunk))
            total += expired
            if cursor is None:
                return total, time.perf_counter() - started


RAW_CHUNK = [
    "DROP TEMPORARY TABLE IF EXISTS chunk",
    """CREATE TEMPORARY TABLE chunk ENGINE=MEMORY AS
       SELECT id, member_id, remaining, expires_at FROM points_lots
       WHERE expires_at <= %(as_of)s AND remaining > 0
         AND expires_at >= %(after_at)s AND (expires_at > %(after_at)s OR id > %(after_id)s)
       ORDER BY expires_at, id LIMIT %(chunk)s""",
    """INSERT INTO points_entries (member_id, kind, delta, balance_after, debt_change,
                                   idempotency_key, created_at)
       SELECT a.member_id, 'expire', -s.total, a.balance - s.total, 0,
              CONCAT('expire:', a.member_id, ':v', a.version), NOW()
       FROM (SELECT member_id, SUM(remaining) AS total FROM chunk GROUP BY member_id) s
       JOIN points_accounts a ON a.member_id = s.member_id""",
    """INSERT INTO points_allocations (entry_id, lot_id, amount)
       SELECT e.id, c.id, c.remaining FROM chunk c
       JOIN points_accounts a ON a.member_id = c.member_id
       JOIN points_entries e ON e.idempotency_key = CONCAT('expire:', a.member_id, ':v', a.version)""",
    "UPDATE points_lots l JOIN chunk c ON c.id = l.id SET l.remaining = 0",
    """UPDATE points_accounts a
       JOIN (SELECT member_id, SUM(remaining) AS total FROM chunk GROUP BY member_id) s
         ON s.member_id = a.member_id
       SET a.balance = a.balance - s.total, a.version = a.version + 1""",
]


def raw_sweep(database, chunk) -> tuple[int, float]:
    """The same writes in plain SQL, one transaction per chunk of `chunk` lots."""
    params = {"as_of": AS_OF.replace(tzinfo=None), "after_at": datetime(1970, 1, 1),
              "after_id": 0, "chunk": chunk}
    with connect(database) as conn, conn.cursor() as cur:
        started, total = time.perf_counter(), 0
        while True:
            conn.begin()
            for sql in RAW_CHUNK[:2]:
                cur.execute(sql, params)
            cur.execute("SELECT COUNT(*), MAX(expires_at) FROM chunk")
            n, last_at = cur.fetchone()
            if not n:
                conn.commit()
                return total, time.perf_counter() - started
            cur.execute("SELECT MAX(id) FROM chunk WHERE expires_at = %s", (last_at,))
            last_id = cur.fetchone()[0]
            for sql in RAW_CHUNK[2:]:
                cur.execute(sql)
            conn.commit()
            total += n
            params.update(after_at=last_at, after_id=last_id)


def check_swept(database, lots):
    with connect(database) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM points_lots WHERE remaining > 0")
        live = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*), COALESCE(SUM(balance), 0) FROM points_accounts WHERE balance <> 0")
        nonzero = cur.fetchone()
        cur.execute("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM points_allocations")
        allocations = cur.fetchone()
    ok = live == 0 and nonzero[0] == 0 and allocations == (lots, lots * POINTS)
    return ok, f"live lots {live}, non-zero balances {nonzero[0]}, allocations {allocations[0]}"


def settle(timeout=300):
    """Wait until InnoDB has written out its dirty pages (flushing at full speed meanwhile) and
    purged the old row versions, so the next timed part shares the machine with neither."""
    knobs = ("innodb_max_dirty_pages_pct", "innodb_io_capacity_max", "innodb_io_capacity")
    with connect("mysql") as conn, conn.cursor() as cur:
        cur.execute("SELECT " + ", ".join(f"@@{k}" for k in knobs))
        before = dict(zip(knobs, cur.fetchone()))
        for knob, value in zip(knobs, (0, 20000, 20000)):
            cur.execute(f"SET GLOBAL {knob} = {value}")
        try:
            deadline = time.time() + timeout
            while time.time() < deadline:
                cur.execute("SHOW GLOBAL STATUS WHERE variable_name IN "
                            "('Innodb_buffer_pool_pages_dirty', 'Innodb_history_list_length')")
                if all(int(value) < 500 for _name, value in cur.fetchall()):
                    return
                time.sleep(1)
        finally:
            for knob in reversed(knobs):
                cur.execute(f"SET GLOBAL {knob} = {before[knob]}")


def sweep_pair(app_factory, res, lots, chunk):
    """Load `lots` into a fresh database and a copy; sweep one with the app, one raw."""
    load(res.database, lots)
    copy = f"{res.database}_raw"
    copy_database(res.database, copy)
    try:
        settle()
        app_n, app_s = app_sweep(app_factory(), chunk)
        settle()
        raw_n, raw_s = raw_sweep(copy, chunk)
        ok_app, app_state = check_swept(res.database, lots)
        ok_raw, _ = check_swept(copy, lots)
    finally:
        with connect(res.database) as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {copy}")
    assert app_n == lots and raw_n == lots, (app_n, raw_n, lots)
    assert ok_app and ok_raw, app_state
    return app_s, raw_s


# --- (b) GET /me/points ---------------------------------------------------------------------

def long_history(database, entries):
    """Member 1 of an empty ledger: `entries` entries, half earns (lots, mostly spent) and half
    spends; 100 lots still live, expiring over the coming months."""
    earns = entries // 2
    with connect(database) as conn, conn.cursor() as cur:
        cur.execute(f"INSERT INTO members (id, member_no, origin, status, created_at) "
                    f"VALUES (1, '700000000001', 'wechat', 'active', '{NOW}')")
        cur.execute(f"INSERT INTO points_accounts VALUES (1, {100 * POINTS}, {earns * POINTS}, {entries})")
        cur.execute(f"INSERT INTO points_entries (id, member_id, kind, delta, balance_after, "
                    f"debt_change, idempotency_key, created_at) SELECT seq, 1, "
                    f"IF(seq <= {earns}, 'earn', 'spend'), IF(seq <= {earns}, {POINTS}, -{POINTS}), "
                    f"0, 0, CONCAT('h:', seq), '{NOW}' + INTERVAL seq MINUTE FROM seq_1_to_{entries}")
        cur.execute(f"INSERT INTO points_lots (id, member_id, amount, remaining, expires_at, "
                    f"entry_id, birthday_extended, created_at) SELECT seq, 1, {POINTS}, "
                    f"IF(seq > {earns - 100}, {POINTS}, 0), "
                    f"'2027-01-01' + INTERVAL (seq MOD 12) MONTH, seq, 0, '{NOW}' "
                    f"FROM seq_1_to_{earns}")


def timed(client, path, headers, n):
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.get_data()
    times.sort()
    return statistics.median(times), times[int(n * 0.99) - 1]


def me_points_latency(app, n=1000):
    from core import clock
    from core.auth import issue_member_token

    clock.set(datetime(2026, 6, 1, tzinfo=timezone.utc))
    with app.app_context():
        token = issue_member_token(1)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    timed(client, "/api/v1/me/points", headers, 50)  # warm up
    body = client.get("/api/v1/me/points", headers=headers).get_json()
    assert body["balance"] == 100 * POINTS, body
    health = timed(client, "/healthz", {}, n)
    points = timed(client, "/api/v1/me/points", headers, n)
    clock.set(None)
    return health, points


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=SWEEP_CHUNK,
                        help="lots per transaction, for the sweep and the raw SQL alike")
    parser.add_argument("--quick", action="store_true", help="a tenth of everything")
    parser.add_argument("--buffer-pool-mb", type=int, default=2048,
                        help="raise MariaDB's innodb_buffer_pool_size to this for the run (its "
                             "128 MB default does not hold a million lots; production sizes it)")
    parser.add_argument("--redo-log-mb", type=int, default=1024,
                        help="raise innodb_log_file_size to this (dynamic since MariaDB 10.9; "
                             "production sizes it well above the 96 MB default)")
    args = parser.parse_args()
    args.buffer_pool = ensure_size("innodb_buffer_pool_size", args.buffer_pool_mb)
    args.redo_log = ensure_size("innodb_log_file_size", args.redo_log_mb)
    if args.quick:
        args.lots, args.small, args.entries = args.lots // 10, args.small // 10, args.entries // 10
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    results = {}
    for label, lots in (("large", args.lots), ("small", args.small)):
        results[label] = fresh_run(lambda app_factory, res: sweep_pair(app_factory, res, lots, args.chunk))
    health, points = fresh_run(lambda app_factory, res: (
        long_history(res.database, args.entries), settle(), me_points_latency(app_factory()))[2])
    report(args, results, health, points)


def ensure_size(variable, mb) -> int:
    """Raise a MariaDB size variable to at least `mb`; what it is now, in MB."""
    with pymysql.connect(autocommit=True, **mysql_parts()) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT @@{variable}")
        if cur.fetchone()[0] < mb * 2**20:
            cur.execute(f"SET GLOBAL {variable} = {mb * 2**20}")
            time.sleep(2)  # a resize finishes in the background
        cur.execute(f"SELECT @@{variable}")
        return cur.fetchone()[0] // 2**20


def fresh_run(work):
    """A new database with the schema; `work(app_factory, resources)`; dropped after."""
    from flask_migrate import upgrade

    from app import create_app
    from core.db import db

    res, app = Resources(), None
    res.create()
    try:
        os.environ.update(DATABASE_URL=res.database_url, REDIS_URL=res.redis_url,
                          SECRET_KEY=uuid.uuid4().hex)
        app = create_app()
        with app.app_context():
            upgrade()
        return work(lambda: app, res)
    finally:
        if app is not None:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        res.drop()


def report(args, results, health, points):
    (app_s, raw_s), (small_app_s, small_raw_s) = results["large"], results["small"]
    print(f"\nledger benchmark on MariaDB ({'quick' if args.quick else 'full'}; "
          f"{args.chunk:,} lots a transaction; "
          f"innodb_buffer_pool_size {args.buffer_pool} MB, innodb_log_file_size {args.redo_log} MB)")
    print(f"(a) expiry sweep of {args.lots:,} due lots ({args.lots // LOTS_PER_MEMBER:,} members): "
          f"{app_s:.1f} s = {args.lots / app_s:,.0f} lots/s; raw INSERT…SELECT + UPDATE "
          f"{raw_s:.1f} s = {args.lots / raw_s:,.0f} lots/s; sweep / raw = {raw_s / app_s:.2f} "
          f"(goal ≥ 0.25; {args.lots:,} lots in {app_s:.0f} s, goal < 120 s for 1M)")
    scale = args.lots / args.small
    print(f"    scaling: {args.small:,} lots in {small_app_s:.1f} s (raw {small_raw_s:.1f} s); "
          f"{scale:.0f}× the lots took {app_s / small_app_s:.1f}× the time "
          f"(raw {raw_s / small_raw_s:.1f}×; goal ≤ {scale * 1.1:.0f}×)")
    print(f"(b) GET /me/points with {args.entries:,} entries, in-process: p50 {points[0]:.2f} ms, "
          f"p99 {points[1]:.2f} ms (goal p99 ≤ 10 ms); GET /healthz p50 {health[0]:.2f} ms, "
          f"p99 {health[1]:.2f} ms")


if __name__ == "__main__":
    main()
