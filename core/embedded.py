"""The embedded default, one process: SQLite + in-process fakeredis (+ the fake WeChat server,
started by app.py), with the background jobs' schedule run in a thread.

`python app.py` (what `make run` calls) migrates, seeds demo data and serves on PORT.
"""
import logging
import os

from flask_migrate import upgrade


def run_embedded(create_app, services=(), pages=()):
    """`services`: callables started before the app, each returning a line for the banner;
    `pages`: (name, path) of the web pages to list in it."""
    from core.cli import seed_demo_data

    os.environ.setdefault("CONSOLE_COOKIE_SECURE", "0")  # plain HTTP here: no HTTPS to insist on
    port = int(os.environ.get("PORT", "8000"))
    host = os.environ.get("HOST", "127.0.0.1")
    started = [start() for start in services]
    app = create_app()
    with app.app_context():
        upgrade()
        lines = seed_demo_data()
    base = f"http://{host}:{port}"
    print("\n".join([
        "", "Jifen is running (embedded: SQLite + in-process Redis).",
        f"  API docs:  {base}/api/v1/docs", f"  OpenAPI:   {base}/api/v1/openapi.json",
        f"  Health:    {base}/healthz", *(f"  {name + ':':<10} {base}{path}" for name, path in pages),
        *(f"  {line}" for line in started), *lines, "",
    ]), flush=True)
    _start_jobs(app)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the app logs each request itself
    app.run(host=host, port=port, threaded=True, use_reloader=False)


def _start_jobs(app):
    """No worker in the embedded default: the schedule runs in a thread, and jobs enqueued by
    requests run at once (RQ's synchronous queue on fakeredis)."""
    import threading

    from core.worker import InlineScheduler

    scheduler = InlineScheduler(app)
    threading.Thread(target=scheduler.run_forever, args=(threading.Event(),), daemon=True,
                     name="jifen-jobs").start()
