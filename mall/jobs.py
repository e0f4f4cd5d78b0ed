"""The mall's background jobs, for core/jobs.py's schedule. Each is idempotent and works in
chunks; each returns a small summary for its log line."""
from core import clock
from mall.cli import run_gate_rebuild, run_pickup_expiry


def rebuild_gate() -> dict:
    """Every few minutes: copy each product's stock into the Redis gate (heals a gate left too
    low by a crash between gate and commit)."""
    return {"products": run_gate_rebuild()}


def expire_pickups() -> dict:
    """Daily: cancel gifts past their pickup deadline, points and stock returned."""
    return {"redemptions_expired": run_pickup_expiry(clock.now())}
