"""One active check-in and one active referral task: a unique key decides, even for
requests that arrive together (a double-click in the console)."""
import importlib.util
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import clock
from core.db import db
from tasks.models import Task
from tests.core.test_errors import assert_error
from tests.helpers import ApiClient

BODIES = {"checkin": {"kind": "checkin", "schedule": [5, 10]},
          "referral": {"kind": "referral", "inviter_points": 100, "invitee_points": 50,
                       "trigger": "register"}}


def at_once(app, token, n, path, body):
    """n POSTs released together, each its own request (own transaction)."""
    barrier, responses = threading.Barrier(n), [None] * n

    def run(i):
        client = ApiClient(app.test_client(), token=token)
        barrier.wait()
        responses[i] = client.post(path, body)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return responses


@pytest.mark.mariadb
@pytest.mark.committing
@pytest.mark.parametrize("kind", sorted(BODIES))
def test_four_creates_at_once_leave_one_active_task(app, factory, staff_client, kind):
    marketer = staff_client("marketer")
    for _round in range(4):
        responses = at_once(app, marketer.token, 4, "/admin/tasks", BODIES[kind])
        assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
        created = next(r.get_json() for r in responses if r.status_code == 201)
        for refused in (r for r in responses if r.status_code == 409):
            error = assert_error(refused, 409, "invalid_state")
            assert error["details"] == {"task_id": created["id"]}
        db.session.remove()
        assert db.session.scalar(select(func.count()).select_from(Task).where(
            Task.kind == kind, Task.active.is_(True))) == 1
        assert marketer.delete(f"/admin/tasks/{created['id']}").status_code == 200


def test_reactivating_an_old_task_while_another_is_active_is_409(staff_client):
    marketer = staff_client("marketer")
    old = marketer.post("/admin/tasks", BODIES["checkin"]).get_json()
    marketer.delete(f"/admin/tasks/{old['id']}")
    new = marketer.post("/admin/tasks", BODIES["checkin"]).get_json()
    error = assert_error(marketer.patch(f"/admin/tasks/{old['id']}", {"active": True}),
                         409, "invalid_state")
    assert error["details"] == {"task_id": new["id"]}
    assert marketer.post("/admin/tasks", {**BODIES["referral"]}).status_code == 201
    marketer.delete(f"/admin/tasks/{new['id']}")
    assert marketer.patch(f"/admin/tasks/{old['id']}", {"active": True}).status_code == 200


def test_the_migration_keeps_the_newest_of_two_active_tasks():
    path = next(Path(__file__).parents[2].glob("migrations/versions/*_1300_tasks_*.py"))
    spec = importlib.util.spec_from_file_location("migration_1300", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    now = clock.now()
    rows = [Task(kind=kind, title=kind, config={}, spent_points=0, active=True,
                 created_at=now, updated_at=now) for kind in ("checkin", "checkin", "referral")]
    db.session.add_all(rows)
    db.session.flush()
    migration.keep_newest_active(db.session.connection())
    db.session.expire_all()
    assert [(t.active, t.active_kind) for t in rows] == [
        (False, None), (True, "checkin"), (True, "referral")]
