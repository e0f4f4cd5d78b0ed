"""Every background job's schedule: declared in app.py, kept here. `flask --app app jobs schedule`
prints it.

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


#: every scheduled job, declared by app.py (the composition root: core names no domain)
SCHEDULE: list[Schedule] = []


def declare(entries) -> None:
    """Set the schedule (app.py, once per create_app; the same list object stays in use)."""
    SCHEDULE[:] = entries


#: housekeeping that needs no job, and why
NOT_SCHEDULED = {
    "nonce clean-up": "POS nonces are Redis keys written with a TTL (POS_NONCE_TTL, 600 s): "
                      "Redis drops them itself",
}


def by_name(name: str) -> Schedule:
    for entry in SCHEDULE:
        if entry.name == name:
            return entry
    raise KeyError(f"no job named {name!r} in the schedule (app.py)")
