"""Every background job's schedule, in one place. `flask --app app jobs schedule` prints it.

Cron expressions are in BUSINESS TIME (BUSINESS_TZ, default Asia/Shanghai), minute hour
day-of-month month day-of-week. `flask --app app worker` runs them (RQ's cron scheduler beside an
RQ worker); the embedded default (no REDIS_URL) runs them in-process. Each job runs with an app
context and commits once per chunk of work (core.db.run_in_transaction), so it can be killed and
rerun: every job below is idempotent.

Entries whose function is None are TODO placeholders: printed, never run.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    name: str
    #: business time (BUSINESS_TZ)
    cron: str
    #: "module:function", called with no arguments; None = TODO, not run
    function: str | None
    what: str


SCHEDULE = (
    Schedule("expiry-sweep", "5 0 * * *", "points.ledger.jobs:expiry_sweep",
             "expire every lot due by now, 1,000 lots per transaction (points expire --as-of)"),
    Schedule("expiry-reminders", "0 * * * *", "points.ledger.jobs:expiry_reminders",
             "hourly; from settings reminders.hour on, subscribe messages for points expiring "
             "in reminders.days_before days, ~1,000 members per job (points remind --as-of)"),
    Schedule("ledger-reconciliation", "30 2 * * *", "points.ledger.jobs:reconciliation",
             "check the ledger invariants; mismatches → error log, metric, /healthz detail"),
    Schedule("tier-review", "0 3 1 * *", "points.ledger.jobs:tier_review",
             "monthly: every member's tier from the last 12 months' earnings"),
    Schedule("birthday-extension", "0 4 1 * *", "points.ledger.jobs:birthday_extension",
             "monthly, if expiry.birthday_extension_days > 0: extend lots expiring in next "
             "month for members born in next month"),
    Schedule("idempotency-key-purge", "20 * * * *", "core.idempotency:purge_job",
             "delete Idempotency-Key records older than IDEMPOTENCY_KEEP_HOURS"),
    Schedule("mall-stock-gate-rebuild", "*/5 * * * *", "mall.jobs:rebuild_gate",
             "rebuild the Redis stock gate from the database (the database is the truth)"),
    Schedule("unpicked-gift-expiry", "45 0 * * *", "mall.jobs:expire_pickups",
             "expire gifts not picked up in time: points, stock and limit returned"),
)

#: housekeeping that needs no job, and why
NOT_SCHEDULED = {
    "nonce clean-up": "POS nonces are Redis keys written with a TTL (POS_NONCE_TTL, 600 s): "
                      "Redis drops them itself",
}


def by_name(name: str) -> Schedule:
    for entry in SCHEDULE:
        if entry.name == name:
            return entry
    raise KeyError(f"no job named {name!r} in core.jobs.SCHEDULE")
