"""Structured logs (one JSON line per request and per job), Prometheus /metrics, and the
ledger detail of /healthz."""
import json
import logging
import re
from datetime import datetime, timezone

from sqlalchemy import update

from core import clock
from core.db import db, run_in_transaction
from core.logs import JsonFormatter
from core.worker import run_job
from points import ledger
from points.ledger.jobs import expiry_sweep, reconciliation
from points.ledger.models import PointsAccount


def metric(client, name, **labels) -> float | None:
    text = client.raw.get("/metrics").get_data(as_text=True)
    for line in text.splitlines():
        if not line.startswith(name + ("{" if labels else " ")):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_each_request_writes_one_structured_line(client, caplog):
    caplog.set_level(logging.INFO, logger="jifen.request")
    client.get("/healthz")
    client.get("/api/v1/no/such/thing")

    ok, missing = [r for r in caplog.records if r.name == "jifen.request"]
    assert ok.fields["route"] == "/healthz" and ok.fields["status"] == 200
    assert ok.fields["outcome"] == "ok" and ok.fields["duration_ms"] >= 0
    assert missing.fields["route"] == "(unmatched)" and missing.fields["outcome"] == "client_error"


def test_a_line_is_one_json_object_with_the_fields_on_top():
    record = logging.LogRecord("jifen.job", logging.INFO, __file__, 1, "job", (), None)
    record.fields = {"event": "job", "job": "expiry-sweep", "outcome": "ok", "duration_ms": 3.5}
    line = json.loads(JsonFormatter().format(record))
    assert line["job"] == "expiry-sweep" and line["level"] == "INFO" and line["ts"].endswith("+00:00")


def test_each_job_writes_one_structured_line(app, caplog):
    caplog.set_level(logging.INFO, logger="jifen.job")
    run_job("tier-review", "points.programme.jobs:tier_review")
    [line] = [r.fields for r in caplog.records if r.name == "jifen.job"]
    assert line["job"] == "tier-review" and line["outcome"] == "ok"
    assert line["result"] == {"tiers_changed": 0} and "duration_ms" in line


def test_metrics_count_requests_by_route_and_status(client):
    before = metric(client, "jifen_http_requests_total", route="/healthz", status="200") or 0
    client.get("/healthz")
    assert metric(client, "jifen_http_requests_total", route="/healthz", status="200") == before + 1


def test_metrics_count_job_runs_and_failures(client):
    run_job("tier-review", "points.programme.jobs:tier_review")
    try:
        run_job("birthday-extension", "points.ledger.jobs:birthday_extension", ("13/2026",))
    except ValueError:
        pass
    assert metric(client, "jifen_job_runs_total", job="tier-review", outcome="ok") == 1
    assert metric(client, "jifen_job_runs_total", job="birthday-extension", outcome="failed") == 1
    assert metric(client, "jifen_job_last_success_timestamp_seconds", job="tier-review") > 0


def test_metrics_count_points_issued_spent_and_expired_once_committed(client, factory):
    member = factory.member()
    clock.set(datetime(2026, 1, 1, tzinfo=timezone.utc))
    run_in_transaction(lambda: ledger.credit(member.id, 50, kind="earn", key="m:1",
                                              expires_at=datetime(2026, 1, 2, tzinfo=timezone.utc)))
    run_in_transaction(lambda: ledger.credit(member.id, 30, kind="bonus", key="m:2"))
    run_in_transaction(lambda: ledger.debit(member.id, 20, kind="spend", key="m:3"))
    try:
        run_in_transaction(lambda: [ledger.credit(member.id, 99, kind="earn", key="m:4"),
                                    1 / 0])
    except ZeroDivisionError:
        pass
    clock.set(datetime(2026, 1, 3, tzinfo=timezone.utc))
    expiry_sweep()

    assert metric(client, "jifen_points_issued_total", kind="earn") == 50
    assert metric(client, "jifen_points_issued_total", kind="bonus") == 30
    assert metric(client, "jifen_points_spent_total", kind="spend") == 20
    assert metric(client, "jifen_points_expired_total") == 30


def test_reconciliation_reports_mismatches_in_healthz_metrics_and_logs(client, factory, caplog):
    assert client.get("/healthz").get_json()["details"]["ledger"] == "not checked yet"
    member = factory.member(points=40)
    assert reconciliation() == {"members_checked": 1, "mismatches": 0}
    assert client.get("/healthz").get_json()["details"]["ledger"] == "ok"

    db.session.execute(update(PointsAccount).where(PointsAccount.member_id == member.id)
                       .values(balance=45))
    caplog.set_level(logging.ERROR)
    assert reconciliation()["mismatches"] == 2

    health = client.get("/healthz")
    assert health.status_code == 200  # a detail for the operator, not an outage
    assert re.fullmatch(r"2 mismatches at \S+", health.get_json()["details"]["ledger"])
    assert metric(client, "jifen_ledger_mismatches") == 2
    errors = [r.fields for r in caplog.records if getattr(r, "fields", {}).get("event")
              == "ledger_mismatch"]
    assert {e["member_id"] for e in errors} == {member.id}
    assert {(e["found"], e["expected"]) for e in errors} >= {(45, 40)}


def test_reminder_outcomes_are_counted(client):
    from core import metrics

    metrics.count("jifen_reminders_total", 3, outcome="sent")
    metrics.count("jifen_reminders_total", 1, outcome="refused")
    assert metric(client, "jifen_reminders_total", outcome="sent") == 3
    assert metric(client, "jifen_reminders_total", outcome="refused") == 1


def test_an_operators_reconcile_updates_the_health_detail_too(app, client, factory):
    factory.member(points=5)
    assert app.test_cli_runner().invoke(args=["points", "reconcile"]).exit_code == 0
    assert client.get("/healthz").get_json()["details"]["ledger"] == "ok"


def test_a_forked_child_s_exit_does_not_add_its_parent_s_gathered_counts(app, monkeypatch):
    import os

    from core import metrics
    from core.redis import get_redis, rkey

    gathered = metrics._Gathered(get_redis())
    key = (rkey("metrics", "jifen_points_issued_total"), '{"kind": "earn"}')
    gathered.add({key: 7}, delay=3600)
    parent = os.getpid()
    monkeypatch.setattr(os, "getpid", lambda: parent + 1)  # the child's copy, at its exit
    gathered.flush()
    assert get_redis().hget(*key) is None
    monkeypatch.setattr(os, "getpid", lambda: parent)
    gathered.flush()  # the parent adds them, once
    assert float(get_redis().hget(*key)) == 7
