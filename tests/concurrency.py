"""Run a function in many threads at once, each in its own app context and transaction (the
same boundary a request has), and collect what each returned or raised."""
import threading
from contextlib import contextmanager

import pymysql
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from core.db import db, run_in_transaction


def race(app, work, n: int):
    """Start `n` threads together on `work(i)`; return a list of results or exceptions."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                results[i] = run_in_transaction(lambda: work(i), retries=app.config["TX_RETRIES"])
            except Exception as exc:  # collected for the test to inspect
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@contextmanager
def first_commits_refused(times=1):
    """The next `times` COMMITs fail as Galera refuses one (1213, after the work was done)."""
    refused = []

    def refuse(_conn):
        if len(refused) < times:
            refused.append(1)
            raise OperationalError("COMMIT", {}, pymysql.err.OperationalError(
                1213, "Deadlock found when trying to get lock; try restarting transaction"))

    event.listen(db.engine, "commit", refuse)
    try:
        yield refused
    finally:
        event.remove(db.engine, "commit", refuse)
