"""Reconciliation benchmark on MariaDB: the nightly ledger check over a chain's worth of members.

    .venv/bin/python bench/reconcile.py [--members 1000000] [--rounds 10] [--statements N]
    .venv/bin/python bench/reconcile.py --members 200000     # 13-16 minutes on 2 shared cores

Measures, in one run on one data set:
  baseline: the per-account invariants alone (points.ledger.jobs.reconcile_all with
            reconcile.check_across finding nothing: what the nightly check did before the
            cross-account invariants);
  full:     points.ledger.jobs.reconcile_all(chunk) as is: what the nightly job and
            `flask --app app points reconcile` run, cross-account invariants included.
Both run chunk by chunk (1,000 members, one transaction each), over the same `--rounds` slices
of the members, one after the other in each slice (which goes first alternates): the machine is
shared and its speed drifts, so each slice also gives its own ratio. Prints members/s of both,
their seconds for --members (and, below 1M, for 1M at the same rate), the ratio full / baseline,
the time of each cross-account check (and with --statements the costliest statements), and the
mismatches each found: the data are consistent, so both must find 0 (exit 1 otherwise).

The data: `--template` members' histories (default 400) made through the ledger's own functions
(credit, debit, reverse, merge_accounts, and the expiry sweep every night at 00:05 as app.py
schedules it) over 18 months, a 365-day expiry, 2 active tiers: earnings with their lots,
spends and deductions with allocations, expiries, refunds of earnings (~2% of members),
cancelled redemptions, merges (~1% of members merged, half of them refunded after the merge) —
then cloned in SQL (INSERT … SELECT from MariaDB's sequence engine) with ids renumbered until
there are --members (rounded up to a multiple of --template), unique keys (idempotency key,
member_no, invite_code, phone) made unique per copy. Entry, lot and allocation ids are
interleaved across the copies (template id × copies + copy), so a chunk's journal is spread
over the whole table as a journal written over 18 months is, not packed in a few pages. Each
run builds its own database (jifen_bench_<random>) and drops it; it raises MariaDB's buffer pool
for the run (production sizes it to the data) and puts it back after. The load's time is
printed: 1½-3 minutes for the template plus 45-90 s per 100,000 members for the clone here
(2 cores shared with other test runs); measuring then takes ~4-6 s per 1,000 members.
"""
import argparse
import contextlib
import os
import random
import statistics
import re
import sys
import time
import uuid
from datetime import datetime, time as dt_time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.flash_sale import Resources  # noqa: E402
from bench.ledger import connect, ensure_size, settle  # noqa: E402

START = datetime(2024, 6, 1, 2, 0, tzinfo=timezone.utc)   # 18 months of history …
END = datetime(2025, 12, 1, 19, 0, tzinfo=timezone.utc)   # … up to the night of the check
SHANGHAI = ZoneInfo("Asia/Shanghai")  # the business time zone (core.clock)
TIERS = (("SILVER", "银卡", 3000, 120), ("GOLD", "金卡", 5000, 150))
#: what is cloned, in FK order; the template's rows go to tpl_<table> meanwhile
TABLES = ("members", "points_accounts", "points_entries", "points_lots", "points_allocations",
          "points_earned_monthly")


# --- the template: a few hundred members' histories through the ledger's own functions -----

def plan_template(members: int, seed: int = 20251201):
    """[(time, order, action, args)], sorted: what happens to the template's members."""
    rng = random.Random(seed)
    span = (END - START).total_seconds()
    events, order = [], 0

    def at(moment, action, *args):
        nonlocal order
        order += 1
        events.append((moment, order, action, args))

    ids = list(range(1, members + 1))
    sources = set(rng.sample(ids, max(1, members // 100)))  # ~1%: till customers merged away
    targets = [m for m in ids if m not in sources]
    for m in ids:
        joined = START + timedelta(seconds=rng.uniform(0, span * 0.6))
        left = END - timedelta(days=1)
        if m in sources:  # merged into a member who bound its phone, somewhere in the history
            merged_at = joined + (left - joined) * rng.uniform(0.3, 0.8)
            left = merged_at - timedelta(minutes=1)
        times = lambda n: sorted(joined + (left - joined) * rng.random() for _ in range(n))  # noqa: E731
        earns = times(rng.choice((1, 2, 3, 4, 4, 5, 5, 5, 6, 6, 7, 8, 10)))
        for i, t in enumerate(earns):
            kind = rng.choices(("earn", "checkin", "bonus"), (85, 10, 5))[0]
            points = rng.randint(20, 900) if kind == "earn" else rng.choice((5, 10, 50, 100))
            at(t, "credit", m, i, kind, points)
        spends = times(rng.choices((0, 1, 2, 3), (45, 35, 15, 5))[0])
        for i, t in enumerate(spends):
            at(t, "debit", m, i, rng.choice(("spend", "deduct")), rng.uniform(0.2, 0.9))
            if rng.random() < 0.03:  # a cancelled redemption: the points go back to their lots
                at(t + (left - t) * rng.random(), "reverse", m, f"s:{m}:{i}", f"c:{m}:{i}", None)
        if rng.random() < 0.012 or (m in sources and rng.random() < 0.5):  # a refund
            i = rng.randrange(len(earns))
            after = END - timedelta(days=2) if m in sources else left  # a source's after its merge
            at(earns[i] + (after - earns[i]) * rng.random(), "reverse", m, f"e:{m}:{i}",
               f"r:{m}:{i}", rng.choice((None, "part")))
        if m in sources:
            at(merged_at, "merge", m, rng.choice(targets))
    night = datetime.combine(START.astimezone(SHANGHAI).date(), dt_time(0, 5), SHANGHAI)
    while night < END:  # the expiry sweep, every night at 00:05 as app.py schedules it
        at(night.astimezone(timezone.utc), "sweep")
        night += timedelta(days=1)
    return sorted(events)


def build_template(app, members: int) -> dict:
    """Make the template members and their histories; counts of what was done."""
    from sqlalchemy import update

    from core import clock
    from core.db import db, run_in_transaction
    from core.errors import Conflict
    from members.models import STATUS_MERGED, Member
    from points import ledger
    from points.ledger import jobs
    from points.ledger.models import PointsAccount
    from points.programme import settings, tiers

    rng = random.Random(7)
    done = {}
    with app.app_context():
        clock.set(START - timedelta(days=1))
        settings.update_settings({"expiry": {"mode": "fixed_days", "days": 365}})
        for code, name, threshold, multiplier in TIERS:
            tiers.create_tier(code, name, threshold, multiplier)
        for m in range(1, members + 1):
            db.session.add(Member(id=m, member_no=f"8{m:011d}", invite_code=f"T{m:07d}",
                                  phone=f"+86139{m:08d}" if m % 3 else None,
                                  origin="store" if m % 5 == 0 else "wechat",
                                  created_at=START))
        db.session.flush()
        for m in range(1, members + 1):
            ledger.open_account(m)
        db.session.commit()

        def act(action, args):
            if action == "credit":
                m, i, kind, points = args
                ledger.credit(m, points, kind=kind, key=f"e:{m}:{i}", ref=("order", m * 100 + i))
            elif action == "debit":
                m, i, kind, share = args
                balance = db.session.get(PointsAccount, m, populate_existing=True).balance
                if balance < 20:
                    return "debit skipped"
                ledger.debit(m, int(balance * share) or 1, kind=kind, key=f"s:{m}:{i}",
                             ref=("redemption", m * 100 + i))
            elif action == "reverse":
                m, original, key, part = args
                entry = ledger.entry_by_key(original)
                if entry is None:
                    return "reverse skipped"
                left = ledger.reversible(entry)
                if left <= 0:
                    return "reverse skipped"
                ledger.reverse(entry.id, key=key, reason="refund",
                               amount=rng.randint(1, left) if part else None)
                return "refund" if key.startswith("r:") else "cancel"
            elif action == "merge":
                source, target = args
                ledger.merge_accounts(source, target, key=f"merge:{source}")
                db.session.execute(update(Member).where(Member.id == source).values(
                    status=STATUS_MERGED, merged_into_id=target, phone=None))
            elif action == "sweep":
                return action  # run outside: it owns its transactions
            return action

        for moment, _order, action, args in plan_template(members):
            clock.set(moment)
            if action == "sweep":
                jobs.expire_due_lots(moment)
                what = action
            else:
                try:
                    what = run_in_transaction(lambda: act(action, args))
                except Conflict:
                    what = f"{action} refused"
            done[what] = done.get(what, 0) + 1
        clock.set(END)
        jobs.expire_due_lots(END)
        db.session.remove()
        clock.set(None)
    return done


# --- the clone: the template × copies, ids renumbered -----------------------------------------

def clone(database: str, template: int, copies: int) -> dict:
    """Replace the template's rows by `copies` renumbered copies of them (copy 0 included).
    Members: copy × template + id. Entries, lots, allocations: id × copies + copy."""
    K, T, took = copies, template, {}

    def row_id(column):
        return f"{column} * {K} + s.seq"

    def member(column):
        return f"s.seq * {T} + {column}"

    numeric_refs = "('entry', 'order', 'redemption')"
    statements = {
        "members": f"""INSERT INTO members (id, member_no, invite_code, nickname, phone, tier_code,
                origin, status, merged_into_id, created_at)
            SELECT {member('t.id')}, CONCAT('7', LPAD({member('t.id')}, 11, '0')),
                   CONCAT('B', {member('t.id')}), t.nickname,
                   IF(t.phone IS NULL, NULL, CONCAT('+86138', LPAD({member('t.id')}, 8, '0'))),
                   t.tier_code, t.origin, t.status,
                   IF(t.merged_into_id IS NULL, NULL, {member('t.merged_into_id')}), t.created_at
            FROM tpl_members t STRAIGHT_JOIN seq_0_to_{K - 1} s""",
        "points_accounts": f"""INSERT INTO points_accounts (member_id, balance, lifetime_earned, version)
            SELECT {member('t.member_id')}, t.balance, t.lifetime_earned, t.version
            FROM tpl_points_accounts t STRAIGHT_JOIN seq_0_to_{K - 1} s""",
        "points_entries": f"""INSERT INTO points_entries (id, member_id, kind, delta, balance_after,
                debt_change, store_id, ref_type, ref_id, idempotency_key, operator_id, reason,
                details, created_at)
            SELECT {row_id('t.id')}, {member('t.member_id')}, t.kind, t.delta, t.balance_after,
                   t.debt_change, t.store_id, t.ref_type,
                   CASE WHEN t.ref_type IN {numeric_refs} THEN {row_id('CAST(t.ref_id AS UNSIGNED)')}
                        WHEN t.ref_type = 'member' THEN {member('CAST(t.ref_id AS UNSIGNED)')}
                        ELSE t.ref_id END,
                   CONCAT(t.idempotency_key, '#', s.seq), t.operator_id, t.reason, t.details,
                   t.created_at
            FROM seq_0_to_{K - 1} s STRAIGHT_JOIN tpl_points_entries t""",
        "points_lots": f"""INSERT INTO points_lots (id, member_id, amount, remaining, expires_at,
                store_id, entry_id, origin_lot_id, birthday_extended, created_at)
            SELECT {row_id('t.id')}, {member('t.member_id')}, t.amount, t.remaining, t.expires_at,
                   t.store_id, {row_id('t.entry_id')},
                   IF(t.origin_lot_id IS NULL, NULL, {row_id('t.origin_lot_id')}),
                   t.birthday_extended, t.created_at
            FROM seq_0_to_{K - 1} s STRAIGHT_JOIN tpl_points_lots t""",
        "points_allocations": f"""INSERT INTO points_allocations (id, entry_id, lot_id, amount)
            SELECT {row_id('t.id')}, {row_id('t.entry_id')}, {row_id('t.lot_id')}, t.amount
            FROM seq_0_to_{K - 1} s STRAIGHT_JOIN tpl_points_allocations t""",
        "points_earned_monthly": f"""INSERT INTO points_earned_monthly (member_id, month, points)
            SELECT {member('t.member_id')}, t.month, t.points
            FROM tpl_points_earned_monthly t STRAIGHT_JOIN seq_0_to_{K - 1} s""",
    }
    # the join buffer holds the first table: the rows come out in the order of the second table
    # within each of the first's, so each table's primary key is written in ascending order
    with connect(database) as conn, conn.cursor() as cur:
        cur.execute("SET FOREIGN_KEY_CHECKS = 0, UNIQUE_CHECKS = 0")
        for table in TABLES:
            cur.execute(f"CREATE TABLE tpl_{table} AS SELECT * FROM {table}")
        for table in reversed(TABLES):
            cur.execute(f"DELETE FROM {table}")
        for table in TABLES:
            started = time.perf_counter()
            cur.execute(statements[table])
            took[table] = time.perf_counter() - started
        for table in TABLES:
            cur.execute(f"DROP TABLE tpl_{table}")
        cur.execute("SET FOREIGN_KEY_CHECKS = 1, UNIQUE_CHECKS = 1")
        cur.execute("ANALYZE TABLE " + ", ".join(TABLES))
    return took


def counts(database) -> dict:
    with connect(database) as conn, conn.cursor() as cur:
        found = {}
        for table in TABLES:
            cur.execute(f"SELECT COUNT(*) FROM {table}")
            found[table] = cur.fetchone()[0]
        cur.execute("SELECT kind, COUNT(*) FROM points_entries GROUP BY kind ORDER BY 2 DESC")
        found["kinds"] = dict(cur.fetchall())
        cur.execute("SELECT COUNT(*) FROM members WHERE status = 'merged'")
        found["merged"] = cur.fetchone()[0]
        cur.execute("SELECT COUNT(DISTINCT r.member_id) FROM points_entries r "
                    "JOIN points_entries c ON c.id = CAST(r.ref_id AS UNSIGNED) "
                    "WHERE r.kind = 'reverse' AND r.ref_type = 'entry' AND c.delta > 0")
        found["refunded"] = cur.fetchone()[0]
        cur.execute("SELECT tier_code, COUNT(*) FROM members GROUP BY tier_code")
        found["tiers"] = {code or "none": n for code, n in cur.fetchall()}
        cur.execute("SELECT ROUND(SUM(data_length + index_length) / 1048576) FROM "
                    "information_schema.tables WHERE table_schema = DATABASE()")
        found["mb"] = int(cur.fetchone()[0])
    return found


# --- the measurements ------------------------------------------------------------------------

class StatementTimes:
    """Wall time per SQL statement (by its text), while listening on the app's engine."""

    def __init__(self, app):
        from core.db import db

        with app.app_context():
            self.engine = db.engine
        self.totals, self.started = {}, {}

    def _before(self, conn, _cursor, sql, *_rest):
        self.started[id(conn)] = time.perf_counter()

    def _after(self, conn, _cursor, sql, *_rest):
        key = " ".join(sql.split())
        seconds, n = self.totals.get(key, (0.0, 0))
        self.totals[key] = (seconds + time.perf_counter() - self.started.pop(id(conn)), n + 1)

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *_exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def top(self, n=5):
        return sorted(((s, c, sql) for sql, (s, c) in self.totals.items()), reverse=True)[:n]


#: the cross-account checks, timed one by one during the full runs
ACROSS_PARTS = ("check_across", "_merged_hold_nothing", "_over_reversed", "_earnings",
                "_tiers_reached")


def reconcile_slice(app, chunk, start, end, across: bool, spent: dict) -> tuple[int, list, float]:
    """jobs.reconcile_all(chunk) over members (start, end] only: its check_chunk starts at
    `start` and stops at `end`. Without `across`, check_across finds nothing (the baseline: the
    per-account checks alone); with it, the time of each cross-account check adds to `spent`."""
    from unittest import mock

    from points.ledger import jobs, reconcile, reconcile_across

    check_chunk = reconcile.check_chunk

    def sliced(after, limit):
        n, found, cursor = check_chunk(after or start, limit)
        return n, found, None if cursor is None or cursor >= end else cursor

    def timed(name, function):
        def wrapper(*args):
            started = time.perf_counter()
            try:
                return function(*args)
            finally:
                spent[name] += time.perf_counter() - started
        return wrapper

    patches = [mock.patch.object(reconcile, "check_chunk", sliced)]
    if across:
        patches += [mock.patch.object(reconcile_across, name,
                                      timed(name, getattr(reconcile_across, name)))
                    for name in ACROSS_PARTS[1:]]
        patches.append(mock.patch.object(reconcile, "check_across",
                                         timed("check_across", reconcile_across.check_across)))
    else:
        patches.append(mock.patch.object(reconcile, "check_across", lambda *_args: []))
    with app.app_context():
        for patch in patches:
            patch.start()
        try:
            started = time.perf_counter()
            checked, problems = jobs.reconcile_all(chunk)
            return checked, problems, time.perf_counter() - started
        finally:
            for patch in reversed(patches):
                patch.stop()


def measure(app, members, chunk, rounds, statements) -> dict:
    """Baseline and full over the same members, in `rounds` slices of the member range, one
    after the other in each slice (which goes first alternates): the machine is shared and its
    speed drifts over a run, so each slice gives its own ratio."""
    size = -(-members // rounds // chunk) * chunk  # slices end on a chunk's last member
    result = {"baseline": [0, [], 0.0], "full": [0, [], 0.0], "ratios": [], "rates": [],
              "spent": dict.fromkeys(ACROSS_PARTS, 0.0)}
    sql = {"baseline": StatementTimes(app), "full": StatementTimes(app)}
    for number, start in enumerate(range(0, members, size)):
        took = {}
        for label in (("baseline", "full") if number % 2 == 0 else ("full", "baseline")):
            with sql[label] if statements else contextlib.nullcontext():
                n, problems, seconds = reconcile_slice(app, chunk, start, start + size,
                                                       label == "full", result["spent"])
            total = result[label]
            total[0] += n
            total[1] += problems
            total[2] += seconds
            took[label] = seconds
        result["ratios"].append(took["full"] / took["baseline"])
        result["rates"].append((min(size, members - start) / took["baseline"],
                                min(size, members - start) / took["full"]))
    result["sql"] = sql
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=1000, help="members a chunk (reconcile_all's)")
    parser.add_argument("--rounds", type=int, default=10,
                        help="slices of the members, each checked by both (for the ratio's spread)")
    parser.add_argument("--template", type=int, default=400,
                        help="members whose histories the ledger makes; the rest are copies")
    parser.add_argument("--statements", type=int, default=0, metavar="N",
                        help="also print the N statements of each that took the most time")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database afterwards (its name is printed), to EXPLAIN in")
    parser.add_argument("--load-only", action="store_true", help="load, measure nothing")
    parser.add_argument("--buffer-pool-mb", type=int, default=4096,
                        help="raise MariaDB's innodb_buffer_pool_size to this for the run, as "
                             "production sizes it to the data (its 128 MB default holds a "
                             "twentieth of a million members' ledger); put back after")
    parser.add_argument("--redo-log-mb", type=int, default=1024,
                        help="raise innodb_log_file_size to this (the load writes GBs)")
    args = parser.parse_args()
    copies = -(-args.members // args.template)
    args.members = copies * args.template
    pool_before = size_of("innodb_buffer_pool_size")
    try:
        args.buffer_pool = ensure_size("innodb_buffer_pool_size", args.buffer_pool_mb)
        args.redo_log = ensure_size("innodb_log_file_size", args.redo_log_mb)
        return run(args, copies)
    finally:
        if size_of("innodb_buffer_pool_size") != pool_before:
            set_size("innodb_buffer_pool_size", pool_before)


def size_of(variable) -> int:
    with connect("mysql") as conn, conn.cursor() as cur:
        cur.execute(f"SELECT @@{variable}")
        return cur.fetchone()[0]


def set_size(variable, size) -> None:
    with connect("mysql") as conn, conn.cursor() as cur:
        cur.execute(f"SET GLOBAL {variable} = {size}")


def run(args, copies) -> int:
    from flask_migrate import upgrade

    from app import create_app
    from core import clock
    from core.db import db

    os.environ.setdefault("LOG_LEVEL", "ERROR")
    res, app = Resources(), None
    res.create()
    try:
        app = create_app({"DATABASE_URL": res.database_url, "REDIS_URL": res.redis_url,
                          "SECRET_KEY": uuid.uuid4().hex, "LOG_LEVEL": "ERROR",
                          "METRICS_FLUSH_SECONDS": 0})
        with app.app_context():
            upgrade()
        started = time.perf_counter()
        done = build_template(app, args.template)
        template_s = time.perf_counter() - started
        cloned = clone(res.database, args.template, copies)
        load_s = time.perf_counter() - started
        data = counts(res.database)
        if args.keep:
            print(f"database {res.database} (kept)")
        if args.load_only:
            print(f"loaded {args.members:,} members in {load_s:.0f} s "
                  f"(template {template_s:.0f} s, clone {cloned}): {data}")
            return 0
        settle(timeout=60)
        clock.set(END)  # the night the histories end on (the tiers' window is read from it)
        try:
            result = measure(app, args.members, args.chunk, args.rounds, args.statements)
        finally:
            clock.set(None)
        report(args, done, template_s, cloned, load_s, data, result)
        return 0 if not result["baseline"][1] and not result["full"][1] else 1
    finally:
        if app is not None:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        if args.keep:  # the database stays; the Redis database number goes back
            res.database = "jifen_bench_none_kept"
        res.drop()


def report(args, done, template_s, cloned, load_s, data, result):
    (b_n, b_problems, b_s), (f_n, f_problems, f_s) = result["baseline"], result["full"]
    m, spent, ratios = args.members, result["spent"], result["ratios"]
    print(f"\nreconciliation benchmark on MariaDB ({args.chunk:,} members a chunk; "
          f"innodb_buffer_pool_size {args.buffer_pool} MB, innodb_log_file_size {args.redo_log} MB)")
    print(f"data: {m:,} members ({args.template} template histories × {m // args.template:,}), "
          f"{data['points_entries']:,} entries ({data['points_entries'] / m:.1f} a member), "
          f"{data['points_lots']:,} lots, {data['points_allocations']:,} allocations, "
          f"{data['points_earned_monthly']:,} monthly earnings rows; {data['mb']:,} MB")
    print(f"      {data['merged']:,} members merged ({data['merged'] / m:.1%}), "
          f"{data['refunded']:,} with a refunded credit ({data['refunded'] / m:.1%}); tiers "
          + ", ".join(f"{k} {v:,}" for k, v in sorted(data['tiers'].items())))
    print("      entries by kind: " + ", ".join(f"{k} {v:,}" for k, v in data['kinds'].items()))
    print("      the template's ledger calls: "
          + ", ".join(f"{k} {v:,}" for k, v in sorted(done.items())))
    print(f"load: {load_s:.0f} s = template through the ledger {template_s:.0f} s + clone in SQL "
          f"{load_s - template_s:.0f} s (" + ", ".join(f"{t} {s:.0f} s" for t, s in cloned.items())
          + ")")
    print(f"baseline, per-account checks only: {b_n:,} members in {b_s:.1f} s = "
          f"{b_n / b_s:,.0f} members/s; mismatches found: {len(b_problems)}")
    print(f"full reconcile_all, cross-account too: {f_n:,} members in {f_s:.1f} s = "
          f"{f_n / f_s:,.0f} members/s; mismatches found: {len(f_problems)}")
    print(f"ratio full / baseline (time): {f_s / b_s:.2f}× over the run; median of the "
          f"{len(ratios)} slices {statistics.median(ratios):.2f}× "
          f"(from {min(ratios):.2f}× to {max(ratios):.2f}×)")
    print("      members/s by slice, baseline / full: "
          + ", ".join(f"{b:,.0f}/{f:,.0f}" for b, f in result["rates"]))
    if m != 1_000_000:
        print(f"      at this rate 1,000,000 members take: baseline {1e6 / (b_n / b_s):.0f} s, "
              f"full {1e6 / (f_n / f_s):.0f} s (extrapolated linearly from {m:,}: per-member "
              f"work is by index, so it does not grow with the table; see the slices)")
    across = spent["check_across"]
    print(f"the cross-account checks took {across:.1f} s of the full runs' {f_s:.1f} s: "
          + ", ".join(f"{name.lstrip('_')} {spent[name]:.1f} s" for name in ACROSS_PARTS[1:])
          + f", finding the merged members {across - sum(spent[n] for n in ACROSS_PARTS[1:]):.1f} s")
    for label in ("baseline", "full") if args.statements else ():
        for seconds, n, sql in result["sql"][label].top(args.statements):
            print(f"  {label}: {seconds:6.1f} s in {n:,} × "
                  f"{re.sub(r'(%[(][a-z_0-9]+[)]s, )+%[(][a-z_0-9]+[)]s', '…', sql)[:240]}")
    for problem in (b_problems + f_problems)[:10]:
        print(f"  MISMATCH {problem}")
    if b_n != m or f_n != m:
        print(f"  checked {b_n:,} / {f_n:,} members of {m:,}")


if __name__ == "__main__":
    sys.exit(main())
