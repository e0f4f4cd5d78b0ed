"""`flask --app app mall …`: rebuild the stock gate, expire unpicked gifts (the jobs, run now)."""
import click

from mall import jobs
mall_cli = click.Group("mall", help="The points mall: stock gate, unpicked gifts.")


@mall_cli.command("rebuild-gate")
def rebuild_gate_command():
    """Set the Redis stock gate of every product from the database (the truth)."""
    click.echo(f"stock gate rebuilt for {jobs.rebuild_gate()['products']} products")


@mall_cli.command("expire-pickups")
@click.option("--as-of", help="YYYY-MM-DD: gifts whose deadline passed by the end of that "
                              "business day (default: now)")
def expire_pickups_command(as_of):
    """Cancel gifts not picked up by their deadline and return their points and stock."""
    click.echo(f"expired {jobs.expire_pickups(as_of)['redemptions_expired']} unpicked gifts")


def register(app):
    app.cli.add_command(mall_cli)
