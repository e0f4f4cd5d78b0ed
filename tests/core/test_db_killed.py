"""A MariaDB connection killed in the middle of a request's transaction (`KILL <id>` from
another connection): the request runs again on a fresh connection, or — killed at its COMMIT,
whose outcome it cannot know — answers 503 for the till to send again. Never a half write;
the pool recovers by itself. A database that cannot be reached at all is 503 at once.
(A restart of the whole server under load: tests/core/test_db_restart.py.)"""
import uuid

import pytest
from sqlalchemy import event, func, select

from core.db import db, make_engine
from points.earning.models import Order
from points.ledger.models import PointsEntry
from tests.backends import mysql_admin
from tests.core.test_errors import assert_error
from tests.faults import free_port
from tests.points.ledger_checks import assert_ledger_consistent

pytestmark = [pytest.mark.mariadb, pytest.mark.committing, pytest.mark.faults]


class Killer:
    """Kills the connection a statement is about to run on, once, from another connection."""

    def __init__(self, when):
        self.when, self.killed = when, 0

    def __call__(self, conn, *args):
        if not self.killed and self.when(*args):
            self.killed += 1
            with mysql_admin() as admin, admin.cursor() as cursor:
                cursor.execute(f"KILL {conn.connection.dbapi_connection.thread_id()}")


@pytest.fixture
def till(factory, pos_client):
    store = factory.store()
    pos, store_code, member_no = pos_client(store), store.code, factory.member().member_no

    def order(order_no):
        return pos.post("/pos/orders", {"store_code": store_code, "order_no": order_no,
                                        "amount_fen": 5000, "member_no": member_no})

    return order


@pytest.fixture
def killing(app):
    killers = []

    def install(event_name, when):
        killer = Killer(when)
        event.listen(db.engine, event_name, killer)
        killers.append((event_name, killer))
        return killer

    yield install
    for event_name, killer in killers:
        event.remove(db.engine, event_name, killer)


def counts():
    db.session.remove()
    return (db.session.scalar(select(func.count()).select_from(Order)),
            db.session.scalar(select(func.count()).select_from(PointsEntry)
                              .where(PointsEntry.kind == "earn")))


def test_killed_mid_transaction_the_order_runs_again_and_counts_once(till, killing):
    killer = killing("before_cursor_execute",
                     lambda _cursor, statement, *_: "INSERT INTO points_lots" in statement)
    response = till(f"K-{uuid.uuid4().hex[:8]}")
    assert killer.killed == 1
    assert response.status_code == 201, response.get_data(as_text=True)
    assert counts() == (1, 1)
    assert till(f"K-{uuid.uuid4().hex[:8]}").status_code == 201  # the pool serves on
    assert counts() == (2, 2)
    assert_ledger_consistent()


def test_killed_at_commit_is_503_and_the_same_order_again_counts_once(till, killing):
    killer = killing("commit", lambda *_: True)
    order_no = f"C-{uuid.uuid4().hex[:8]}"
    response = till(order_no)
    assert_error(response, 503, "unavailable")
    assert response.headers["Retry-After"] == "2"  # the till knows when to send it again
    assert killer.killed == 1
    assert counts() == (0, 0)  # killed before the server committed: nothing, not half
    assert till(order_no).status_code == 201  # the till sends it again
    assert counts() == (1, 1)
    assert_ledger_consistent()


def test_a_database_that_cannot_be_reached_is_503_after_one_connection_attempt(till):
    """Nothing listens on the port (the server is restarting): trying again milliseconds later
    cannot help, and each PyMySQL connect costs ~50 ms of CPU; under load the three retries
    made a 503 take seconds."""
    away = make_engine(f"mysql+pymysql://root@127.0.0.1:{free_port()}/jifen?charset=utf8mb4")
    attempts = []
    event.listen(away, "do_connect", lambda *_: attempts.append(1))
    db.session.remove()
    db.session.configure(bind=away)
    try:
        assert_error(till(f"A-{uuid.uuid4().hex[:8]}"), 503, "unavailable")
    finally:
        db.session.remove()
        db.session.configure(bind=db.engine)
        away.dispose()
    assert len(attempts) == 1
