"""A MariaDB restart under load loses no acknowledged order.

The test owns every service: its own mariadbd (durable as production: each COMMIT flushed to
the redo log) and redis-server, the schema made by the migrations, and the app served by
gunicorn in a subprocess, as production runs it. Tills (threads) send POS orders and behave
like a real POS: a 503 or a connection error → the same order again (same order_no, signed
afresh) until it is acknowledged. In the middle the server is shut down cleanly and started
again, or SIGKILLed and started again. Then: every acknowledged order is in the database with
its points credited exactly once, `points reconcile` is clean, every request in the outage
was answered 503 `unavailable` in the contract's shape within ANSWER_BOUND seconds (no 500,
no hang), and the service recovered by itself (the same app processes, no manual step).
"""
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.faults import (MARIADB_INSTALL_DB, MARIADBD, REDIS_SERVER, OwnMariaDB, OwnRedis,
                          need, served_app)
from tests.helpers import PosClient

pytestmark = [pytest.mark.faults]

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "jifen"
TILLS = 6
MEMBERS = 12
AMOUNT_FEN = 5000
#: every request is answered within this many seconds, also while the database is away: a
#: bound against hangs, not a timing (measured ≤ 0.8 s on a busy 2-core machine, the 503s'
#: median 0.12-0.33 s, once 1.51 s with benchmarks running beside the suite; the fix that
#: made 503s quick is pinned down by test_db_killed.py, not by this bound)
ANSWER_BOUND = 4
#: the database stays away this long, so tills meet the outage
OUTAGE_SECONDS = 1.5
#: once the database accepts connections again, orders are acknowledged within this (and
#: every request sent later is acknowledged)
RECOVERY_BOUND = 1.0
#: the tills go on this long after the restart
AFTER_SECONDS = 2.5
#: a till gives an order up after this long (a test failure: never acknowledged)
GIVE_UP_SECONDS = 30
PATH = "/api/v1/pos/orders"

SEED = """
import json
from flask_migrate import upgrade
from app import create_app
from tests.factories import Factory

app = create_app()
with app.app_context():
    upgrade()  # the schema from the migrations, as the suite makes it
    factory = Factory(app)
    store = factory.store()
    key_id, secret = factory.api_key(store)
    members = [factory.member().member_no for _ in range({members})]
print(json.dumps({{"store_code": store.code, "key_id": key_id, "secret": secret,
                  "members": members}}))
"""


@dataclass
class Stack:
    mariadb: OwnMariaDB
    env: dict
    base_url: str
    till: dict


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    need(MARIADBD, "mariadbd")
    need(MARIADB_INSTALL_DB, "mariadb-install-db")
    need(REDIS_SERVER, "redis-server")
    directory = tmp_path_factory.mktemp("db-restart")
    mariadb, redis = OwnMariaDB(directory / "mariadb"), OwnRedis(directory)
    try:
        mariadb.install().start()
        redis.start()
        with mariadb.connect() as conn, conn.cursor() as cursor:
            cursor.execute("SELECT @@innodb_flush_log_at_trx_commit, @@innodb_doublewrite")
            assert cursor.fetchone() == (1, 1)  # acknowledged means durable, as in production
            cursor.execute(f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4")
        env = app_env(mariadb.url(DATABASE), redis.url)
        till = json.loads(run_app_python(SEED.format(members=MEMBERS), env).splitlines()[-1])
        with served_app(env, directory / "gunicorn.log") as base_url:
            yield Stack(mariadb, env, base_url, till)
    finally:
        redis.stop()
        mariadb.shutdown()


def app_env(database_url, redis_url):
    env = dict(os.environ)
    env.update({"JIFEN_ENV": "production", "DATABASE_URL": database_url, "REDIS_URL": redis_url,
                "SECRET_KEY": "db-restart-test-secret", "WECHAT_APPID": "wx-db-restart",
                "WECHAT_SECRET": "db-restart-wechat-secret",
                "WECHAT_API_BASE": "http://127.0.0.1:9", "LOG_FORMAT": "json"})
    return env


def run_app_python(code, env):
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


# --- the tills ----------------------------------------------------------------------------

@dataclass
class Attempt:
    order_no: str
    started: float
    seconds: float
    status: int | None  # None: no HTTP answer (connection error, timeout)
    body: dict | None


@dataclass
class Load:
    """What the tills sent and what they were answered."""

    attempts: list = field(default_factory=list)
    acknowledged: dict = field(default_factory=dict)  # order_no → points_earned
    given_up: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    down_at: float = 0.0

    def record(self, attempt):
        with self.lock:
            self.attempts.append(attempt)


def till_loop(stack, prefix, number, load, stop):
    signer = PosClient(None, stack.till["key_id"], stack.till["secret"])
    session = requests.Session()
    n = 0
    while not stop.is_set():
        n += 1
        order_no = f"{prefix}-{number}-{n}"
        member_no = stack.till["members"][(number * 7 + n) % MEMBERS]
        body = json.dumps({"store_code": stack.till["store_code"], "order_no": order_no,
                           "amount_fen": AMOUNT_FEN, "member_no": member_no}).encode()
        send_until_acknowledged(stack, session, signer, order_no, body, load)


def send_until_acknowledged(stack, session, signer, order_no, body, load):
    """As a POS does: the same order (signed afresh: a nonce is single-use) until a 2xx."""
    give_up = time.monotonic() + GIVE_UP_SECONDS
    while time.monotonic() < give_up:
        started = time.monotonic()
        try:
            response = session.post(stack.base_url + PATH, data=body, timeout=ANSWER_BOUND * 5,
                                    headers=signer.signed_headers("POST", PATH, body))
            status, answer = response.status_code, response.json()
        except (requests.RequestException, ValueError):
            status, answer = None, None
        load.record(Attempt(order_no, started, time.monotonic() - started, status, answer))
        if status in (200, 201):
            with load.lock:
                load.acknowledged[order_no] = answer["points_earned"]
            return
        if status not in (503, None):
            return  # anything else is a failure the test reports; a POS would not retry it
        time.sleep(0.05)
    load.given_up.append(order_no)


def under_load(stack, prefix, fault):
    """Tills send orders; after a warm second `fault()` takes the database away, it stays
    away OUTAGE_SECONDS, comes back, and the tills go on AFTER_SECONDS. → (load, back_at)."""
    load, stop = Load(), threading.Event()
    tills = [threading.Thread(target=till_loop, args=(stack, prefix, n, load, stop))
             for n in range(TILLS)]
    for till in tills:
        till.start()
    try:
        time.sleep(1.0)
        down_at = time.monotonic()
        fault()
        load.down_at = down_at
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))
        stack.mariadb.start()
        back_at = time.monotonic()
        time.sleep(AFTER_SECONDS)
    finally:
        stop.set()
        for till in tills:
            till.join(GIVE_UP_SECONDS + 10)
    return load, back_at


# --- what must hold -----------------------------------------------------------------------

def stored_orders(stack, prefix):
    """order_no → (points_earned, [delta of each ledger entry keyed to the order])."""
    with stack.mariadb.connect(DATABASE) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT o.order_no, o.points_earned, e.delta FROM orders o LEFT JOIN points_entries e"
            " ON e.idempotency_key = CONCAT('order:', o.id) WHERE o.order_no LIKE %s",
            (prefix + "-%",))
        found = {}
        for order_no, points, delta in cursor.fetchall():
            found.setdefault(order_no, (points, []))[1].append(delta)
        return found


def assert_no_acknowledged_order_lost(stack, prefix, load):
    assert load.given_up == []
    stored = stored_orders(stack, prefix)
    for order_no, points in load.acknowledged.items():
        assert order_no in stored, f"acknowledged order {order_no} is not in the database"
        assert stored[order_no] == (points, [points]), order_no  # credited exactly once
    sent = {attempt.order_no for attempt in load.attempts}
    assert set(stored) == set(load.acknowledged) == sent  # nothing stored unacknowledged


def assert_outage_answered_in_shape(load, back_at):
    statuses = {}
    for attempt in load.attempts:
        statuses[attempt.status] = statuses.get(attempt.status, 0) + 1
        assert attempt.status in (200, 201, 503), (attempt.status, attempt.body)
        assert attempt.seconds < ANSWER_BOUND, attempt
        if attempt.status == 503:
            assert attempt.body["error"]["code"] == "unavailable", attempt.body
            assert set(attempt.body["error"]) == {"code", "message", "details"}
    assert statuses.get(503, 0) > 0, "no till met the outage: the test proved nothing"
    late = [a for a in load.attempts if a.started > back_at + RECOVERY_BOUND
            and a.status not in (200, 201)]
    assert late == [], late[:5]  # recovered: every order after that is simply acknowledged


def median_503_seconds(load):
    return statistics.median(a.seconds for a in load.attempts if a.status == 503)


def recovery_seconds(load, back_at):
    answered = [a.started + a.seconds for a in load.attempts
                if a.status in (200, 201) and a.started + a.seconds >= back_at]
    return min(answered) - back_at


def assert_reconcile_clean(stack):
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "points", "reconcile"],
                          cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "mismatches: 0" in done.stdout


def report(name, load, back_at):
    retries = len(load.attempts) - len({a.order_no for a in load.attempts})
    counts = {"orders sent": len({a.order_no for a in load.attempts}),
              "acknowledged": len(load.acknowledged), "requests": len(load.attempts),
              "503s": sum(a.status == 503 for a in load.attempts), "retries": retries,
              "replays (200)": sum(a.status == 200 for a in load.attempts),
              "no answer": sum(a.status is None for a in load.attempts),
              "slowest answer s": round(max(a.seconds for a in load.attempts), 3),
              "median 503 s": round(median_503_seconds(load), 3),
              "outage s": round(back_at - load.down_at, 3),
              "recovery s": round(recovery_seconds(load, back_at), 3)}
    print(f"\n{name}: {counts}")
    return counts


@pytest.mark.parametrize("fault", ["shutdown", "crash"])
def test_a_restart_under_load_loses_no_acknowledged_order(stack, fault):
    prefix = f"R{fault[0].upper()}{int(time.time() * 1000) % 10**8}"
    load, back_at = under_load(stack, prefix, getattr(stack.mariadb, fault))
    counts = report(fault, load, back_at)
    assert_no_acknowledged_order_lost(stack, prefix, load)
    assert_outage_answered_in_shape(load, back_at)
    assert counts["recovery s"] < RECOVERY_BOUND
    assert requests.get(stack.base_url + "/healthz", timeout=5).json()["checks"]["database"] == "ok"
    assert_reconcile_clean(stack)
