"""The ledger's background jobs (scheduled by app.py). Each owns its chunk loop, commits one
chunk at a time, can be killed and rerun, and returns a small summary for its log line; the
`flask points …` commands call them."""
import json
import logging
from datetime import date, datetime

from core import clock, metrics
from core.db import run_in_transaction
from core.logs import log_event
from core.redis import get_redis, rkey
from points.ledger import backfill, birthdays, dry_runs, reconcile, sweep
from points.programme.settings import get_settings

log = logging.getLogger(__name__)


def expiry_sweep(as_of: str | None = None, chunk: int = sweep.SWEEP_CHUNK) -> dict:
    """Expire every lot due by now (or by the end of business day `as_of`)."""
    return {"lots_expired": expire_due_lots(_moment(as_of), chunk)}


def expire_due_lots(moment: datetime, chunk: int = sweep.SWEEP_CHUNK) -> int:
    """Expire every lot due by `moment`, one transaction per chunk; safe to kill and rerun."""
    total, cursor = 0, None
    while True:
        expired, cursor = run_in_transaction(lambda c=cursor: sweep.expire_chunk(moment, c, chunk))
        total += expired
        if cursor is None:
            return total


def _moment(as_of: str | None) -> datetime:
    return clock.end_of_business_day(date.fromisoformat(as_of)) if as_of else clock.now()


# --- reconciliation -------------------------------------------------------------------------

def reconciliation() -> dict:
    """Check the ledger; each mismatch is logged as an error (member, invariant, amounts); the
    count goes to the jifen_ledger_mismatches metric and /healthz's `ledger` detail."""
    checked, problems = reconcile_all()
    return {"members_checked": checked, "mismatches": len(problems)}


def reconcile_all(chunk: int = 1000) -> tuple[int, list]:
    """(members checked, the mismatches found), logged and recorded for /healthz."""
    checked, problems, cursor = 0, [], 0
    while cursor is not None:
        n, found, cursor = run_in_transaction(lambda c=cursor: reconcile.check_chunk(c, chunk))
        checked += n
        problems += found
    for problem in problems:
        log_event(log, "ledger_mismatch", level=logging.ERROR, **problem)
    record_reconciliation(checked, problems)
    return checked, problems


def record_reconciliation(checked: int, problems: list) -> dict:
    at = clock.now()
    get_redis().set(rkey("ledger", "reconciliation"), json.dumps(
        {"members_checked": checked, "mismatches": len(problems), "at": at.isoformat()}))
    metrics.set_gauge("jifen_ledger_mismatches", len(problems))
    metrics.set_gauge("jifen_ledger_checked_timestamp_seconds", at.timestamp())
    return {"members_checked": checked, "mismatches": len(problems)}


def ledger_health() -> str:
    """/healthz detail: "ok", "N mismatches at <time>", or "not checked yet"."""
    raw = get_redis().get(rkey("ledger", "reconciliation"))
    if raw is None:
        return "not checked yet"
    last = json.loads(raw)
    return "ok" if last["mismatches"] == 0 else f"{last['mismatches']} mismatches at {last['at']}"


# --- birthday extension, backfill -----------------------------------------------------------

def birthday_extension(month: str | None = None) -> dict:
    """Extend the lots expiring next month (or in `month`, YYYY-MM) of members born in it."""
    year, mon = (birthdays.parse_month(month) if month
                 else birthdays.next_month(clock.business_date()))
    days = int(get_settings()["expiry"].get("birthday_extension_days") or 0)
    if days <= 0:
        return {"skipped": "expiry.birthday_extension_days is 0"}
    extended, cursor = 0, 0
    while cursor is not None:
        n, cursor = run_in_transaction(lambda c=cursor: birthdays.extend_birthday_month_chunk(
            year, mon, days, c))
        extended += n
    return {"month": f"{year}-{mon:02d}", "days": days, "lots_extended": extended}


def backfill_expiry(dry_run: bool = False, chunk: int = 1000) -> dict:
    """Re-date every live lot by the current expiry policy; `dry_run` counts (lots, points,
    members: backfill.dry_run, which the console's preview calls too) and changes nothing."""
    if dry_run:
        return {**run_in_transaction(backfill.dry_run,
                                     should_commit=lambda _result: False), "dry_run": True}
    changed, cursor = 0, 0
    while cursor is not None:
        n, cursor = run_in_transaction(lambda c=cursor: backfill.backfill_chunk(c, chunk))
        changed += n
    return {"lots": changed, "dry_run": False}


def backfill_dry_run(run: str, expiry_policy: dict) -> dict:
    """backfill.dry_run for the console (points.ledger.dry_runs keeps its state for the page
    that polls it); `flask points backfill-expiry --dry-run` stays in the terminal."""
    return dry_runs.work_out(run, expiry_policy)
