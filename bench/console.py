"""Console benchmark: the member card of a member with 100,000 ledger entries, and the scan →
card round trip, next to GET /healthz in the same run, under gunicorn on MariaDB + Redis.

    .venv/bin/python bench/console.py [--entries 100000] [--requests 300] [--rounds 3]

Builds its own database (migrations, demo seed: store SH001, cashier.sh), gives the demo
member `--entries` ledger entries (earnings and spendings, 50,000 spent lots and 20 live ones),
signs in as cashier.sh and times, one request at a time over a kept-alive connection:
GET /healthz and GET /console/members/<no> (the card), taking turns so that other load on the
machine weighs on both alike, then POST /console/scan with a member code the member's
GET /me/member-code issued, followed to the card. Prints p50/p95 of each and the
card's p95 over /healthz's (goal ≤ 5), the median of the rounds' ratios, and the p50s'
ratio; the gunicorn workers' CPU time per request of each (which other load on the machine
inflates far less than wall-clock percentiles, though not at all only on an idle machine);
then every SQL
statement the card runs, with the rows MariaDB's EXPLAIN expects it to read (none may read the
member's history: goal ≤ 1,000 rows each, against --entries).
"""
import argparse
import os
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.flash_sale import Resources, start_gunicorn, stop  # noqa: E402

PORT = 8731
CASHIER = ("cashier.sh", "cashier-demo-1")


def build(app, entries):
    """The demo data, and the demo member's long history (Core inserts, in batches)."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, update

    from core import clock
    from core.cli import seed_demo_data
    from core.db import db
    from members.demo import demo_member
    from points.ledger.models import PointsAccount, PointsEntry, PointsLot

    with app.app_context():
        upgrade()
        seed_demo_data()
        member = demo_member()
        member_no, member_id, now = member.member_no, member.id, clock.now()
        start = now - timedelta(days=700)
        for first in range(0, entries, 5000):
            rows, lots = [], []
            for i in range(first, min(first + 5000, entries)):
                earn = i % 2 == 0
                rows.append({"member_id": member_id, "kind": "earn" if earn else "spend",
                             "delta": 10 if earn else -10, "balance_after": 10 if earn else 0,
                             "idempotency_key": f"bench:{i}", "debt_change": 0,
                             "created_at": start + timedelta(minutes=i * 10)})
                if earn:
                    lots.append({"member_id": member_id, "amount": 10, "remaining": 0,
                                 "entry_id": 0, "created_at": start + timedelta(minutes=i * 10),
                                 "expires_at": now + timedelta(days=365), "birthday_extended": False})
            db.session.execute(insert(PointsEntry), rows)
            db.session.execute(insert(PointsLot), lots)
            db.session.commit()
        db.session.execute(insert(PointsLot), [
            {"member_id": member_id, "amount": 50, "remaining": 50, "entry_id": 0,
             "created_at": now, "expires_at": now + timedelta(days=30 * (1 + i)),
             "birthday_extended": False} for i in range(20)])
        db.session.execute(update(PointsAccount).where(PointsAccount.member_id == member_id)
                           .values(balance=PointsAccount.balance + 1000))
        db.session.commit()
        from core.auth import issue_member_token
        return member_no, issue_member_token(member_id)


def signed_in(base):
    session = requests.Session()
    page = session.get(base + "/console/sign-in").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = session.post(base + "/console/sign-in", allow_redirects=False,
                          data={"username": CASHIER[0], "password": CASHIER[1], "csrf_token": token})
    assert answer.status_code == 302, answer.text[:300]
    return session


def timed(calls, n):
    """Each of `calls` n times, taking turns (a, b, a, b, …), so that what else runs on the
    machine weighs on each the same: their times, in ms, one list per call."""
    times = [[] for _ in calls]
    for _ in range(n):
        for call, into in zip(calls, times):
            started = time.perf_counter()
            call()
            into.append((time.perf_counter() - started) * 1000)
    return times


def server_cpu_ms(proc) -> float:
    """CPU time used so far by gunicorn's workers (the master's children), in ms: waiting for
    a core while other programs run is not counted (wall-clock percentiles count it)."""
    tick = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total * 1000 / tick


def cpu_per_request(proc, call, n) -> float:
    before = server_cpu_ms(proc)
    for _ in range(n):
        call()
    return (server_cpu_ms(proc) - before) / n


def p(times, q):
    return statistics.quantiles(times, n=100)[q - 1]


def run(base, member_no, member_token, n, rounds, proc):
    session = signed_in(base)
    card_url = f"{base}/console/members/{member_no}"
    scan_page = session.get(base + "/console/scan").text
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', scan_page).group(1)

    def health():
        assert session.get(base + "/healthz").status_code == 200

    def card():
        response = session.get(card_url)
        assert response.status_code == 200 and 'data-balance' in response.text

    def scan():
        code = requests.get(base + "/api/v1/me/member-code", timeout=5,
                            headers={"Authorization": f"Bearer {member_token}"}).json()["code"]
        started = time.perf_counter()
        response = session.post(base + "/console/scan", data={"code": code, "csrf_token": csrf})
        assert response.status_code == 200 and member_no in response.text, response.text[:300]
        return (time.perf_counter() - started) * 1000

    for call in (health, card, scan):  # warm up
        call()
    results = {"healthz": [], "card": [], "scan → card": []}
    ratios = []
    for _ in range(rounds):
        h, c = timed((health, card), n)
        s = [scan() for _ in range(n // 3)]
        results["healthz"] += h
        results["card"] += c
        results["scan → card"] += s
        ratios.append(p(c, 95) / p(h, 95))
        print(f"  round: healthz p95 {p(h, 95):.1f} ms, card p95 {p(c, 95):.1f} ms, "
              f"ratio {ratios[-1]:.2f}", flush=True)
    cpu = {"healthz": cpu_per_request(proc, health, n), "card": cpu_per_request(proc, card, n)}
    return results, ratios, cpu


def explain_card(app, member_no):
    """Every statement the card runs (in process, same code), with EXPLAIN's rows estimate."""
    from sqlalchemy import event, text

    from core.db import db

    statements = []
    app.config["TESTING"] = True
    client = app.test_client()
    page = client.get("/console/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/console/sign-in", data={"username": CASHIER[0], "password": CASHIER[1],
                                          "csrf_token": token})

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    assert client.get(f"/console/members/{member_no}").status_code == 200
    event.remove(engine, "before_cursor_execute", record)
    rows = []
    with app.app_context():
        with engine.connect() as conn:
            for statement, parameters in statements:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                raw = conn.connection.cursor()
                raw.execute("EXPLAIN " + statement, parameters)
                plan = raw.fetchall()
                estimate = max((r[8] or 0) for r in plan)
                rows.append((int(estimate), " ".join(statement.split())[:110]))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="of each kind, per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    res = Resources()
    res.create()
    proc = None
    try:
        env = {**os.environ, "DATABASE_URL": res.database_url, "REDIS_URL": res.redis_url,
               "SECRET_KEY": "bench-console-secret", "LOG_LEVEL": "WARNING",
               "CONSOLE_COOKIE_SECURE": "0"}  # plain HTTP on loopback
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY",
                                               "CONSOLE_COOKIE_SECURE", "LOG_LEVEL")})
        from app import create_app

        app = create_app()
        started = time.perf_counter()
        member_no, member_token = build(app, args.entries)
        print(f"member {member_no}: {args.entries:,} ledger entries written in "
              f"{time.perf_counter() - started:.0f} s")
        with open(ROOT / "bench" / "console-gunicorn.log", "w") as log:
            proc = start_gunicorn(env, PORT, log, threads=4)
        results, ratios, cpu = run(f"http://127.0.0.1:{PORT}", member_no, member_token,
                                   args.requests, args.rounds, proc)
        for name, times in results.items():
            print(f"{name:<12} p50 {p(times, 50):6.1f} ms   p95 {p(times, 95):6.1f} ms   "
                  f"({len(times)} requests)")
        ratio = statistics.median(ratios)
        print(f"card p95 / healthz p95 = {ratio:.2f} (median of rounds "
              f"{', '.join(f'{r:.2f}' for r in ratios)}; goal ≤ 5)")
        print(f"card p50 / healthz p50 = "
              f"{p(results['card'], 50) / p(results['healthz'], 50):.2f}")
        print(f"server CPU per request: healthz {cpu['healthz']:.2f} ms, card {cpu['card']:.2f} ms"
              f" (ratio {cpu['card'] / cpu['healthz']:.2f}; {args.requests} of each, one after"
              f" the other)")
        plans = explain_card(app, member_no)
        print(f"the card's {len(plans)} SELECTs, rows EXPLAIN expects each to read "
              f"(history: {args.entries:,} entries):")
        for estimate, statement in plans:
            print(f"  {estimate:>7,}  {statement}")
        worst = max(e for e, _ in plans)
        print(f"most rows read by one statement: {worst:,} (goal ≤ 1,000)")
    finally:
        stop(proc)
        res.drop()
        (ROOT / "bench" / "console-gunicorn.log").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
