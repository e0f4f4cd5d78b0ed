"""An id larger than the database's BIGINT column is answered like any unknown id: 404 in a
path, 422 in a body or query; it never reaches the database (which would answer a 500)."""
import re
import uuid

import pytest

from core.pagination import encode_cursor
from tests.core.test_errors import assert_error

BIGINT_MAX = 2**63 - 1
TOO_BIG = [2**63, 7131455861532536078336]  # the second one is what the fuzzer sent


def id_routes(app):
    """(method, url template) for every route with an `<int:…>` part, other parts filled in."""
    routes = []
    for rule in app.url_map.iter_rules():
        if "<int:" in rule.rule:
            template = re.sub(r"<(?!int:)[^>]+>", "x", re.sub(r"<int:\w+>", "{id}", rule.rule))
            routes += [(method, template) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    assert len(routes) > 10
    return routes


def call(client, method, url):
    body = {} if method in ("POST", "PUT", "PATCH") else None
    return client.raw.open(url, method=method, json=body, headers=client.headers())


@pytest.mark.parametrize("too_big", TOO_BIG)
def test_an_id_beyond_bigint_in_a_path_is_not_found_before_any_check(app, client, too_big):
    for method, template in id_routes(app):
        response = call(client, method, template.format(id=too_big))
        assert_error(response, 404, "not_found")


def test_no_route_answers_5xx_for_the_largest_and_too_big_ids(app, staff_client, member_client):
    callers = [staff_client("hq_admin"), member_client()]
    for method, template in id_routes(app):
        for caller in callers:
            for id_ in (BIGINT_MAX, *TOO_BIG):
                response = call(caller, method, template.format(id=id_))
                assert response.status_code < 500, (method, template, id_)


def test_the_reported_cancel_is_a_404(staff_client):
    response = staff_client("hq_admin").post(
        "/admin/redemptions/7131455861532536078336/cancel", {"reason": "fuzz"})
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("product_id", [2**63, -(2**63) - 1, 7131455861532536078336])
def test_a_body_id_beyond_bigint_is_422(member_client, product_id):
    response = member_client(points=100).post(
        "/mall/redemptions", {"product_id": product_id},
        headers={"Idempotency-Key": uuid.uuid4().hex})
    error = assert_error(response, 422, "validation_error")
    assert "product_id" in error["details"]


def test_the_largest_body_id_is_simply_not_found(member_client):
    response = member_client(points=100).post(
        "/mall/redemptions", {"product_id": BIGINT_MAX},
        headers={"Idempotency-Key": uuid.uuid4().hex})
    assert_error(response, 404, "not_found")


def test_a_query_id_beyond_bigint_is_422(staff_client):
    response = staff_client("hq_admin").get(f"/admin/redemptions?product_id={2**63}")
    error = assert_error(response, 422, "validation_error")
    assert "product_id" in error["details"]


@pytest.mark.parametrize("after", [2**63, {"id": 1}, "1", 1.5, True])
def test_a_forged_cursor_is_422(staff_client, after):
    response = staff_client("hq_admin").get(f"/admin/stores?cursor={encode_cursor(after)}")
    error = assert_error(response, 422, "validation_error")
    assert "cursor" in error["details"]
