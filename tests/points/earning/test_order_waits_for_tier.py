"""An order waiting for the member's account lock decides with what the transaction it waited
for committed: the member's tier (read in the statement that takes the lock), not the tier the
member had when the order arrived."""
import threading
import time

import pytest
from sqlalchemy import text

from core.db import db, run_in_transaction
from members import codes
from members.models import Member
from points import ledger
from points.programme import tiers
from tests.helpers import PosClient

pytestmark = [pytest.mark.mariadb, pytest.mark.committing]


@pytest.mark.parametrize("named_by", ["member_no", "member_code"])
def test_an_order_behind_a_tier_upgrade_earns_at_the_new_tier(app, factory, named_by):
    store = factory.store(code="SH001")
    key_id, secret = factory.api_key(store)
    tiers.create_tier("gold", "金卡", 100, 200)
    member = factory.member()
    db.session.commit()
    name = member.member_no if named_by == "member_no" else codes.issue_code(member)[0]
    locked, answer = threading.Event(), {}

    def upgrade_while_holding_the_lock():
        with app.app_context():
            def work():
                ledger.lock_account(member.id)
                db.session.get(Member, member.id).tier_code = "gold"
                db.session.flush()
                locked.set()
                _until_the_order_waits_for_the_account()
            run_in_transaction(work)

    def order():
        locked.wait(5)
        with app.app_context():
            answer["response"] = PosClient(app.test_client(), key_id, secret).post(
                "/pos/orders", {"store_code": "SH001", "order_no": "AFTER-UPGRADE",
                                "amount_fen": 5000, named_by: name})

    threads = [threading.Thread(target=upgrade_while_holding_the_lock), threading.Thread(target=order)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    body = answer["response"].get_json()
    assert answer["response"].status_code == 201, body
    assert body["points_earned"] == 100  # 50 yuan at gold ×2, not 50 at no tier
    assert [line["source"] for line in body["breakdown"] if line["kind"] == "multiplier"] == ["tier:gold"]


def _until_the_order_waits_for_the_account():
    """The order's account lock statement is running (waiting: it takes microseconds otherwise;
    MariaDB waits for the row while optimising, so information_schema.innodb_trx shows no wait)."""
    deadline = time.monotonic() + 10
    with db.engine.connect() as conn:
        while time.monotonic() < deadline:
            if conn.scalar(text("SELECT COUNT(*) FROM information_schema.processlist "
                                "WHERE command = 'Query' AND info LIKE :hold"),
                           {"hold": "SELECT points_accounts.balance%FOR UPDATE"}):
                return
            conn.rollback()
            time.sleep(0.01)
    raise AssertionError("the order never waited for the account lock")
