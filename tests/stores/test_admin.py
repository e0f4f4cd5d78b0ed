from datetime import datetime, timedelta, timezone

from core import clock
from tests.core.test_errors import assert_error


def test_store_crud_and_audit(staff_client):
    admin = staff_client("hq_admin")
    created = admin.post("/admin/stores", {"code": "GZ001", "name": "广州天河店", "brand": "Tea"})
    assert created.status_code == 201
    assert created.get_json()["name"] == "广州天河店"
    assert_error(admin.post("/admin/stores", {"code": "GZ001", "name": "dup"}), 409, "invalid_state")
    assert admin.patch("/admin/stores/GZ001", {"name": "广州天河二店"}).get_json()["name"] == "广州天河二店"
    assert admin.delete("/admin/stores/GZ001").get_json()["active"] is False
    assert_error(admin.get("/admin/stores/NOPE"), 404, "not_found")
    log = admin.get("/admin/audit-log?target_type=store&target_id=GZ001").get_json()["items"]
    assert [e["action"] for e in log] == ["store.update", "store.update", "store.create"]
    rename = log[1]
    assert rename["before"]["name"] == "广州天河店" and rename["after"]["name"] == "广州天河二店"
    assert rename["actor_name"] == admin.staff.username


def test_the_audit_log_is_filtered_by_person_and_business_day_and_names_the_store(
        staff_client):
    clock.set(datetime(2026, 12, 1, 23, 30, tzinfo=timezone(timedelta(hours=8))))
    admin, other = staff_client("hq_admin"), staff_client("hq_admin")
    admin.post("/admin/stores", {"code": "HZ001", "name": "杭州店"})
    clock.set(datetime(2026, 12, 2, 0, 30, tzinfo=timezone(timedelta(hours=8))))
    other.patch("/admin/stores/HZ001", {"name": "杭州西湖店"})
    mine = admin.get(f"/admin/audit-log?actor_name={admin.staff.username}").get_json()["items"]
    assert [e["action"] for e in mine] == ["store.create"] and mine[0]["store_id"]
    day = admin.get("/admin/audit-log?from=2026-12-02&to=2026-12-02").get_json()["items"]
    assert [(e["action"], e["actor_name"]) for e in day] == [("store.update", other.staff.username)]
    assert_error(admin.get("/admin/audit-log?from=2026-13-01"), 422, "validation_error")


def test_store_code_is_validated(staff_client):
    error = assert_error(staff_client().post("/admin/stores", {"code": "a b", "name": "x"}),
                         422, "validation_error")
    assert "code" in error["details"]


def test_staff_crud(staff_client, factory):
    admin = staff_client("hq_admin")
    factory.store("SZ001")
    created = admin.post("/admin/staff", {"username": "li.lei", "password": "long-password",
                                          "role": "cashier", "store_codes": ["SZ001"]})
    assert created.status_code == 201
    body = created.get_json()
    assert body["store_codes"] == ["SZ001"] and "password" not in body
    assert "password_hash" not in str(admin.get("/admin/audit-log").get_json())
    assert admin.post("/staff/auth/login", {"username": "li.lei", "password": "long-password"}).status_code == 200


def test_store_staff_need_a_known_store(staff_client):
    admin = staff_client("hq_admin")
    error = assert_error(admin.post("/admin/staff", {"username": "x.y", "password": "long-password",
                                                     "role": "cashier", "store_codes": ["NOPE"]}),
                         422, "validation_error")
    assert "store_codes" in error["details"]
    assert_error(admin.post("/admin/staff", {"username": "x.z", "password": "long-password",
                                             "role": "cashier"}), 422, "validation_error")


def test_api_key_secret_is_shown_once(staff_client, factory):
    admin = staff_client("hq_admin")
    factory.store("KEY01")
    created = admin.post("/admin/stores/KEY01/api-keys")
    assert created.status_code == 201
    secret = created.get_json()["secret"]
    assert len(secret) >= 32
    listing = admin.get("/admin/stores/KEY01/api-keys")
    assert secret not in listing.get_data(as_text=True)
    assert [k["key_id"] for k in listing.get_json()] == [created.get_json()["key_id"]]
    assert secret not in admin.get("/admin/audit-log").get_data(as_text=True)


def test_pagination_walks_every_store_once(staff_client, factory):
    admin = staff_client("hq_admin")
    codes = {factory.store().code for _ in range(5)}
    seen, cursor = [], None
    while True:
        page = admin.get("/admin/stores?limit=2" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen += [s["code"] for s in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert codes <= set(seen) and len(seen) == len(set(seen))
    assert_error(admin.get("/admin/stores?cursor=garbage!"), 422, "validation_error")
    assert_error(admin.get("/admin/stores?limit=0"), 422, "validation_error")
