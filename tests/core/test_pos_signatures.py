"""POS signatures as POS stacks send them: hex in either case, the path as sent on the wire
(percent-encoded), the query as sent; the decoded path during the transition."""
import json
import threading
import time
import uuid

import pytest
import requests
from werkzeug.serving import make_server

from core.auth import sign, signing_message
from tests.core.test_errors import assert_error

ORDER_NO = "单号-001"
WIRE_PATH = "/api/v1/pos/orders/%E5%8D%95%E5%8F%B7-001/refunds"
DECODED_PATH = f"/api/v1/pos/orders/{ORDER_NO}/refunds"
REFUND = {"store_code": "SH001", "refund_no": "RF-1", "amount_fen": 10000}


@pytest.fixture
def shop(factory, pos_client):
    store = factory.store(code="SH001")
    return store, pos_client(store)


@pytest.fixture
def sold(shop, factory):
    """Order 单号-001 (¥100, 100 points) at store SH001, and its POS client."""
    _store, pos = shop
    member = factory.member()
    body = {"store_code": "SH001", "order_no": ORDER_NO, "amount_fen": 10000,
            "member_no": member.member_no}
    assert pos.post("/pos/orders", body).status_code == 201
    return pos


def signed_refund(pos, *, signed_path, sent_path=WIRE_PATH, upper=False):
    body = json.dumps(REFUND).encode()
    headers = pos.signed_headers("POST", signed_path, body)
    if upper:
        headers["X-Signature"] = headers["X-Signature"].upper()
    return pos.raw.post(sent_path, data=body, headers=headers)


def test_a_signature_in_upper_case_hex_is_accepted(shop):
    _store, pos = shop
    body = b'{"store_code": "SH001"}'
    headers = pos.signed_headers("POST", "/api/v1/pos/ping", body)
    headers["X-Signature"] = headers["X-Signature"].upper()
    assert pos.raw.post("/api/v1/pos/ping", data=body, headers=headers).status_code == 200
    headers = pos.signed_headers("POST", "/api/v1/pos/ping", body)
    headers["X-Signature"] = headers["X-Signature"][:-1].upper() + "g"
    assert_error(pos.raw.post("/api/v1/pos/ping", data=body, headers=headers),
                 401, "unauthenticated")


def test_a_refund_of_a_non_ascii_order_number_signed_over_the_path_as_sent(sold):
    response = signed_refund(sold, signed_path=WIRE_PATH, upper=True)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["points_reversed"] == 100


def test_the_decoded_path_is_accepted_only_during_the_transition(sold, app, monkeypatch):
    assert signed_refund(sold, signed_path=DECODED_PATH).status_code == 201
    monkeypatch.setitem(app.config, "POS_ACCEPT_DECODED_PATH", False)
    assert_error(signed_refund(sold, signed_path=DECODED_PATH), 401, "unauthenticated")
    assert signed_refund(sold, signed_path=WIRE_PATH).status_code == 200  # RF-1 replayed


def test_the_query_is_signed_as_sent(shop):
    _store, pos = shop
    sent = "/api/v1/pos/ping?note=%E5%8D%95&x=a+b"
    body = b'{"store_code": "SH001"}'
    assert pos.raw.post(sent, data=body,
                        headers=pos.signed_headers("POST", sent, body)).status_code == 200
    decoded = "/api/v1/pos/ping?note=单&x=a b"
    assert_error(pos.raw.post(sent, data=body,
                              headers=pos.signed_headers("POST", decoded, body)),
                 401, "unauthenticated")


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.committing
def test_requests_signing_what_it_sends_to_a_live_server(live_server, factory):
    """A POS written with `requests` signs the prepared request's path_url: exactly the
    request line's target, percent-encoded by requests."""
    key_id, secret = factory.api_key(factory.store("SH001"))
    member = factory.member()
    session = requests.Session()

    def send(path, body):
        prepared = session.prepare_request(requests.Request("POST", live_server + path,
                                                            json=body))
        ts, nonce = str(int(time.time())), uuid.uuid4().hex
        message = signing_message("POST", prepared.path_url, ts, nonce, prepared.body)
        prepared.headers.update({"X-Api-Key": key_id, "X-Timestamp": ts, "X-Nonce": nonce,
                                 "X-Signature": sign(secret, message)})
        return prepared.path_url, session.send(prepared, timeout=10)

    _, order = send("/api/v1/pos/orders", {"store_code": "SH001", "order_no": ORDER_NO,
                                           "amount_fen": 10000, "member_no": member.member_no})
    assert order.status_code == 201, order.text
    path_url, refund = send(DECODED_PATH, REFUND)
    assert path_url == WIRE_PATH
    assert refund.status_code == 201, refund.text
    assert refund.json()["points_reversed"] == 100


def test_the_readme_example_signature():
    body = b'{"store_code":"SH001","refund_no":"RF-1","amount_fen":10000}'
    message = signing_message("POST", WIRE_PATH, "1764660000", "8f14e45fceea167a5a36dedd4bea2543",
                              body)
    assert sign("pos-secret-example", message) == \
        "63845a249ce0b85d15469a891c9bcb362d35996ccca333633dd6aca0509c4382"
