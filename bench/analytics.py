"""Analytics benchmark on MariaDB: the nightly scoring + tags, and the promotion cost preview.

    .venv/bin/python bench/analytics.py [--members 1000000] [--orders 10000000] [--stores 200]
    .venv/bin/python bench/analytics.py --members 100000 --orders 1000000   # ~3 min here

Measures, in one run on one data set:
  (a) nightly:  analytics.jobs.score (facts merged from chunks of 100,000 orders, the chain's
                from the stores', then the chain and every store scored with window functions,
                segments, the month's history; run once before, untimed, so it replaces a
                night's data as it does in production) +
                analytics.jobs.tags_and_automations with three rule tags (the third: favourite
                category tea, or a coupon unused for 14 days), as the schedule runs it;
      baseline: one hand-written INSERT … SELECT computing the same chain R/F/M aggregates
                (days since the last order, orders and spend in the 365-day window) per member
                into a table: the least SQL that gives those numbers;
      ratio = baseline s / nightly s (goal ≥ 0.5); the nightly's seconds (goal < 180 s at 1M/10M).
      also: the same hand-written SQL for the chain AND every store (what the nightly scores: a
                member's R/F/M at each store they visit, ~0.8 rows per order here, and the chain's),
                and the nightly's churn statuses, timed after (not in the ratio).
  (b) preview:  analytics.preview.preview of a Wednesday double-points promotion over the orders
                of a period holding --preview-orders orders (default 1,000,000 or all of them);
                (base points summed in SQL; only the orders the draft could change are read);
      reading:  every order of the period read and dropped, as Core rows by the preview's
                access path (what merely reading them costs);
      orders/s of both and their ratio (goal: under 10 s for 1M orders).

The data, generated in SQL from MariaDB's sequence engine: --stores stores, --members members,
--orders orders over 500 days before the as-of date (2026-06-30); members drawn with a cubed
uniform so a few buy often and most once or never, as a chain's do; 1-3 categorised items per
order for the preview. The run builds its own database (jifen_bench_<random>) and drops it; it
raises MariaDB's buffer pool for the run (production sizes it to the data) and puts it back.
"""
import argparse
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ledger import connect, ensure_size, fresh_run, settle  # noqa: E402

AS_OF = date(2026, 6, 30)
NOW = "2026-06-30 12:00:00"
DAYS = 500


def load(database, stores, members, orders):
    with connect(database) as conn, conn.cursor() as cur:
        cur.execute("SET FOREIGN_KEY_CHECKS = 0, UNIQUE_CHECKS = 0")
        cur.execute(f"INSERT INTO stores (id, code, name, active, created_at) SELECT seq, "
                    f"CONCAT('B', LPAD(seq, 4, '0')), CONCAT('Store ', seq), 1, '{NOW}' "
                    f"FROM seq_1_to_{stores}")
        cur.execute(f"INSERT INTO members (id, member_no, invite_code, origin, status, "
                    f"tier_code, created_at) SELECT seq, CONCAT('7', LPAD(seq, 11, '0')), "
                    f"CONCAT('B', seq), 'wechat', 'active', NULL, '2024-01-01 00:00:00' "
                    f"FROM seq_1_to_{members}")
        cur.execute(f"INSERT INTO points_accounts (member_id, balance, lifetime_earned, version) "
                    f"SELECT seq, seq MOD 5000, seq MOD 5000, 1 FROM seq_1_to_{members}")
        step = 1_000_000
        for first in range(1, orders + 1, step):
            last = min(first + step - 1, orders)
            cur.execute(
                f"INSERT INTO orders (id, store_id, order_no, member_id, amount_fen, items, "
                f"paid_at, request_hash, source, points_earned, breakdown, balance_after, "
                f"refunded_fen, points_reversed, created_at) "
                f"SELECT seq, 1 + seq * 7919 MOD {stores}, CONCAT('O', seq), "
                f"1 + FLOOR({members} * POW(RAND(seq), 3)), a, "
                f"CONCAT('[{{\"sku\": \"s\", \"category\": \"', ELT(1 + seq MOD 3, 'tea', 'cake', "
                f"'toy'), '\", \"amount_fen\": ', a DIV 2, ', \"quantity\": 1}}]'), p, 'x', 'pos', "
                f"a DIV 100, '[]', 0, 0, 0, p FROM (SELECT seq, 100 + seq * 104729 MOD 30000 AS a, "
                f"'{NOW}' - INTERVAL (seq * 15485863 MOD ({DAYS} * 86400)) SECOND AS p "
                f"FROM seq_{first}_to_{last}) s")
        cur.execute("SET FOREIGN_KEY_CHECKS = 1, UNIQUE_CHECKS = 1")
        cur.execute("ANALYZE TABLE orders, members")


def roomy(cur):
    """The session setting the analytics jobs use (analytics.sql.roomy_temporary_tables)."""
    from analytics.sql import TEMP_TABLE_BYTES

    cur.execute(f"SET SESSION tmp_table_size = {TEMP_TABLE_BYTES}, "
                f"max_heap_table_size = {TEMP_TABLE_BYTES}")


def baseline(database) -> float:
    """The hand-written SQL: the chain's R/F/M aggregates per member into a table."""
    with connect(database) as conn, conn.cursor() as cur:
        roomy(cur)
        cur.execute("CREATE TABLE bench_rfm (member_id BIGINT PRIMARY KEY, recency_days INT, "
                    "frequency INT, monetary_fen BIGINT)")
        start = time.perf_counter()
        cur.execute(
            "INSERT INTO bench_rfm SELECT member_id, "
            "DATEDIFF('2026-06-30', DATE(MAX(paid_at) + INTERVAL 8 HOUR)), "
            "SUM(paid_at >= '2025-06-30 16:00:00' AND refunded_fen < amount_fen), "
            "SUM(IF(paid_at >= '2025-06-30 16:00:00', amount_fen - refunded_fen, 0)) "
            "FROM orders WHERE paid_at <= '2026-06-30 15:59:59.999999' GROUP BY member_id")
        return time.perf_counter() - start


def baseline_with_stores(database) -> float:
    """The same hand-written SQL for the chain and for every store: the R/F/M aggregates the
    nightly scores (a member's at each store they visit, and the chain's), two INSERT …
    SELECT statements."""
    with connect(database) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE bench_rfm_stores (store_id BIGINT, member_id BIGINT, "
                    "recency_days INT, frequency INT, monetary_fen BIGINT, "
                    "PRIMARY KEY (store_id, member_id))")
        start = time.perf_counter()
        cur.execute(
            "INSERT INTO bench_rfm_stores SELECT store_id, member_id, "
            "DATEDIFF('2026-06-30', DATE(MAX(paid_at) + INTERVAL 8 HOUR)), "
            "SUM(paid_at >= '2025-06-30 16:00:00' AND refunded_fen < amount_fen), "
            "SUM(IF(paid_at >= '2025-06-30 16:00:00', amount_fen - refunded_fen, 0)) "
            "FROM orders WHERE paid_at <= '2026-06-30 15:59:59.999999' "
            "GROUP BY store_id, member_id")
        cur.execute("INSERT INTO bench_rfm_stores SELECT 0, member_id, MIN(recency_days), "
                    "SUM(frequency), SUM(monetary_fen) FROM bench_rfm_stores GROUP BY member_id")
        return time.perf_counter() - start


def writing_scores(database) -> float:
    """What writing the nightly's output alone costs: the scored rows (a member's at each store
    and the chain's: bench_rfm_stores's rows) replacing last night's in the segments table, with
    its indexes, as constants — no scoring, no segments. A nightly that both computes those
    aggregates and writes its rows cannot take less than the two together."""
    with connect(database) as conn, conn.cursor() as cur:
        start = time.perf_counter()
        cur.execute("DELETE FROM analytics_member_segments")
        cur.execute("INSERT INTO analytics_member_segments (store_id, member_id, recency_days, "
                    "frequency, monetary_fen, r, f, m, segment, as_of) SELECT store_id, "
                    "member_id, recency_days, frequency, monetary_fen, 3, 3, 3, 'x', "
                    "'2026-06-30' FROM bench_rfm_stores")
        conn.commit()
        return time.perf_counter() - start


def nightly(app) -> tuple[float, dict]:
    from analytics import jobs
    from analytics.tags import service as tags
    from core.db import run_in_transaction

    with app.app_context():
        champions = [{"field": "segment", "op": "in", "value": ["important_value"]}]
        big = [{"field": "spend_fen", "op": "gte", "value": 100000},
               {"field": "orders", "op": "gte", "value": 3}]
        tea = [{"field": "favourite_category", "op": "in", "value": ["tea"]},
               {"field": "coupon_unused_days", "op": "gte", "value": 14}]
        for name, rule in (("champions", {"all": champions}), ("big spenders", {"all": big}),
                           ("tea lovers", {"any": tea})):
            run_in_transaction(lambda n=name, r=rule: tags.save_tag(
                {"name": n, "kind": "rule", "rule": r}))
        jobs.score(AS_OF.isoformat())  # the night before: facts and scores to replace
        settle()
        start = time.perf_counter()
        result = jobs.score(AS_OF.isoformat())
        result["score_s"] = round(time.perf_counter() - start, 1)
        result.update(jobs.tags_and_automations(AS_OF.isoformat()))
        result["tags_s"] = round(time.perf_counter() - start - result["score_s"], 1)
        scoring_and_tags = time.perf_counter() - start
        churn_start = time.perf_counter()
        result.update(jobs.churn_statuses(AS_OF.isoformat()))
        result["churn_s"] = round(time.perf_counter() - churn_start, 1)
        return scoring_and_tags, result


def preview_period(database, wanted) -> tuple[date, date, int]:
    """The latest period of whole days holding about `wanted` orders."""
    with connect(database) as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM orders")
        total = cur.fetchone()[0]
        days = max(1, min(DAYS, round(DAYS * wanted / total)))
        first = date.fromordinal(AS_OF.toordinal() - days + 1)
        cur.execute("SELECT COUNT(*) FROM orders WHERE paid_at >= %s - INTERVAL 8 HOUR "
                    "AND paid_at < %s + INTERVAL 16 HOUR", (first, AS_OF))
        return first, AS_OF, cur.fetchone()[0]


def preview(app, first, last) -> tuple[float, float, dict]:
    from analytics import preview as previews
    from core.db import db

    draft = {"name": "Wednesday", "multiplier_percent": 200, "weekdays": [3], "store_codes": []}
    with app.app_context():
        read_s = _timed(lambda: sum(1 for _ in db.session.connection().execute(
            _orders_query(first, last))))
        db.session.remove()
        start = time.perf_counter()
        result = previews.preview(previews.PROMOTION, draft, first, last)
        preview_s = time.perf_counter() - start
        db.session.remove()
        return preview_s, read_s, result


def _orders_query(first, last):
    """Every order of the period, its columns the preview could use, as Core rows (items as
    the preview reads them: text) by the access path the preview takes (ix_orders_paid for a
    narrow period): merely reading them."""
    from sqlalchemy import Text, select, type_coerce

    from analytics import preview as previews
    from core import clock
    from points.earning.models import Order

    query = (select(Order.id, Order.member_id, Order.store_id, Order.amount_fen,
                    type_coerce(Order.items, Text), Order.paid_at, Order.points_earned)
             .where(Order.paid_at >= clock.start_of_business_day(first),
                    Order.paid_at <= clock.end_of_business_day(last))
             .execution_options(yield_per=5000))
    return previews._by_paid_index(query) if previews._narrow(first, last) else query


def _timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--stores", type=int, default=200)
    parser.add_argument("--preview-orders", type=int, default=1_000_000)
    parser.add_argument("--buffer-pool-mb", type=int, default=4096,
                        help="raise innodb_buffer_pool_size to this for the run; put back after")
    args = parser.parse_args()
    with connect("mysql") as conn, conn.cursor() as cur:
        cur.execute("SELECT @@innodb_buffer_pool_size")
        pool_before = cur.fetchone()[0]
    try:
        pool = ensure_size("innodb_buffer_pool_size", args.buffer_pool_mb)
        return fresh_run(lambda factory, res: run(args, factory(), res, pool))
    finally:
        with connect("mysql") as conn, conn.cursor() as cur:
            cur.execute(f"SET GLOBAL innodb_buffer_pool_size = {pool_before}")


def run(args, app, res, pool):
    start = time.perf_counter()
    load(res.database, args.stores, args.members, args.orders)
    load_s = time.perf_counter() - start
    settle()
    base_s = baseline(res.database)
    settle()
    stores_base_s = baseline_with_stores(res.database)
    settle()
    nightly_s, result = nightly(app)
    settle()
    write_s = writing_scores(res.database)
    settle()
    first, last, in_period = preview_period(res.database, args.preview_orders)
    preview_s, read_s, previewed = preview(app, first, last)
    print(f"\nanalytics benchmark on MariaDB: {args.members:,} members, {args.orders:,} orders, "
          f"{args.stores} stores (loaded in {load_s:.0f} s; innodb_buffer_pool_size {pool} MB)")
    print(f"(a) nightly scoring + tags: {nightly_s:.1f} s ({result}); hand-written R/F/M "
          f"aggregates: {base_s:.1f} s; ratio baseline / nightly = {base_s / nightly_s:.2f} "
          f"(goal ≥ 0.5; goal < 180 s at 1M members / 10M orders)")
    print(f"    the same hand-written SQL for the chain and every store (what the nightly "
          f"scores): {stores_base_s:.1f} s; ratio = {stores_base_s / nightly_s:.2f}; churn "
          f"statuses (the nightly's third job, not in the ratio): {result['churn_s']:.1f} s")
    floor = stores_base_s + write_s
    print(f"    writing the scored rows alone (no scoring): {write_s:.1f} s; so no nightly that "
          f"computes the per-store aggregates and writes its rows can take under {floor:.1f} s: "
          f"the best ratio against the chain baseline is {base_s / floor:.2f}, against the "
          f"chain-and-stores one {stores_base_s / floor:.2f}; the nightly reaches "
          f"{floor / nightly_s:.2f} of that floor's speed")
    print(f"(b) preview over {in_period:,} orders ({first} … {last}): {preview_s:.1f} s = "
          f"{in_period / preview_s:,.0f} orders/s; merely reading them {read_s:.1f} s = "
          f"{in_period / read_s:,.0f} orders/s; preview / read speed = {read_s / preview_s:.2f} "
          f"(goal < 10 s for 1M); extra {previewed['extra_points']:,} points on "
          f"{previewed['orders']:,} orders")


if __name__ == "__main__":
    main()
