"""`flask --app app points …`: expiry sweep, reconciliation, tier review, reminders, birthday
extension, expiry backfill. Each command runs the job the scheduler runs (jobs own their loops)."""
import json

import click

from points.ledger import jobs as ledger_jobs, sweep
from points.programme import jobs as programme_jobs
from points.reminders import jobs as reminder_jobs

points_cli = click.Group("points", help="The points ledger: expiry, reconciliation, tiers.")


def _echo(result: dict) -> None:
    click.echo(json.dumps(result, ensure_ascii=False, default=str))


@points_cli.command("expire")
@click.option("--as-of", help="YYYY-MM-DD: expire what is due by the end of that business day")
@click.option("--chunk", default=sweep.SWEEP_CHUNK, show_default=True,
              help="lots per transaction")
def expire_command(as_of, chunk):
    """Run the expiry sweep (idempotent, resumable)."""
    count = ledger_jobs.expiry_sweep(as_of, chunk)["lots_expired"]
    click.echo(f"expired {count} lots")


@points_cli.command("reconcile")
@click.option("--chunk", default=1000, show_default=True, help="members per transaction")
def reconcile_command(chunk):
    """Check the ledger invariants for every member; exit 1 on any mismatch."""
    checked, problems = ledger_jobs.reconcile_all(chunk)  # /healthz and the metrics show it
    click.echo(f"members checked: {checked}; mismatches: {len(problems)}")
    for problem in problems:
        _echo(problem)
    if problems:
        raise SystemExit(1)


@points_cli.command("review-tiers")
@click.option("--as-of", help="YYYY-MM-DD (default: now)")
def review_tiers_command(as_of):
    """Set every member's tier from the last 12 months' earnings (may lower tiers)."""
    click.echo(f"tiers changed: {programme_jobs.tier_review(as_of)['tiers_changed']}")


@points_cli.command("remind")
@click.option("--as-of", help="YYYY-MM-DD (default: today): remind of points expiring "
                              "reminders.days_before days later")
@click.option("--enqueue", is_flag=True, help="hand the batches to the workers instead")
def remind_command(as_of, enqueue):
    """Send the expiry reminders due on a date (each member at most once per expiry date)."""
    _echo(reminder_jobs.remind_on(as_of, enqueue_batches=enqueue))


@points_cli.command("extend-birthdays")
@click.option("--month", help="YYYY-MM (default: next month)")
def extend_birthdays_command(month):
    """Birthday extension for the members born in a month (idempotent)."""
    _echo(ledger_jobs.birthday_extension(month))


@points_cli.command("backfill-expiry")
@click.option("--dry-run", is_flag=True, help="count the lots that would change; change nothing")
def backfill_expiry_command(dry_run):
    """Re-date every live lot by the CURRENT expiry policy, from the day it was earned.

    Run after changing `expiry` in /admin/settings only if existing points should follow the
    new rule (by default they keep their dates). Lots whose new date has passed expire at the
    next sweep: run `points expire` afterwards.
    """
    result = ledger_jobs.backfill_expiry(dry_run)
    if dry_run:
        click.echo(f"would re-date {result['lots']} lots ({result['points']} points of "
                   f"{result['members']} members; {result['due_points']} points would expire "
                   "at the next sweep)")
    else:
        click.echo(f"re-dated {result['lots']} lots")


def register(app):
    app.cli.add_command(points_cli)
