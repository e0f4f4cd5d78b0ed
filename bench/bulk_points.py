"""Bulk points benchmark on MariaDB: a 100,000-row file through the console's bulk import (the
dry run, then the chunked run as its job runs it) next to the ledger's own credit path —
`points.ledger.credit` called once per row, in transactions of the same chunk size — in the
same run, on the same database.

    .venv/bin/python bench/bulk_points.py [--rows 100000] [--baseline-rows 10000] [--chunk 500]

The import's run calls the same ledger credit per row, plus its own bookkeeping (reading the
rows, writing each row's result, the cursor): the ratio says what that bookkeeping costs.
Members and accounts are loaded with set-based SQL (MariaDB's seq_1_to_N). The run builds its
own database (jifen_bench_<random>) and drops it.
"""
import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ledger import connect, fresh_run  # noqa: E402

NOW = "2026-06-01 00:00:00"
#: credits made before anything is timed (connections, caches, settings read once)
WARM_UP = 500


def load_members(database, members):
    with connect(database) as conn, conn.cursor() as cur:
        cur.execute(f"INSERT INTO members (id, member_no, invite_code, origin, status, created_at) "
                    f"SELECT seq, CONCAT('7', LPAD(seq, 11, '0')), CONCAT('B', seq), 'wechat', "
                    f"'active', '{NOW}' FROM seq_1_to_{members}")
        cur.execute(f"INSERT INTO points_accounts (member_id, balance, lifetime_earned, version) "
                    f"SELECT seq, 0, 0, 0 FROM seq_1_to_{members}")
        cur.execute("INSERT INTO staff (username, password_hash, role, active, created_at, "
                    f"token_version) VALUES ('bench.hq', 'x', 'hq_admin', 1, '{NOW}', 1)")


def member_no(n: int) -> str:
    return f"7{n:011d}"


def bulk_import(app, rows, chunk) -> tuple[float, float, dict]:
    """(dry run seconds, run seconds, the run's result counts) for a file of `rows` rows."""
    from core.db import db, run_in_transaction
    from points.imports import checking, jobs, running
    from stores.models import Staff

    data = ("member_no,delta,reason\n" + "".join(
        f"{member_no(n)},{n % 9 + 1},批量补发\n" for n in range(1, rows + 1))).encode()
    with app.app_context():
        staff = db.session.query(Staff).one()
        started = time.perf_counter()
        sheet_id = run_in_transaction(lambda: checking.check_file("bench.csv", data, staff).id)
        checked = time.perf_counter()
        run_in_transaction(lambda: running.queue_run(sheet_id))
        jobs.run_import(sheet_id, chunk)
        ran = time.perf_counter()
        counts = running.progress(running.get_import(sheet_id))["counts"]
        db.session.remove()
    return checked - started, ran - checked, counts


def ledger_credits(app, rows, first_member, chunk) -> float:
    """Seconds for `rows` plain ledger credits, one per member, `chunk` a transaction."""
    from core.db import run_in_transaction
    from points import ledger

    def credit_chunk(start):
        for n in range(start, min(start + chunk, first_member + rows)):
            ledger.credit(n, n % 9 + 1, kind="adjust", key=f"bench:{n}", reason="批量补发")

    with app.app_context():
        started = time.perf_counter()
        for start in range(first_member, first_member + rows, chunk):
            run_in_transaction(lambda s=start: credit_chunk(s))
        return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=10_000,
                        help="ledger credits timed for the baseline (its rate does not depend "
                             "on the file's length; fewer keep the run short)")
    parser.add_argument("--chunk", type=int, default=500)
    args = parser.parse_args()
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    def work(app_factory, res):
        load_members(res.database, args.rows + args.baseline_rows + WARM_UP)
        app = app_factory()
        ledger_credits(app, WARM_UP, args.rows + args.baseline_rows + 1, args.chunk)  # untimed
        baseline = ledger_credits(app, args.baseline_rows, args.rows + 1, args.chunk)
        return baseline, bulk_import(app, args.rows, args.chunk)

    baseline, (check_s, run_s, counts) = fresh_run(work)
    base_rate, run_rate = args.baseline_rows / baseline, args.rows / run_s
    print(f"\nbulk points on MariaDB ({args.chunk} rows a transaction)")
    print(f"file of {args.rows:,} rows: dry run {check_s:.1f} s "
          f"({args.rows / check_s:,.0f} rows/s); run {run_s:.1f} s = {run_rate:,.0f} rows/s; results {counts}")
    print(f"ledger credit per row ({args.baseline_rows:,} credits): {baseline:.1f} s = "
          f"{base_rate:,.0f} rows/s")
    print(f"bulk run / ledger credit = {run_rate / base_rate:.2f}; whole import (dry run + run) "
          f"/ ledger credit = {args.rows / (check_s + run_s) / base_rate:.2f}")


if __name__ == "__main__":
    main()
