"""On MariaDB with real threads: two HQ admins taking each other away at once cannot both
succeed, so the chain keeps an active hq_admin."""
import pytest
from sqlalchemy import func, select, update

from core.db import db
from core.errors import Conflict
from stores import service
from stores.models import Staff
from tests.concurrency import race

pytestmark = [pytest.mark.mariadb, pytest.mark.committing]


def only_two_admins(factory) -> list[int]:
    db.session.execute(update(Staff).values(active=False))
    db.session.commit()
    return [factory.staff("hq_admin").id for _ in range(2)]


def active_admins() -> int:
    db.session.rollback()  # a fresh snapshot
    return db.session.scalar(select(func.count()).select_from(Staff)
                             .where(Staff.role == "hq_admin", Staff.active.is_(True)))


@pytest.mark.parametrize("change", [{"role": "marketer"}, {"active": False}])
def test_two_admins_taking_each_other_away_at_once_leave_one(app, factory, change):
    for _ in range(5):  # each round is a fresh pair; the race is lost differently each time
        a, b = only_two_admins(factory)

        def take_away(i):
            actor, target = (a, b) if i == 0 else (b, a)
            return service.update_staff(target, dict(change), actor=db.session.get(Staff, actor))

        results = race(app, take_away, 2)
        refused = [r for r in results if isinstance(r, Conflict)]
        assert len(refused) == 1, results
        assert "last active hq_admin" in refused[0].message
        assert active_admins() == 1
