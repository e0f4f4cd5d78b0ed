"""`flask --app app analytics …`: the nightly scoring and churn, as of a date."""
import json

import click

from analytics import jobs

analytics_cli = click.Group("analytics", help="Member analytics: RFM segments, churn, tags.")


def _echo(result: dict) -> None:
    click.echo(json.dumps(result, ensure_ascii=False, default=str))


@analytics_cli.command("score")
@click.option("--as-of", help="YYYY-MM-DD business date (default: today)")
@click.option("--chunk", default=jobs.SCORE_CHUNK, show_default=True,
              help="order ids per transaction")
def score_command(as_of, chunk):
    """RFM scores and segments, chain and per store (resumes an unfinished run)."""
    _echo(jobs.score(as_of, chunk))


@analytics_cli.command("churn")
@click.option("--as-of", help="YYYY-MM-DD business date (default: today)")
def churn_command(as_of):
    """Every member's churn status by their own rhythm."""
    _echo(jobs.churn_statuses(as_of))


@analytics_cli.command("nightly")
@click.option("--as-of", help="YYYY-MM-DD business date (default: today)")
def nightly_command(as_of):
    """What the nightly schedule runs: scores, segments, churn (and tags, once defined)."""
    _echo(jobs.nightly(as_of))


def register(app):
    app.cli.add_command(analytics_cli)
