"""`flask --app app lottery …`: verify every draw of a lottery, rotate the seeds now."""
import click

from core.db import run_in_transaction
from lottery import jobs, proofs

lottery_cli = click.Group("lottery", help="Points lotteries: proofs and seeds.")


@lottery_cli.command("verify")
@click.argument("lottery_id", type=int)
def verify_command(lottery_id):
    """Recompute every draw of the lottery from its seed and commitment; exit 1 on a mismatch."""
    checked, problems, cursor = 0, [], 0
    while cursor is not None:
        n, found, cursor = run_in_transaction(lambda c=cursor: proofs.verify_chunk(lottery_id, c))
        checked += n
        problems += found
    for problem in problems:
        click.echo(problem, err=True)
    click.echo(f"lottery {lottery_id}: {checked} draws recomputed, {len(problems)} mismatches")
    if problems:
        raise SystemExit(1)


@lottery_cli.command("seeds")
def seeds_command():
    """Commit today's and tomorrow's seeds, reveal those of ended periods (the hourly job)."""
    done = jobs.rotate_seeds()
    click.echo(f"{done['seeds_committed']} seeds committed, {done['seeds_revealed']} revealed")


def register(app):
    app.cli.add_command(lottery_cli)
