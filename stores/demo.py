"""Demo stores, staff logins and a POS key."""
from sqlalchemy import select

from core import clock
from core.auth import encrypt_secret
from core.db import db
from stores import service
from stores.models import ApiKey, Staff, Store

DEMO_STORES = [("SH001", "上海人民广场店", "Jifen Tea"), ("BJ001", "北京三里屯店", "Jifen Tea")]
#: what GET /stores shows of them (GCJ-02 coordinates)
DEMO_DETAILS = {
    "SH001": {"address": "上海市黄浦区南京东路 1 号", "latitude": 31.233, "longitude": 121.475,
              "hours": "周一至周日 10:00-22:00", "phone": "021-6000 0001", "pickup": True},
    "BJ001": {"address": "北京市朝阳区三里屯路 19 号", "latitude": 39.934, "longitude": 116.454,
              "hours": "周一至周日 10:00-23:00", "phone": "010-6000 0002", "pickup": True},
}
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
        store = db.session.scalars(select(Store).filter_by(code=code)).first()
        if store is None:
            service.create_store(code, name, brand, **DEMO_DETAILS[code])
        elif store.address is None:
            service.update_store(code, dict(DEMO_DETAILS[code]))
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
