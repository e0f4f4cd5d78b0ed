"""A transaction refused at its COMMIT with 1213 — on a Galera cluster, a certification
conflict with another node's write — is run again whole by the request boundary, and nothing
the first attempt did before the commit stays behind: not its rows, not its Redis stock-gate
reservation (tests/mall/test_retry_at_commit.py), not its POS nonce (the rerun is the same
request, so its own nonce is not "already used"), not a second credit."""
import pymysql
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from core.db import db
from points.earning.models import Order
from points.ledger.models import PointsEntry
from tests.concurrency import first_commits_refused
from tests.helpers import PosClient
from tests.mall.test_redemption import balance

pytestmark = pytest.mark.committing


def count(model, *where):
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_pos_order_refused_at_commit_is_run_again_whole_and_credited_once(app, factory):
    store = factory.store(code="SH001")
    key_id, secret = factory.api_key(store)
    member = factory.member()
    db.session.commit()
    till = PosClient(app.test_client(), key_id, secret)
    body = {"store_code": "SH001", "order_no": "G-1", "amount_fen": 8800,
            "member_no": member.member_no}
    with first_commits_refused(2) as refused:
        response = till.post("/pos/orders", body, nonce="nonce-tried-once-1234")
    assert len(refused) == 2 and response.status_code == 201, response.get_json()
    assert count(Order) == 1 and count(PointsEntry, PointsEntry.kind == "earn") == 1
    assert balance(member) == 88
    assert till.post("/pos/orders", body, nonce="nonce-tried-once-1234").status_code == 401  # used, once
    assert till.post("/pos/orders", body).status_code == 200  # the same order: its answer
    assert count(PointsEntry) == 1


def test_a_rollback_answered_with_1213_drops_the_connection_and_keeps_the_requests_answer(app):
    """Galera answers the ROLLBACK after a brute-force abort with 1213 again: the caller gets
    the work's own error (here a 409), not the rollback's, and the next transaction works."""
    from sqlalchemy import text

    from core.db import run_in_transaction
    from core.errors import Conflict

    def refuse(_conn):
        event.remove(db.engine, "rollback", refuse)
        raise OperationalError("ROLLBACK", {}, pymysql.err.OperationalError(
            1213, "Deadlock found when trying to get lock; try restarting transaction"))

    def sold_out():
        db.session.execute(text("SELECT 1"))
        raise Conflict("Sold out.", code="out_of_stock")

    event.listen(db.engine, "rollback", refuse)
    with pytest.raises(Conflict):
        run_in_transaction(sold_out)
    assert run_in_transaction(lambda: db.session.scalar(text("SELECT 2"))) == 2
