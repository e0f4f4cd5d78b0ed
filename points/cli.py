"""`flask --app app points …`: expiry sweep, reconciliation, tier review, expiry backfill."""
import json
import logging
from datetime import date, datetime

import click

from core import clock
from core.db import run_in_transaction
from core.logs import log_event
from points import backfill, reconcile, sweep, tiers

log = logging.getLogger(__name__)
points_cli = click.Group("points", help="The points ledger: expiry, reconciliation, tiers.")


def _as_of(value: str | None) -> datetime:
    """The end of the business day --as-of (default: now)."""
    return clock.end_of_business_day(date.fromisoformat(value)) if value else clock.now()


def run_expiry_sweep(as_of: datetime, chunk: int = sweep.SWEEP_CHUNK) -> int:
    """Expire every due lot, one transaction per chunk; safe to kill and rerun."""
    total, cursor = 0, None
    while True:
        expired, cursor = run_in_transaction(lambda c=cursor: sweep.expire_chunk(as_of, c, chunk))
        total += expired
        if cursor is None:
            return total


def run_reconciliation(chunk: int = 1000) -> tuple[int, list]:
    checked, problems, cursor = 0, [], 0
    while cursor is not None:
        n, found, cursor = run_in_transaction(lambda c=cursor: reconcile.check_chunk(c, chunk))
        checked += n
        problems += found
    for problem in problems:
        log_event(log, "ledger_mismatch", level=logging.ERROR, **problem)
    return checked, problems


def run_tier_review(now: datetime, chunk: int = 1000) -> int:
    changed, cursor = 0, 0
    while cursor is not None:
        n, cursor = run_in_transaction(lambda c=cursor: tiers.review_chunk(now, c, chunk))
        changed += n
    return changed


@points_cli.command("expire")
@click.option("--as-of", help="YYYY-MM-DD: expire what is due by the end of that business day")
@click.option("--chunk", default=sweep.SWEEP_CHUNK, show_default=True,
              help="lots per transaction")
def expire_command(as_of, chunk):
    """Run the expiry sweep (idempotent, resumable)."""
    count = run_expiry_sweep(_as_of(as_of), chunk)
    click.echo(f"expired {count} lots")


@points_cli.command("reconcile")
@click.option("--chunk", default=1000, show_default=True, help="members per transaction")
def reconcile_command(chunk):
    """Check the ledger invariants for every member; exit 1 on any mismatch."""
    from points.jobs import record_reconciliation

    checked, problems = run_reconciliation(chunk)
    record_reconciliation(checked, problems)  # /healthz and the metrics show this check
    click.echo(f"members checked: {checked}; mismatches: {len(problems)}")
    for problem in problems:
        click.echo(json.dumps(problem, ensure_ascii=False, default=str))
    if problems:
        raise SystemExit(1)


@points_cli.command("review-tiers")
@click.option("--as-of", help="YYYY-MM-DD (default: now)")
def review_tiers_command(as_of):
    """Set every member's tier from the last 12 months' earnings (may lower tiers)."""
    click.echo(f"tiers changed: {run_tier_review(_as_of(as_of))}")


@points_cli.command("remind")
@click.option("--as-of", help="YYYY-MM-DD (default: today): remind of points expiring "
                              "reminders.days_before days later")
@click.option("--enqueue", is_flag=True, help="hand the batches to the workers instead")
def remind_command(as_of, enqueue):
    """Send the expiry reminders due on a date (each member at most once per expiry date)."""
    from points.jobs import plan_reminders

    day = date.fromisoformat(as_of) if as_of else clock.business_date()
    click.echo(json.dumps(plan_reminders(day, enqueue_batches=enqueue), ensure_ascii=False))


@points_cli.command("extend-birthdays")
@click.option("--month", help="YYYY-MM (default: next month)")
def extend_birthdays_command(month):
    """Birthday extension for the members born in a month (idempotent)."""
    from points.jobs import birthday_extension

    click.echo(json.dumps(birthday_extension(month), ensure_ascii=False))


@points_cli.command("backfill-expiry")
@click.option("--dry-run", is_flag=True, help="count the lots that would change; change nothing")
def backfill_expiry_command(dry_run):
    """Re-date every live lot by the CURRENT expiry policy, from the day it was earned.

    Run after changing `expiry` in /admin/settings only if existing points should follow the
    new rule (by default they keep their dates). Lots whose new date has passed expire at the
    next sweep: run `points expire` afterwards.
    """
    changed, cursor = 0, 0
    while cursor is not None:
        n, cursor = run_in_transaction(
            lambda c=cursor: backfill.backfill_chunk(c, 1000, dry_run=dry_run),
            should_commit=lambda _result: not dry_run)
        changed += n
    click.echo(f"{'would re-date' if dry_run else 're-dated'} {changed} lots")


def register(app):
    app.cli.add_command(points_cli)


DEMO_TIERS = [("silver", "银卡", 1000, 120), ("gold", "金卡", 5000, 150)]


def seed_demo() -> list[str]:
    """Demo programme: points expire at the end of the following calendar year, 100 points =
    1 yuan off (up to 20% of an order), two tiers."""
    from points.models import ProgrammeSetting
    from core.db import db

    if db.session.get(ProgrammeSetting, "expiry") is None:
        from points.settings import update_settings

        update_settings({"expiry": {"mode": "year_end", "years": 1},
                         "deduction": {"points_per_yuan": 100, "max_ratio_percent": 20},
                         "registration_bonus": 100, "point_value_fen": 1})
    for code, name, threshold, percent in DEMO_TIERS:
        if tiers.tier_by_code(code) is None:
            tiers.create_tier(code, name, threshold, percent)
    return ["Demo programme: 1 point per yuan, expiring at the end of the following calendar "
            "year (year_end, years 1); "
            "tiers silver (1,000) and gold (5,000)."]
