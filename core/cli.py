"""App-wide commands. `seed-demo` runs each domain's demo seeder, in this order."""
from importlib import import_module

import click

from core.db import run_in_transaction

#: "module:function" of each domain's seeder, in order (app.py declares them); each must be safe
#: to run again (make run seeds every start)
DEMO_SEEDERS: list[str] = []


def _load(path):
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


def seed_demo_data() -> list[str]:
    """Seed every domain's demo data in one transaction; returns the lines to show a newcomer."""
    lines: list[str] = []
    run_in_transaction(lambda: [lines.extend(_load(p)() or []) for p in DEMO_SEEDERS])
    return lines


def register(app):
    @app.cli.command("seed-demo")
    def seed_demo():
        """Demo stores, staff, products, tasks and a member with history (safe to rerun)."""
        for line in seed_demo_data():
            click.echo(line)
