"""Staff change their own password with the current one."""
from tests.core.test_errors import assert_error
from tests.helpers import ApiClient

PASSWORD = "password-123"  # tests.factories' default


def login(client, username, password):
    return client.post("/staff/auth/login", {"username": username, "password": password})


def test_staff_change_their_own_password_with_the_current_one(app, staff_client):
    cashier = staff_client("cashier")
    other_session = ApiClient(app.test_client(), token=cashier.token)
    changed = cashier.post("/staff/me/password", {"current_password": PASSWORD,
                                                  "new_password": "brand-new-pass"})
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert body["staff"]["username"] == cashier.staff.username and body["expires_in"] > 0
    assert_error(other_session.post("/staff/me/password", {"current_password": "brand-new-pass",
                                                            "new_password": "x" * 8}),
                 401, "unauthenticated")  # every older token ended with the change
    fresh = ApiClient(app.test_client(), token=body["token"])
    assert fresh.post("/staff/scan", {"code": "nope"}).status_code != 401
    assert_error(login(fresh, cashier.staff.username, PASSWORD), 401, "unauthenticated")
    assert login(fresh, cashier.staff.username, "brand-new-pass").status_code == 200
    log = staff_client("hq_admin").get(
        f"/admin/audit-log?action=staff.password&target_id={cashier.staff.id}").get_json()
    assert [e["actor_name"] for e in log["items"]] == [cashier.staff.username]


def test_a_wrong_current_password_changes_nothing_and_counts_as_a_failed_login(staff_client):
    admin = staff_client("hq_admin")
    wrong = {"current_password": "not-my-password", "new_password": "brand-new-pass"}
    error = assert_error(admin.post("/staff/me/password", wrong), 422, "validation_error")
    assert "current_password" in error["details"]
    assert login(admin, admin.staff.username, PASSWORD).status_code == 200
    for _ in range(5):
        admin.post("/staff/me/password", wrong)
    assert_error(admin.post("/staff/me/password", wrong), 429, "rate_limited")


def test_changing_ones_password_needs_a_token_and_a_long_new_password(client, staff_client):
    assert_error(client.post("/staff/me/password", {"current_password": PASSWORD,
                                                    "new_password": "brand-new-pass"}),
                 401, "unauthenticated")
    error = assert_error(staff_client().post("/staff/me/password", {
        "current_password": PASSWORD, "new_password": "short"}), 422, "validation_error")
    assert "new_password" in error["details"]
