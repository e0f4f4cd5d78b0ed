"""Demo stores, staff logins and a POS key."""
from sqlalchemy import select

from core import clock
from core.auth import encrypt_secret
from core.db import db
from stores import service
from stores.models import ApiKey, Staff, Store

DEMO_STORES = [("SH001", "上海人民广场店", "Jifen Tea"), ("BJ001", "北京三里屯店", "Jifen Tea")]
#: username, password, role, stores
DEMO_STAFF = [
    ("admin", "admin-demo-1", "hq_admin", []),
    ("marketer", "marketer-demo-1", "marketer", []),
    ("manager.sh", "manager-demo-1", "store_manager", ["SH001"]),
    ("cashier.sh", "cashier-demo-1", "cashier", ["SH001"]),
    ("cashier.bj", "cashier-demo-1", "cashier", ["BJ001"]),
]
DEMO_POS_KEY = ("pk_demo_sh001", "demo-pos-secret-sh001", "SH001")


def seed_demo() -> list[str]:
    for code, name, brand in DEMO_STORES:
        if not db.session.scalars(select(Store).filter_by(code=code)).first():
            service.create_store(code, name, brand)
    for username, password, role, stores in DEMO_STAFF:
        if not db.session.scalars(select(Staff).filter_by(username=username)).first():
            service.create_staff(username, password, role, stores)
    key_id, secret, store_code = DEMO_POS_KEY
    if not db.session.scalars(select(ApiKey).filter_by(key_id=key_id)).first():
        db.session.add(ApiKey(key_id=key_id, store=service.get_store(store_code), active=True,
                              secret_encrypted=encrypt_secret(secret), created_at=clock.now()))
    lines = ["Demo staff logins (the console at /console/, or POST /api/v1/staff/auth/login):"]
    lines += [f"  {u:<12} {p:<16} {r}{' @ ' + ','.join(s) if s else ''}" for u, p, r, s in DEMO_STAFF]
    lines.append(f"Demo POS key for {store_code}: X-Api-Key {key_id}, secret {secret}")
    return lines
