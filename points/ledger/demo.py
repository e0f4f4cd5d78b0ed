"""The ledger's demo: the demo member's earlier visits, a store manager's correction (in the
console's audit log), and the till customer's first order."""
from sqlalchemy import select

from core.db import db
from members.demo import demo_member, store_only_member
from points import ledger
from stores.models import Staff, Store

#: (store code, points, idempotency key) of the demo member's earlier visits
DEMO_VISITS = [("SH001", 320, "demo:visit:1"), ("BJ001", 180, "demo:visit:2"),
               ("SH001", 650, "demo:visit:3")]
#: (manager's username, store code, points, reason, key) of the demo member's correction
DEMO_ADJUSTMENT = ("manager.sh", "SH001", 50, "补录：顾客小票遗失，按原小票补积分", "demo:adjust:1")


def seed_demo() -> list[str]:
    member, walk_in = demo_member(), store_only_member()
    if member is not None:
        for store_code, points, key in DEMO_VISITS:
            ledger.credit(member.id, points, kind="earn", key=key, store_id=_store_id(store_code))
        username, store_code, points, reason, key = DEMO_ADJUSTMENT
        manager = db.session.scalars(select(Staff).filter_by(username=username)).first()
        if manager is not None:
            ledger.adjust(member.id, points, reason=reason, operator=manager,
                          store_id=_store_id(store_code), key=key)
    if walk_in is not None:
        ledger.credit(walk_in.id, 88, kind="earn", key="demo:walk-in:1",
                      store_id=_store_id("BJ001"))
    return []


def _store_id(code):
    return db.session.scalar(select(Store.id).filter_by(code=code))
