"""Redis fails over under load, and the app follows without a restart.

The test owns its Redis: a primary, a replica and 3 Sentinels started by ops/cluster/redis.sh
(REDIS_DOWN_AFTER_MS=1000). The app is served by gunicorn and a `flask worker` runs jobs, both
configured with REDIS_SENTINELS only. Tills send POS orders, members show member codes that a
cashier scans, check in and redeem a gift whose stock (30) is smaller than the demand, and
jobs (the expiry sweep) are enqueued — while the primary is failed over (`SENTINEL FAILOVER`,
a planned switch) or SIGKILLed (the Sentinels notice within ~1 s and promote the replica).

What must hold (README "Redis failover"): requests answer 503 `unavailable` (never 500, never
a hang) until the Sentinels name the new primary, then succeed again within RECOVERY_BOUND —
the same gunicorn and worker processes; every acknowledged order is credited once; a nonce
whose write was lost may be replayed (the documented window), but the replayed order is only
replayed, never credited again; a scanned member code names the member it was issued to, or
none (a code lost with the primary: the mini-program shows a new one); the gift is never
oversold, and once the stock gate is rebuilt every unit can be sold (a lost gate write only
under-sells until the rebuild job); each check-in day and each expiring lot is credited or
expired once however often its job ran; a configuration change after the failover reaches
every process at once.

Measure: `pytest -s -p no:cacheprovider tests/core/test_redis_failover.py` prints, per fault,
the failover time (first failed request → first success after it) and the requests failed.
"""
import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import requests
from redis import RedisError
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import func, select

from core import clock, config_cache
from core.db import db
from core.redis import PrimaryPool, sentinel_primary
from core.worker import QUEUE_NAME, run_job
from mall import catalog
from mall.models import Product, Redemption
from mall.stock_gate import key as gate_key
from points.earning.models import Order
from points.ledger.models import PointsAllocation, PointsEntry, PointsLot
from tasks import service as tasks_service
from tests.faults import SentinelGroup, served_app
from tests.helpers import PosClient
from tests.points.ledger_checks import assert_ledger_consistent
from tests.worker_process import kill_hard, start_worker, wait_until, worker_env

pytestmark = [pytest.mark.faults, pytest.mark.committing, pytest.mark.mariadb]

MEMBERS = 8
STOCK = 30
AMOUNT_FEN = 5000
#: every request is answered within this (a bound against hangs, not a timing)
ANSWER_BOUND = 5.0
#: once the Sentinels name the new primary, every request sent this much later succeeds
RECOVERY_BOUND = 2.0
WARM_SECONDS, AFTER_SECONDS = 1.5, 4.0
GIVE_UP_SECONDS = 20
FAILED = (503, None)  # None: no HTTP answer


@dataclass
class Answer:
    kind: str
    started: float
    seconds: float
    status: int | None
    body: dict | None


@dataclass
class Load:
    answers: list = field(default_factory=list)
    orders: dict = field(default_factory=dict)        # order_no → points_earned
    signed: list = field(default_factory=list)  # acknowledged orders: body, headers, points, when
    scans: list = field(default_factory=list)         # (member_no shown, status, member_no read)
    redemptions: set = field(default_factory=set)     # acknowledged redemption ids
    jobs: list = field(default_factory=list)          # ids of acknowledged enqueues
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, session, kind, method, url, **kwargs) -> Answer:
        started = time.monotonic()
        try:
            response = session.request(method, url, timeout=ANSWER_BOUND * 3, **kwargs)
            status, body = response.status_code, response.json()
        except (requests.RequestException, ValueError):
            status, body = None, None
        answer = Answer(kind, started, time.monotonic() - started, status, body)
        with self.lock:
            self.answers.append(answer)
        return answer


@pytest.fixture(scope="module")
def servers(app, tmp_path_factory):
    """The Sentinel group, gunicorn and a worker on it: the same processes for every test (the
    second fails over a group the first already failed over)."""
    directory = tmp_path_factory.mktemp("redis-failover")
    group = SentinelGroup(directory / "redis").start()
    worker = None
    try:
        env = worker_env(app, REDIS_URL="", **group.env, RATE_LIMIT_REDEMPTION_PER_MEMBER="",
                         RATE_LIMIT_CHECKIN_PER_MEMBER="")
        worker = start_worker(app, "--no-cron", REDIS_URL="", **group.env)
        with served_app(env, directory / "gunicorn.log") as base_url:
            redis = sentinel_primary(group.env["REDIS_SENTINELS"],
                                     group.env["REDIS_SENTINEL_MASTER"], patient=True)
            yield {"group": group, "base": base_url + "/api/v1", "worker": worker,
                   "redis": redis}
    finally:
        if worker is not None:
            kill_hard(worker)
        group.stop()


@pytest.fixture
def stack(servers, factory):
    servers["group"].wait_until_replicated()  # the earlier test's failover has healed
    shop = seed(factory)
    servers["redis"].incr(config_cache.generation_key())  # the emptied tables: reload them
    return {**servers, **shop}


def seed(factory):
    store = factory.store()
    key_id, secret = factory.api_key(store)
    cashier = factory.staff(role="hq_admin")
    due = clock.end_of_business_day(clock.business_date()) - timedelta(seconds=1)  # today's sweep
    members = []
    for _ in range(MEMBERS):
        member = factory.member(points=10_000)
        factory.credit(member, 7, expires_at=due)
        members.append((member.id, member.member_no, factory.member_token(member)))
    gift = catalog.create_product({"title": "Mug", "kind": "gift", "points_price": 10,
                                   "stock": STOCK})
    tasks_service.save_task({"kind": "checkin", "title": "checkin",
                             "config": {"schedule": [5]}})
    db.session.commit()
    return {"store_code": store.code, "pos": PosClient(None, key_id, secret),
            "staff_token": factory.staff_token(cashier), "members": members,
            "gift_id": gift.id, "today": clock.business_date().isoformat()}


# --- the load -----------------------------------------------------------------------------

def till(stack, load, stop, number):
    session, n = requests.Session(), 0
    while not stop.is_set():
        n += 1
        order_no = f"F{number}-{n}-{uuid.uuid4().hex[:6]}"
        member_no = stack["members"][(number + n) % MEMBERS][1]
        body = json.dumps({"store_code": stack["store_code"], "order_no": order_no,
                           "amount_fen": AMOUNT_FEN, "member_no": member_no}).encode()
        until_answered(lambda: pos_order(stack, load, session, body), order_no, load)


def pos_order(stack, load, session, body):
    headers = stack["pos"].signed_headers("POST", "/api/v1/pos/orders", body)
    answer = load.send(session, "order", "POST", stack["base"] + "/pos/orders", data=body,
                       headers=headers)
    if answer.status in (200, 201):
        with load.lock:
            load.orders[json.loads(body)["order_no"]] = answer.body["points_earned"]
            load.signed.append((body, headers, answer.body["points_earned"],
                                answer.started + answer.seconds))
    return answer


def until_answered(send, what, load):
    """As a client does: the same thing again after a 503 or no answer."""
    give_up = time.monotonic() + GIVE_UP_SECONDS
    while time.monotonic() < give_up:
        answer = send()
        if answer.status not in FAILED:
            return answer
        time.sleep(0.05)
    raise AssertionError(f"{what}: never answered")


def member_codes(stack, load, stop):
    session, n = requests.Session(), 0
    staff = {"Authorization": f"Bearer {stack['staff_token']}"}
    while not stop.is_set():
        n += 1
        _id, member_no, token = stack["members"][n % MEMBERS]
        shown = load.send(session, "code", "GET", stack["base"] + "/me/member-code",
                          headers={"Authorization": f"Bearer {token}"})
        if shown.status != 200:
            continue
        scan = load.send(session, "scan", "POST", stack["base"] + "/staff/scan",
                         json={"code": shown.body["code"]}, headers=staff)
        if scan.status not in FAILED:
            read = (scan.body.get("member") or {}).get("member_no")
            load.scans.append((member_no, scan.status, read))


def redeem(stack, load, session, n):
    token = stack["members"][n % MEMBERS][2]
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
    answer = until_answered(lambda: load.send(
        session, "redemption", "POST", stack["base"] + "/mall/redemptions",
        json={"product_id": stack["gift_id"], "quantity": 1}, headers=headers), "redeem", load)
    if answer.status == 201:
        with load.lock:
            load.redemptions.add(answer.body["id"])
    return answer


def shopper(stack, load, stop, number):
    session, n = requests.Session(), number
    while not stop.is_set():
        n += 2
        redeem(stack, load, session, n)
        time.sleep(0.1)


def check_ins(stack, load, stop):
    session, n = requests.Session(), 0
    while not stop.is_set():
        n += 1
        token = stack["members"][n % MEMBERS][2]
        load.send(session, "checkin", "POST", stack["base"] + "/me/checkins",
                  headers={"Authorization": f"Bearer {token}"})
        time.sleep(0.05)


def enqueue(stack, path, *args):
    """What the cron scheduler does: a job onto the queue (on the Sentinels' primary)."""
    return Queue(QUEUE_NAME, connection=stack["redis"]).enqueue(
        run_job, args=(path.rpartition(":")[2], path, args, {}))


def sweeps(stack, load, stop):
    while not stop.is_set():
        started = time.monotonic()
        try:
            job = enqueue(stack, "points.ledger.jobs:expiry_sweep", stack["today"])
            status = 201
        except RedisError:  # the patient client gave up: counted as failed
            job, status = None, None
        with load.lock:
            load.answers.append(Answer("enqueue", started, time.monotonic() - started, status,
                                       None))
            load.jobs += [job.id] if job else []
        time.sleep(0.8)


def under_load(app, stack, fault):
    """The load runs; after WARM_SECONDS `fault` strikes; → (load, fault_at, promoted_at)."""
    load, stop = Load(), threading.Event()
    workers = ([threading.Thread(target=till, args=(stack, load, stop, n)) for n in range(3)]
               + [threading.Thread(target=shopper, args=(stack, load, stop, n)) for n in range(2)]
               + [threading.Thread(target=f, args=(stack, load, stop))
                  for f in (member_codes, check_ins, sweeps)])
    for thread in workers:
        thread.start()
    try:
        time.sleep(WARM_SECONDS)
        old = stack["group"].primary()
        fault_at = time.monotonic()
        fault()
        promoted_at = stack["group"].wait_for_new_primary(old)
        time.sleep(AFTER_SECONDS)
    finally:
        stop.set()
        for thread in workers:
            thread.join(GIVE_UP_SECONDS + 10)
    return load, fault_at, promoted_at


# --- what must hold -----------------------------------------------------------------------

#: requests that cannot be answered without Redis (a check-in only counts its rate limit there)
NEEDS_REDIS = ("order", "code", "scan", "redemption")


def measure(name, load, fault_at, promoted_at):
    """The failover as clients saw it: from the first failed request to the first success
    after the last failed one (requests that need Redis)."""
    failed = [a for a in load.answers if a.status in FAILED]
    first_error = min((a.started for a in failed), default=None)
    last_error = max((a.started for a in failed), default=None)
    recovered = min((a.started + a.seconds for a in load.answers
                     if last_error is not None and a.started > last_error
                     and a.kind in NEEDS_REDIS and a.status in (200, 201)), default=None)
    figures = {
        "requests": len(load.answers), "failed": len(failed),
        "503s": sum(a.status == 503 for a in load.answers),
        "no answer": sum(a.status is None for a in load.answers),
        "promotion s (fault → new primary named)": round(promoted_at - fault_at, 3),
        "failover s (first failure → first success after the last)":
            round(recovered - first_error, 3) if failed else 0.0,
        "slowest answer s": round(max(a.seconds for a in load.answers), 3),
        "by kind": dict(Counter((a.kind, a.status) for a in load.answers)),
    }
    print(f"\nRedis failover ({name}): {figures}")
    return figures


def assert_answered_in_shape_and_recovered(load, promoted_at):
    for answer in load.answers:
        assert answer.seconds < ANSWER_BOUND, answer
        assert answer.status is None or answer.status < 500 or answer.status == 503, answer
        if answer.status == 503:
            assert answer.body["error"]["code"] == "unavailable", answer.body
    late = [a for a in load.answers
            if a.started > promoted_at + RECOVERY_BOUND and a.status in FAILED]
    assert late == [], late[:5]  # recovered by itself, the same processes
    assert any(a.status in (200, 201) and a.started > promoted_at + RECOVERY_BOUND
               for a in load.answers)


def assert_orders_credited_once(load):
    db.session.remove()
    stored = {o.order_no: o for o in db.session.scalars(select(Order))}
    assert set(stored) == set(load.orders)  # nothing stored unacknowledged, nothing lost
    credits = Counter(db.session.scalars(
        select(PointsEntry.idempotency_key).where(PointsEntry.kind == "earn",
                                                  PointsEntry.idempotency_key.like("order:%"))))
    for order_no, points in load.orders.items():
        assert stored[order_no].points_earned == points
        assert credits[f"order:{stored[order_no].id}"] == 1, order_no


def replay_nonces(stack, load, signed):
    """Send acknowledged orders again, byte for byte (same nonce): refused (401), or — the
    nonce lost with the primary — answered as the replay of that order (200), never credited
    again. → how many nonces were lost."""
    lost, session = 0, requests.Session()
    for body, headers, points, _at in signed:
        answer = load.send(session, "replay", "POST", stack["base"] + "/pos/orders", data=body,
                           headers=headers)
        assert answer.status in (200, 401), answer
        if answer.status == 200:
            lost += 1
            assert answer.body["points_earned"] == points
    return lost


def assert_nonces_after_the_switch_kept(stack, load, fault_at, promoted_at, old_is_back):
    """Nonces taken before the fault may be lost (reported); those taken once the app has
    had PrimaryPool.CHECK_SECONDS to see the new primary are on it — not on an old primary
    that is demoted later and resyncs (a planned failover leaves it taking writes ~10 s)."""
    before = [s for s in load.signed if s[3] < fault_at][-20:]
    print(f"nonces lost with the primary: {replay_nonces(stack, load, before)} of the last "
          f"{len(before)} before the fault")
    after = [s for s in load.signed if s[3] - 0.5 > promoted_at + PrimaryPool.CHECK_SECONDS]
    assert after, "no order acknowledged after the switch: the test proved nothing"
    if old_is_back:  # the old primary demoted and resynced: what it took after the switch is
        stack["group"].wait_until_replicated()  # gone (a replay sent there finds the nonce)
    lost = replay_nonces(stack, load, after)
    assert lost == 0, f"{lost} of {len(after)} nonces after the switch went to the old primary"


def assert_codes_name_their_member(stack, load):
    assert load.scans, "no code was scanned"
    for shown, status, read in load.scans:
        assert status in (200, 404, 410), (shown, status)
        if status == 200:
            assert read == shown
    _id, member_no, token = stack["members"][0]
    session = requests.Session()
    code = session.get(stack["base"] + "/me/member-code",
                       headers={"Authorization": f"Bearer {token}"}, timeout=10).json()["code"]
    scan = session.post(stack["base"] + "/staff/scan", json={"code": code}, timeout=10,
                        headers={"Authorization": f"Bearer {stack['staff_token']}"})
    assert scan.json()["member"]["member_no"] == member_no


def run_on_worker(stack, path, *args, timeout=30):
    job = enqueue(stack, path, *args)
    wait_until(lambda: Job.fetch(job.id, connection=stack["redis"]).get_status()
               in ("finished", "failed"), timeout=timeout)
    assert Job.fetch(job.id, connection=stack["redis"]).get_status() == "finished"


def gate(stack):
    value = stack["redis"].get(gate_key(stack["gift_id"]))  # the app's prefix: worker_env's
    return None if value is None else int(value)


def assert_never_oversold_and_all_sold_after_rebuild(stack, load):
    db.session.remove()
    gift = db.session.get(Product, stack["gift_id"])
    redeemed = set(db.session.scalars(select(Redemption.id)
                                      .where(Redemption.product_id == gift.id)))
    assert gift.stock_left >= 0 and STOCK - gift.stock_left == len(redeemed)
    assert load.redemptions <= redeemed  # every acknowledged redemption is there
    run_on_worker(stack, "mall.jobs:rebuild_gate")
    assert gate(stack) == gift.stock_left  # the rebuild copies the truth
    session = requests.Session()
    for n in range(gift.stock_left + 3):  # what is left can be sold, and no more
        redeem(stack, load, session, n)
    db.session.remove()
    assert db.session.get(Product, stack["gift_id"]).stock_left == 0
    assert db.session.scalar(select(func.count()).select_from(Redemption)) == STOCK
    assert gate(stack) == 0


def assert_each_member_checked_in_once(stack):
    session = requests.Session()
    for _id, _no, token in stack["members"]:
        answer = session.post(stack["base"] + "/me/checkins", timeout=10,
                              headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code in (201, 409), answer.text
    db.session.remove()
    per_member = Counter(db.session.scalars(
        select(PointsEntry.member_id).where(PointsEntry.ref_type == "checkin")))
    assert per_member == Counter({member_id: 1 for member_id, _no, _t in stack["members"]})


def job_outcomes(stack, load) -> Counter:
    """How each acknowledged enqueue ended (once the queue is worked off): finished; lost (the
    enqueue was among the old primary's last writes); or a record the failover left behind —
    "started" (it ran, but the note that it finished went to the old primary: RQ's registry
    cleanup later calls it abandoned) or "queued" while no longer in the queue (it was taken
    from the queue on the old primary) — neither runs again."""
    waiting = set(Queue(QUEUE_NAME, connection=stack["redis"]).job_ids)

    def status(job_id):
        try:
            status = str(Job.fetch(job_id, connection=stack["redis"]).get_status().value)
        except NoSuchJobError:
            return "lost"
        return "queued" if job_id in waiting else {"queued": "stale queued"}.get(status, status)

    return Counter(status(j) for j in load.jobs)


def assert_each_lot_expired_once(stack, load):
    assert stack["worker"].poll() is None, "the worker died in the failover"
    run_on_worker(stack, "points.ledger.jobs:expiry_sweep", stack["today"])  # after all others
    outcomes = job_outcomes(stack, load)
    print(f"queued jobs: {dict(outcomes)}")
    assert set(outcomes) <= {"finished", "lost", "started", "stale queued"}
    assert outcomes["finished"] > 0
    db.session.remove()
    due = clock.end_of_business_day(clock.business_date())
    lots = set(db.session.scalars(select(PointsLot.id).where(PointsLot.expires_at <= due)))
    assert len(lots) == MEMBERS
    expired = Counter(db.session.scalars(
        select(PointsAllocation.lot_id)
        .join(PointsEntry, PointsEntry.id == PointsAllocation.entry_id)
        .where(PointsEntry.kind == "expire")))
    assert set(expired) <= lots and set(expired.values()) <= {1}
    assert db.session.scalar(select(func.sum(PointsLot.remaining))
                             .where(PointsLot.id.in_(lots))) == 0


def assert_config_change_reaches_every_process(stack):
    session = requests.Session()
    staff = {"Authorization": f"Bearer {stack['staff_token']}"}
    answer = session.put(stack["base"] + "/admin/settings", headers=staff, timeout=10,
                         json={"earn": {"points_per_yuan": 3}})
    assert answer.status_code == 200, answer.text
    for n in range(8):  # new connections: both gunicorn workers answer some
        body = json.dumps({"store_code": stack["store_code"], "order_no": f"CFG-{n}",
                           "amount_fen": AMOUNT_FEN,
                           "member_no": stack["members"][n][1]}).encode()
        answer = requests.post(stack["base"] + "/pos/orders", data=body, timeout=10,
                               headers=stack["pos"].signed_headers("POST", "/api/v1/pos/orders",
                                                                   body))
        assert answer.status_code == 201 and answer.json()["points_earned"] == 150, answer.text


@pytest.mark.parametrize("fault", ["sentinel-failover", "sigkill"])
def test_the_app_follows_a_redis_failover_under_load(app, stack, fault):
    group = stack["group"]
    load, fault_at, promoted_at = under_load(
        app, stack, group.failover if fault == "sentinel-failover" else group.kill_primary)
    figures = measure(fault, load, fault_at, promoted_at)
    assert_answered_in_shape_and_recovered(load, promoted_at)
    assert_nonces_after_the_switch_kept(stack, load, fault_at, promoted_at,
                                        old_is_back=fault == "sentinel-failover")
    assert_orders_credited_once(load)
    assert_codes_name_their_member(stack, load)
    assert_never_oversold_and_all_sold_after_rebuild(stack, load)
    assert_each_member_checked_in_once(stack)
    assert_each_lot_expired_once(stack, load)
    assert_config_change_reaches_every_process(stack)
    assert_ledger_consistent()
    assert figures["requests"] > 100
