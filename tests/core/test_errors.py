import pytest

"""Every class of bad input is answered in the contract's error shape."""


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    return body["error"]


def test_unknown_route_is_not_found(client):
    assert_error(client.get("/no/such/thing"), 404, "not_found")


def test_wrong_method(client):
    error = assert_error(client.delete("/staff/auth/login"), 405, "method_not_allowed")
    assert "Traceback" not in error["message"]


def test_broken_json_is_bad_request(client):
    response = client.raw.post("/api/v1/staff/auth/login", data="{not json",
                               content_type="application/json")
    assert_error(response, 400, "bad_request")


def test_validation_error_lists_fields(client):
    error = assert_error(client.post("/staff/auth/login", {"username": ""}), 422, "validation_error")
    assert set(error["details"]) == {"username", "password"}


def test_unknown_field_is_a_validation_error(client):
    error = assert_error(client.post("/staff/auth/login",
                                     {"username": "a", "password": "b", "role": "hq_admin"}),
                         422, "validation_error")
    assert "role" in error["details"]


def test_body_too_large(client):
    response = client.raw.post("/api/v1/staff/auth/login", data="x" * (2 * 1024 * 1024),
                               content_type="application/json")
    assert_error(response, 413, "payload_too_large")


def _break_store_listing(monkeypatch):
    from stores import service

    def explode(**_kwargs):
        raise RuntimeError("secret database password in here")

    monkeypatch.setattr(service, "list_stores", explode)


def test_unexpected_exception_is_500_without_internals(app, staff_client, monkeypatch, caplog):
    admin = staff_client("hq_admin")
    _break_store_listing(monkeypatch)
    monkeypatch.setattr(app, "testing", False)
    response = admin.get("/admin/stores")
    error = assert_error(response, 500, "internal_error")
    assert "secret" not in response.get_data(as_text=True) and "Traceback" not in error["message"]
    assert "secret database password" in caplog.text  # the traceback goes to the log


def test_unexpected_exception_is_reraised_under_testing(staff_client, monkeypatch):
    admin = staff_client("hq_admin")
    _break_store_listing(monkeypatch)
    with pytest.raises(RuntimeError, match="secret database password"):
        admin.get("/admin/stores")
