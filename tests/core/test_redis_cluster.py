"""The app's own Redis use runs on Redis Cluster (RQ does not: it stays on Sentinel, README
"Redis failover"). Against a real 6-node cluster (ops/cluster/redis-cluster.sh), every Lua script
and pipeline the app sends — found in the source by the static check below — runs through the
app's own requests and functions with correct results and no CROSSSLOT error; and each MULTI
or script touches one hash slot (a non-transactional pipeline may span slots: redis-py's cluster
client sends each node its part)."""
import ast
import re
import uuid
from pathlib import Path

import pytest

from core import config_cache, metrics
from core.db import db
from core.redis import get_redis, get_store
from mall import catalog, stock_gate
from tests.faults import RedisClusterNodes
from tests.helpers import ApiClient

pytestmark = [pytest.mark.faults]
ROOT = Path(__file__).resolve().parents[2]
APP_PACKAGES = ("core", "members", "mall", "points", "tasks", "stores", "wx", "lottery",
                "analytics", "console", "media", "banners")

#: every place the app sends a pipeline, a Lua script or a lock (its scripts), and the part of
#: the test below that runs it on the cluster
SITES = {
    ("core/auth.py", "record_login_failure", "pipeline"): "staff login failures",
    ("core/auth.py", "verify_pos_request", "pipeline"): "POS order (nonce + generation)",
    ("core/idempotency.py", "_acquire", "pipeline"): "redemption with Idempotency-Key",
    ("core/idempotency.py", "_release", "eval"): "redemption with Idempotency-Key",
    ("core/idempotency.py", "earlier_outcome", "pipeline"): "redemption replayed",
    ("core/limits.py", "hit", "pipeline"): "redemption rate limit",
    ("core/metrics.py", "_add_to_redis", "pipeline"): "metrics flush",
    ("core/metrics.py", "collect", "pipeline"): "GET /metrics",
    ("core/worker.py", "__init__", "lock"): "the cron leader lock",
    ("mall/stock_gate.py", "_script", "register_script"): "redemption + give back",
    ("members/codes.py", "issue_code", "pipeline"): "member code shown and scanned",
    ("wx/client.py", "refresh", "lock"): "the WeChat token lock",
}


def call_sites():
    """(file, innermost enclosing function, what) of every .pipeline(, .eval(,
    .register_script(, .lock( call in the app's packages."""
    found = set()

    class Finder(ast.NodeVisitor):
        def __init__(self, path):
            self.path, self.functions = path, []

        def visit_FunctionDef(self, node):
            self.functions.append(node.name)
            self.generic_visit(node)
            self.functions.pop()

        def visit_Call(self, node):
            if isinstance(node.func, ast.Attribute) and self.functions and node.func.attr in (
                    "pipeline", "eval", "register_script", "lock"):
                found.add((self.path, self.functions[-1], node.func.attr))
            self.generic_visit(node)

    for package in APP_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            Finder(str(path.relative_to(ROOT))).visit(ast.parse(path.read_text()))
    return found


def lua_sources():
    """Every Lua script in the app's packages (a string constant calling redis.call)."""
    for package in APP_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                        and "redis.call" in node.value:
                    yield path.name, node.value


def test_every_pipeline_and_script_site_is_known_and_one_slot():
    """A new site fails here until it is run on the cluster below. A MULTI (pipeline without
    transaction=False) and a script may touch one key (one slot); more keys need a shared
    {hash tag}."""
    assert call_sites() == set(SITES)
    for name, source in lua_sources():
        assert set(re.findall(r"KEYS\[(\d+)\]", source)) == {"1"}, (name, source)
    transactional = [site for site in call_sites() if site[2] == "pipeline"
                     and "transaction=False" not in _calls(site)]
    assert transactional == [("core/auth.py", "record_login_failure", "pipeline")]
    assert ".incr(key).expire(key," in _calls(transactional[0])  # one key per MULTI


def _calls(site):
    source = (ROOT / site[0]).read_text()
    start = source.index(f"def {site[1]}(")
    return source[start:source.find("\ndef ", start + 1)]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    nodes = RedisClusterNodes(tmp_path_factory.mktemp("redis-cluster")).start()
    yield nodes
    nodes.stop()


@pytest.fixture
def on_cluster(app, cluster, monkeypatch):
    """The app's Redis client is the cluster's for this test."""
    client = cluster.client()
    monkeypatch.setattr(get_store(), "client", client)
    monkeypatch.setitem(app.config, "RATE_LIMITS", {**app.config["RATE_LIMITS"],
                                                    "redemption": {"member": "100/60",
                                                                   "address": "100/60"}})
    yield client
    client.flushall()
    client.close()


def test_the_apps_redis_work_runs_on_redis_cluster(app, factory, pos_client, on_cluster):
    assert len(on_cluster.get_primaries()) == 3
    store = factory.store()
    member = factory.member(points=1000)
    me = ApiClient(app.test_client(), token=factory.member_token(member), member=member)
    staff = factory.staff(role="hq_admin", username=f"s{uuid.uuid4().hex[:8]}")
    cashier = ApiClient(app.test_client(), token=factory.staff_token(staff))

    # POS: the nonce and the configuration generation in one pipeline; a replay is refused
    pos = pos_client(store)
    body = {"store_code": store.code, "order_no": "C1", "amount_fen": 1000,
            "member_no": member.member_no}
    nonce = uuid.uuid4().hex
    assert pos.post("/pos/orders", body, nonce=nonce).status_code == 201
    assert pos.post("/pos/orders", body, nonce=nonce).status_code == 401

    # member codes: issued (a pipeline of two keys), reused, scanned
    code = me.get("/me/member-code").get_json()["code"]
    assert me.get("/me/member-code").get_json()["code"] == code
    scanned = cashier.post("/staff/scan", {"code": code})
    assert scanned.get_json()["member"]["member_no"] == member.member_no

    # the stock gate's scripts, the Idempotency-Key lock and its release, the rate limit
    gift = catalog.create_product({"title": "Mug", "kind": "gift", "points_price": 10,
                                   "stock": 3})
    db.session.commit()
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = me.post("/mall/redemptions", {"product_id": gift.id}, headers=key)
    assert first.status_code == 201
    again = me.post("/mall/redemptions", {"product_id": gift.id}, headers=key)
    assert again.status_code == 201 and again.get_json()["id"] == first.get_json()["id"]
    assert stock_gate.peek(gift.id) == 2
    stock_gate.give(gift.id, 1)
    assert stock_gate.peek(gift.id) == 3
    stock_gate.set_stock(gift.id, 2)
    assert stock_gate.take(gift.id, 3, lambda: 2) is False
    stock_gate.forget(gift.id)
    assert stock_gate.take(gift.id, 1, lambda: 2) is True and stock_gate.peek(gift.id) == 1

    # login failures: counted per user and per address (a MULTI each), then 429
    for _ in range(app.config["LOGIN_FAILS_PER_USER"]):
        wrong = {"username": staff.username, "password": "wrong-password"}
        assert cashier.post("/staff/auth/login", wrong).status_code == 401
    assert cashier.post("/staff/auth/login", wrong).status_code == 429

    # the configuration generation, shared metrics, and the locks' scripts
    before = get_redis().get(config_cache.generation_key())
    get_redis().incr(config_cache.generation_key())
    assert get_redis().get(config_cache.generation_key()) != before
    metrics.count("jifen_job_runs_total", job="cluster-test", outcome="ok")
    assert b"cluster-test" in app.test_client().get("/metrics").data
    lock = get_redis().lock(f"jifen:cluster-lock:{uuid.uuid4().hex}", timeout=5)
    assert lock.acquire(blocking=False) and lock.reacquire() and lock.owned()
    lock.release()
