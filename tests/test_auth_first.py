"""Who may call comes before what is wrong with the call: every route of the app, called by
every kind of caller with an empty, a `{}` and a garbage body, answers 401 to a caller who is
not the right kind, 403 to a staff member without the role, and only then looks at the input.
A caller without the right learns nothing about an endpoint (not even its required fields)."""
import re
import time
import uuid

import pytest

from core.api import JifenBlueprint
from core.auth import sign, signing_message, staff_required
from tests.callers import ANYONE, MEMBER, POS, who_may
from tests.core.test_errors import assert_error
from wx.fake_server import FakeWechatServer

CALLERS = ("nobody", "bad_token", "member", "cashier", "manager_elsewhere", "marketer", "hq",
           "pos_elsewhere")
ROLES = {"cashier": "cashier", "manager_elsewhere": "store_manager", "marketer": "marketer",
         "hq": "hq_admin"}
GARBAGE = b'{"amount_fen": 12.5, "\x00\xff": [[[[{"nested": ' + b"9" * 400
GARBAGE_QUERY = "limit=1.5&cursor=%00%FF&from=yesterday&to=-1&kind=%7B%7D&product_id=1e99"
BODIES = {"GET": (None, GARBAGE_QUERY), "DELETE": (None, GARBAGE_QUERY)}
WRITE_BODIES = (b"", b"{}", GARBAGE)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def expected(endpoint, caller):
    """401, 403, or None (past the checks: anything but those and a 5xx)."""
    who = who_may(endpoint)
    if who == ANYONE:
        return None
    kind = {"member": MEMBER, "pos_elsewhere": POS}.get(caller, "staff" if caller in ROLES else None)
    if who in (MEMBER, POS):
        return None if kind == who else 401
    if kind != "staff":
        return 401
    return None if ROLES[caller] in who else 403


def url_for(rule):
    """The rule with its parts filled in with values that name nothing (404 once past the checks)."""
    url = re.sub(r"<int:\w+>", "987654321", rule.rule)
    return re.sub(r"<(?:\w+:)?\w+>", "nothing-here", url)


def _routes(app):
    """Every JSON route. The console's pages sign a person in with a session cookie and send
    them to the sign-in page instead of a 401: tests/console/test_session.py checks them."""
    return [(rule, method) for rule in app.url_map.iter_rules()
            if not rule.endpoint.startswith("console.")
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


@pytest.fixture(scope="module")
def wechat_server():
    with FakeWechatServer() as server:
        yield server


@pytest.fixture
def callers(app, factory, wechat_server, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", wechat_server.url)
    home, elsewhere = factory.store(), factory.store()
    key_id, secret = factory.api_key(elsewhere)
    member = factory.member()
    headers = {"nobody": {}, "bad_token": {"Authorization": "Bearer not-a-token"},
               "member": {"Authorization": f"Bearer {factory.member_token(member)}"},
               "pos_elsewhere": (key_id, secret)}
    for caller, role in ROLES.items():
        store = elsewhere if caller == "manager_elsewhere" else home
        staff = factory.staff(role=role, stores=[store] if role in ("cashier", "store_manager") else ())
        headers[caller] = {"Authorization": f"Bearer {factory.staff_token(staff)}"}
    return headers


def call(client, caller_headers, method, url, body):
    query = ""
    if method in BODIES:
        query, body = (f"?{body}" if body else ""), b""
    path = url + query
    if isinstance(caller_headers, tuple):  # a POS key: sign exactly what is sent
        key_id, secret = caller_headers
        ts, nonce = str(int(time.time())), uuid.uuid4().hex
        signature = sign(secret, signing_message(method, path, ts, nonce, body))
        caller_headers = {"X-Api-Key": key_id, "X-Timestamp": ts, "X-Nonce": nonce,
                          "X-Signature": signature}
    headers = {"Content-Type": "application/json", **caller_headers}
    return client.open(path, method=method, data=body, headers=headers)


def check(response, want, where):
    status = response.status_code
    if want is not None:
        code = {401: "unauthenticated", 403: "forbidden"}[want]
        assert status == want, f"{where}: {status} {response.get_data(as_text=True)[:300]}"
        assert_error(response, want, code)
        return
    assert status < 500 and status not in (401, 403), \
        f"{where}: {status} {response.get_data(as_text=True)[:300]}"
    if status >= 400:
        body = response.get_json()
        assert body and set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, where


def test_every_route_checks_the_caller_before_the_input(app, callers):
    client = app.test_client()
    calls = 0
    for rule, method in _routes(app):
        url = url_for(rule)
        for body in BODIES.get(method, WRITE_BODIES):
            for caller in CALLERS:
                response = call(client, callers[caller], method, url, body)
                check(response, expected(rule.endpoint, caller),
                      f"{caller} {method} {rule.rule} body={body!r:.20}")
                calls += 1
    assert len(_routes(app)) >= 90 and calls >= 90 * 8 * 2


def test_a_wrong_method_is_405_for_every_caller(app, callers):
    client = app.test_client()
    methods_of = {}
    for rule, method in _routes(app):
        methods_of.setdefault(url_for(rule), set()).add(method)
    assert len(methods_of) > 50
    for url, allowed in methods_of.items():
        for method in sorted(set(METHODS) - allowed):
            for caller in ("nobody", "hq", "member"):
                response = call(client, callers[caller], method, url, b"{}")
                error = assert_error(response, 405, "method_not_allowed")
                assert error["message"], (method, url)


def test_the_reported_cases_are_403_not_a_list_of_fields(staff_client):
    cashier, marketer = staff_client("cashier"), staff_client("marketer")
    assert_error(cashier.post("/admin/products", {}), 403, "forbidden")
    assert_error(marketer.post("/admin/staff", {}), 403, "forbidden")
    response = cashier.raw.post("/api/v1/admin/products", data=GARBAGE,
                                content_type="application/json")
    assert_error(response, 401, "unauthenticated")


def test_a_route_that_says_nobody_may_call_it_fails_at_import():
    blp = JifenBlueprint("nobody_says", __name__, url_prefix="/x")
    with pytest.raises(TypeError, match="say who may call it"):
        @blp.post("/y")
        def undeclared():
            return {}


def test_the_check_runs_before_parsing_whatever_the_decorator_order():
    """`arguments` written outside the check (as several views were) still parses after it."""
    from flask import Flask
    from marshmallow import Schema, fields

    from core.errors import register_error_handlers

    class Needs(Schema):
        n = fields.Integer(required=True)

    blp = JifenBlueprint("order_probe", __name__, url_prefix="/probe")
    parsed = []

    @blp.post("/")
    @blp.arguments(Needs)
    @staff_required("hq_admin")
    def probe(data):
        parsed.append(data)
        return data

    app = Flask(__name__)
    app.config.update(SECRET_KEY="probe", STAFF_TOKEN_TTL=60)
    register_error_handlers(app)
    app.register_blueprint(blp)
    response = app.test_client().post("/probe/", json={})
    assert_error(response, 401, "unauthenticated")
    assert parsed == []


def test_the_document_names_the_same_callers(app, client):
    """Each operation's OpenAPI `security` says the kind of caller the route checks for, so
    generated clients (and the fuzzer) know which credentials to send."""
    spec = client.get("/api/v1/openapi.json").get_json()
    for rule, method in _routes(app):
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule).removeprefix("/api/v1")
        operation = spec["paths"].get("/api/v1" + path, {}).get(method.lower())
        if operation is None:
            continue  # outside the API document (health, metrics, docs, static)
        who = who_may(rule.endpoint)
        scheme = {ANYONE: None, MEMBER: "member", POS: "pos"}.get(who, "staff")
        documented = [name for requirement in operation.get("security", []) for name in requirement]
        assert documented == ([scheme] if scheme else []), (method, rule.rule, documented)
