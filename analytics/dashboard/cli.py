"""`flask --app app dashboard …`: build the dashboard's rollup."""
import json

import click

from analytics.dashboard import jobs

dashboard_cli = click.Group("dashboard", help="The marketers' dashboard and its daily rollup.")


@dashboard_cli.command("rollup")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]),
              help="rebuild from this business date (with --to); default: what the job builds")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]),
              help="rebuild up to this business date, inclusive")
@click.option("--as-of", help="YYYY-MM-DD: the job as it runs the day after this date")
def rollup_command(date_from, date_to, as_of):
    """Build the rollup: the days not built yet and the last few again, or a given range."""
    if date_from or date_to:
        if not (date_from and date_to) or date_from > date_to:
            raise click.UsageError("--from and --to go together, --from ≤ --to")
        result = jobs.rebuild(date_from.date(), date_to.date())
    else:
        result = jobs.rollup_job(as_of)
    click.echo(json.dumps(result, ensure_ascii=False))


def register(app):
    app.cli.add_command(dashboard_cli)


