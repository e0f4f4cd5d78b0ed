"""The ledger's demo: the demo member's earlier visits, and the till customer's first order."""
from sqlalchemy import select

from core.db import db
from members.demo import demo_member, store_only_member
from points import ledger
from stores.models import Store

#: (store code, points, idempotency key) of the demo member's earlier visits
DEMO_VISITS = [("SH001", 320, "demo:visit:1"), ("BJ001", 180, "demo:visit:2"),
               ("SH001", 650, "demo:visit:3")]


def seed_demo() -> list[str]:
    member, walk_in = demo_member(), store_only_member()
    if member is not None:
        for store_code, points, key in DEMO_VISITS:
            ledger.credit(member.id, points, kind="earn", key=key, store_id=_store_id(store_code))
    if walk_in is not None:
        ledger.credit(walk_in.id, 88, kind="earn", key="demo:walk-in:1",
                      store_id=_store_id("BJ001"))
    return []


def _store_id(code):
    return db.session.scalar(select(Store.id).filter_by(code=code))
