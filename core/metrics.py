"""Prometheus metrics at GET /metrics.

Two kinds:
- per process (prometheus_client): HTTP requests by route and status, and their duration. Under
  gunicorn with several workers set PROMETHEUS_MULTIPROC_DIR (see README) so /metrics adds up
  every worker process;
- shared (Redis): job runs and failures, reminders, points issued/spent/expired, the ledger
  check. They are counted by whichever process did the work (a web process, an RQ work horse on
  another host) into Redis hashes, so every app server's /metrics shows the same global totals:
  aggregate them with max(), not sum(), across app servers.

Counts that belong to a transaction (points) are added only after it commits
(`count_after_commit`); a rolled-back request counts nothing. A web process gathers them for
up to METRICS_FLUSH_SECONDS (1 s) and adds them in one round trip (a till order paid one for
its counts alone); its own /metrics and its exit add them at once, a job adds its own at once.
A worker killed outright (SIGKILL) loses at most that last second's counts.
"""
import atexit
import json
import logging
import os
import threading

from flask import Blueprint, Response, current_app, has_app_context, has_request_context
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram,
                               generate_latest)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from core.db import after_commit, db
from core.redis import get_redis, rkey

log = logging.getLogger(__name__)

HTTP_REQUESTS = Counter("jifen_http_requests_total", "HTTP requests answered",
                        ["method", "route", "status"])
HTTP_DURATION = Histogram("jifen_http_request_duration_seconds", "HTTP request duration",
                          ["method", "route"])

#: the shared metrics: name → (type, help, label names)
SHARED = {
    "jifen_job_runs_total": ("counter", "Job runs by outcome (ok, failed)", ("job", "outcome")),
    "jifen_job_duration_seconds_total": ("counter", "Time spent running each job", ("job",)),
    "jifen_job_last_success_timestamp_seconds": ("gauge", "When each job last succeeded",
                                                 ("job",)),
    "jifen_reminders_total": ("counter", "Expiry reminders by outcome (sent, refused, failed)",
                              ("outcome",)),
    "jifen_points_issued_total": ("counter", "Points credited, by entry kind", ("kind",)),
    "jifen_points_spent_total": ("counter", "Points spent or deducted, by entry kind", ("kind",)),
    "jifen_points_expired_total": ("counter", "Points expired", ()),
    "jifen_ledger_mismatches": ("gauge", "Mismatches found by the last ledger reconciliation", ()),
    "jifen_ledger_checked_timestamp_seconds": ("gauge", "When the ledger was last reconciled", ()),
}

metrics_blp = Blueprint("metrics", __name__)


def _field(labels: dict) -> str:
    return json.dumps(labels, sort_keys=True, ensure_ascii=False)


def count(name: str, amount: float = 1, **labels) -> None:
    """Add to a shared counter now."""
    if amount:
        get_redis().hincrbyfloat(rkey("metrics", name), _field(labels), amount)


def set_gauge(name: str, value: float, **labels) -> None:
    get_redis().hset(rkey("metrics", name), _field(labels), value)


class _PendingCounts:
    """Counts of one transaction, handed on once it has committed: to this process's
    _Gathered counts in a request, straight to Redis otherwise."""

    def __init__(self):
        self.counts: dict[tuple, float] = {}

    def __call__(self):
        counts = {(rkey("metrics", name), field): amount
                  for (name, field), amount in self.counts.items()}
        delay = current_app.config["METRICS_FLUSH_SECONDS"] if has_request_context() else 0
        if delay > 0:
            _gathered().add(counts, delay)
        else:
            _add_to_redis(get_redis(), counts)


def _add_to_redis(redis, counts: dict) -> None:
    if counts:
        pipe = redis.pipeline(transaction=False)
        for (key, field), amount in counts.items():
            pipe.hincrbyfloat(key, field, amount)
        pipe.execute()


class _Gathered:
    """A web process's committed counts not yet in Redis; a timer adds them `delay` seconds
    after the first one arrived."""

    def __init__(self, redis):
        self.redis, self.pid = redis, os.getpid()
        self._lock = threading.Lock()
        self._counts: dict[tuple, float] = {}
        self._timer = None
        atexit.register(self.flush)

    def add(self, counts: dict, delay: float) -> None:
        with self._lock:
            for key, amount in counts.items():
                self._counts[key] = self._counts.get(key, 0) + amount
            if self._timer is None:
                self._timer = threading.Timer(delay, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        if os.getpid() != self.pid:  # a forked child's copy (at its exit): the parent adds them
            return
        with self._lock:
            counts, self._counts = self._counts, {}
            timer, self._timer = self._timer, None
        if timer is not None and timer is not threading.current_thread():
            timer.cancel()
        try:
            _add_to_redis(self.redis, counts)
        except Exception:  # the counted work stands; the operator sees the lost counts here
            log.exception("could not add %d metric counts to Redis", len(counts))


_gathering = threading.Lock()


def _gathered() -> _Gathered:
    """This app's gathered counts in this process (a forked child starts its own)."""
    gathered = current_app.extensions.get("jifen_metrics_gathered")
    if gathered is None or gathered.pid != os.getpid():
        with _gathering:  # one per app, even when several threads ask at once
            gathered = current_app.extensions.get("jifen_metrics_gathered")
            if gathered is None or gathered.pid != os.getpid():
                gathered = _Gathered(get_redis())
                current_app.extensions["jifen_metrics_gathered"] = gathered
    return gathered


def flush_gathered() -> None:
    """Add this process's gathered counts to Redis now."""
    if (gathered := current_app.extensions.get("jifen_metrics_gathered")) is not None:
        gathered.flush()


def count_after_commit(name: str, amount: float = 1, **labels) -> None:
    """Add to a shared counter when the current transaction commits (nothing on rollback)."""
    if not amount:
        return
    queued = db.session().info.get("after_commit", [])
    pending = next((cb for cb in queued if isinstance(cb, _PendingCounts)), None)
    if pending is None:
        pending = _PendingCounts()
        after_commit(pending)
    key = (name, _field(labels))
    pending.counts[key] = pending.counts.get(key, 0) + amount


class SharedCollector:
    """Reads the shared metrics from Redis at scrape time."""

    def collect(self):
        if not has_app_context():
            return
        flush_gathered()  # this process's last second, so a scrape here shows all it did
        pipe = get_redis().pipeline(transaction=False)
        for name in SHARED:
            pipe.hgetall(rkey("metrics", name))
        for (name, (kind, help_text, label_names)), values in zip(SHARED.items(), pipe.execute()):
            family_name = name[:-len("_total")] if kind == "counter" else name
            family = (CounterMetricFamily if kind == "counter" else GaugeMetricFamily)(
                family_name, help_text, labels=label_names)
            for field, value in sorted(values.items()):
                labels = json.loads(field)
                family.add_metric([str(labels.get(n, "")) for n in label_names], float(value))
            yield family


def _process_registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


@metrics_blp.get("/metrics")
def metrics():
    """Prometheus exposition: this process's (or, in multiprocess mode, this server's) HTTP
    metrics, then the shared job / reminder / points / ledger metrics."""
    shared = CollectorRegistry(auto_describe=False)
    shared.register(SharedCollector())
    body = generate_latest(_process_registry()) + generate_latest(shared)
    return Response(body, content_type=CONTENT_TYPE_LATEST)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_DURATION.labels(method, route).observe(seconds)
