import time
from datetime import timedelta

import pytest

from core import clock
from tests.core.test_errors import assert_error


# --- staff tokens and roles -------------------------------------------------------------------

def test_login_returns_a_token_that_works(client, factory):
    factory.staff(role="hq_admin", username="boss", password="correct-horse")
    response = client.post("/staff/auth/login", {"username": "boss", "password": "correct-horse"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["staff"]["role"] == "hq_admin" and "password" not in body["staff"]
    client.token = body["token"]
    assert client.get("/admin/stores").status_code == 200


def test_wrong_password_is_401(client, factory):
    factory.staff(username="boss2", password="correct-horse")
    response = client.post("/staff/auth/login", {"username": "boss2", "password": "wrong"})
    assert_error(response, 401, "unauthenticated")


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-token", "Basic abc"])
def test_missing_or_bad_token_is_401(client, header):
    headers = {"Authorization": header} if header else {}
    assert_error(client.get("/admin/stores", headers=headers), 401, "unauthenticated")


def test_expired_staff_token_is_401(staff_client):
    admin = staff_client("hq_admin")
    clock.set(clock.now() + timedelta(hours=13))
    assert_error(admin.get("/admin/stores"), 401, "unauthenticated")


def test_deactivated_staff_token_stops_working(staff_client, factory):
    admin = staff_client("hq_admin")
    marketer = staff_client("marketer")
    assert marketer.get("/admin/stores").status_code == 200
    assert admin.delete(f"/admin/staff/{marketer.staff.id}").status_code == 200
    assert_error(marketer.get("/admin/stores"), 401, "unauthenticated")
    response = admin.post("/staff/auth/login", {"username": marketer.staff.username,
                                               "password": "password-123"})
    assert_error(response, 401, "unauthenticated")


# role → may it (list stores, create a store, list staff)?
ROLE_MATRIX = {
    "hq_admin": (200, 201, 200),
    "marketer": (200, 403, 403),
    "store_manager": (403, 403, 403),
    "cashier": (403, 403, 403),
}


@pytest.mark.parametrize("role", ROLE_MATRIX)
def test_role_matrix(staff_client, role):
    caller = staff_client(role)
    expected = ROLE_MATRIX[role]
    got = (caller.get("/admin/stores").status_code,
           caller.post("/admin/stores", {"code": f"R{role[:4]}", "name": "x"}).status_code,
           caller.get("/admin/staff").status_code)
    assert got == expected
    if 403 in got:
        assert_error(caller.get("/admin/staff"), 403, "forbidden")


# --- login throttling ------------------------------------------------------------------------

def test_repeated_wrong_passwords_are_throttled_with_retry_after(client, factory, app):
    factory.staff(username="target", password="correct-horse")
    for _ in range(app.config["LOGIN_FAILS_PER_USER"]):
        assert client.post("/staff/auth/login",
                           {"username": "target", "password": "nope"}).status_code == 401
    response = client.post("/staff/auth/login", {"username": "target", "password": "correct-horse"})
    assert_error(response, 429, "rate_limited")
    assert 0 < int(response.headers["Retry-After"]) <= app.config["LOGIN_FAIL_WINDOW"]


def test_many_usernames_from_one_address_are_throttled(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILS_PER_ADDR", 3)
    for n in range(3):
        client.post("/staff/auth/login", {"username": f"guess{n}", "password": "x"})
    assert_error(client.post("/staff/auth/login", {"username": "guess9", "password": "x"}),
                 429, "rate_limited")


def test_success_resets_the_username_counter(client, factory, app):
    factory.staff(username="forgetful", password="correct-horse")
    for _ in range(app.config["LOGIN_FAILS_PER_USER"] - 1):
        client.post("/staff/auth/login", {"username": "forgetful", "password": "nope"})
    assert client.post("/staff/auth/login",
                       {"username": "forgetful", "password": "correct-horse"}).status_code == 200
    assert client.post("/staff/auth/login",
                       {"username": "forgetful", "password": "nope"}).status_code == 401


# --- POS HMAC ------------------------------------------------------------------------------

@pytest.fixture
def pos(factory, pos_client):
    store = factory.store("POS01")
    return pos_client(store)


def test_good_signature(pos):
    response = pos.post("/pos/ping", {"store_code": "POS01"})
    assert response.status_code == 200
    assert response.get_json()["store_code"] == "POS01"


def test_bad_signature(pos):
    assert_error(pos.post("/pos/ping", {}, secret="not-the-secret"), 401, "unauthenticated")


def test_body_changed_after_signing_is_refused(pos):
    path = "/api/v1/pos/ping"
    headers = pos.signed_headers("POST", path, b'{"store_code": "POS01"}')
    response = pos.raw.post(path, data=b'{"store_code": "POS02"}', headers=headers)
    assert_error(response, 401, "unauthenticated")


@pytest.mark.parametrize("offset", [-301, 301])
def test_stale_or_future_timestamp(pos, offset):
    error = assert_error(pos.post("/pos/ping", {}, timestamp=time.time() + offset),
                         401, "unauthenticated")
    assert "300" in error["message"]


def test_timestamp_inside_the_window_is_fine(pos):
    assert pos.post("/pos/ping", {}, timestamp=time.time() - 290).status_code == 200


def test_reused_nonce(pos):
    nonce = "n" * 20
    assert pos.post("/pos/ping", {}, nonce=nonce).status_code == 200
    assert_error(pos.post("/pos/ping", {}, nonce=nonce), 401, "unauthenticated")


def test_short_nonce(pos):
    assert_error(pos.post("/pos/ping", {}, nonce="short"), 401, "unauthenticated")


def test_key_of_another_store(pos, factory):
    factory.store("POS02")
    assert_error(pos.post("/pos/ping", {"store_code": "POS02"}), 403, "forbidden")


def test_unknown_and_revoked_keys(pos, staff_client):
    admin = staff_client("hq_admin")
    assert admin.delete(f"/admin/stores/POS01/api-keys/{pos.key_id}").status_code == 200
    assert_error(pos.post("/pos/ping", {}), 401, "unauthenticated")
    pos.key_id = "pk_unknown"
    assert_error(pos.post("/pos/ping", {}), 401, "unauthenticated")


def test_missing_headers(client):
    assert_error(client.post("/pos/ping", {}), 401, "unauthenticated")
