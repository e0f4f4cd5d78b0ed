"""`flask --app app worker` (RQ worker + cron scheduler) and `flask --app app jobs …`."""
import json
import multiprocessing

import click
from flask import current_app
from rq import Queue

from core import clock
from core.redis import client_for, is_configured
from core.jobs import NOT_SCHEDULED, SCHEDULE, by_name
from core.worker import (QUEUE_NAME, JifenWorker, cron_lock_key, next_run, run_cron_scheduler,
                         run_scheduled)


def schedule_lines(now=None) -> list[str]:
    """The schedule as an operator reads it: name, cron (business time), next run, function."""
    tz = clock.business_tz()
    now = now or clock.now()
    rows = [("name", "cron", "next run", "function", "what")]
    for e in SCHEDULE:
        when = next_run(e.cron, now, tz).astimezone(tz).strftime("%Y-%m-%d %H:%M") \
            if e.function else "TODO: not run"
        rows.append((e.name, e.cron, when, e.function or "-", e.what))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"Jobs (declared in app.py). Cron and next run in business time ({tz.key})."]
    lines += ["  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4] for r in rows]
    lines += ["Not scheduled:"] + [f"  {name}: {why}" for name, why in NOT_SCHEDULED.items()]
    return lines


def _start_cron(redis_config):
    process = multiprocessing.get_context("fork").Process(
        target=run_cron_scheduler, args=(redis_config, clock.business_tz(), cron_lock_key()),
        name="jifen-cron", daemon=True)
    process.start()
    return process


def register(app):
    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="run the queued jobs, then exit (no cron)")
    @click.option("--no-cron", is_flag=True, help="do not run the cron scheduler beside it")
    def worker_command(burst, no_cron):
        """An RQ worker on the `jifen` queue, with RQ's cron scheduler beside it (the schedule app.py declares).

        Run one per host (or more): the cron schedulers elect one leader through a Redis lock,
        so each scheduled job is enqueued once."""
        config = current_app.config
        if not is_configured(config):
            raise click.UsageError("REDIS_URL is not set: the embedded default runs jobs "
                                   "in-process (python app.py); a worker needs a Redis server.")
        connection = client_for(config, patient=True)  # waits out a Sentinel failover
        redis_config = {k: v for k, v in config.items() if k.startswith("REDIS_")}
        cron = None if burst or no_cron else _start_cron(redis_config)
        try:
            worker = JifenWorker([Queue(QUEUE_NAME, connection=connection)],
                                 connection=connection)
            worker.work(burst=burst, logging_level="INFO")
        finally:
            if cron is not None and cron.is_alive():
                cron.terminate()
                cron.join(10)

    jobs = click.Group("jobs", help="The background jobs' schedule (declared in app.py).")

    @jobs.command("schedule")
    def schedule_command():
        """Print every scheduled job: name, cron (business time), next run, function."""
        for line in schedule_lines():
            click.echo(line)

    @jobs.command("run")
    @click.argument("name")
    def run_command(name):
        """Run one scheduled job now, in this process."""
        try:
            entry = by_name(name)
        except KeyError as exc:
            raise click.BadParameter(str(exc.args[0]), param_hint="NAME") from None
        if entry.function is None:
            raise click.UsageError(f"{name} is a TODO placeholder: nothing to run")
        click.echo(json.dumps(run_scheduled(name), ensure_ascii=False, default=str))

    app.cli.add_command(jobs)
