"""`flask --app app create-admin`: the first HQ admin, and the operator's way back in."""
import click

from core.db import run_in_transaction
from stores import service


def register(app):
    @app.cli.command("create-admin")
    @click.option("--username", required=True)
    @click.option("--password", required=True, help="at least 8 characters")
    def create_admin(username, password):
        """Create the first HQ admin."""
        if len(password) < 8:
            raise click.BadParameter("at least 8 characters", param_hint="--password")
        staff = run_in_transaction(lambda: service.create_staff(username, password, "hq_admin"))
        click.echo(f"Created HQ admin {staff.username} (id {staff.id}).")
