"""The Idempotency-Key mechanism, driven through a view wrapped with @idempotent."""
import pytest
from flask import g, jsonify

from core.errors import AppError
from core.idempotency import idempotent

calls = []


@idempotent
def make_thing():
    calls.append(1)
    return jsonify({"thing": len(calls)}), 201


def call(app, key, body, member_id=7):
    with app.test_request_context("/api/v1/things", method="POST", json=body,
                                  headers={"Idempotency-Key": key} if key else {}):
        g.member_id = member_id
        try:
            response = make_thing()
        except AppError as exc:
            return exc.status, exc.code
        return response.status_code, response.get_json()


@pytest.fixture(autouse=True)
def _reset():
    calls.clear()


def test_same_key_same_body_replays_without_running_again(app):
    first = call(app, "key-00000001", {"a": 1})
    assert first == (201, {"thing": 1})
    assert call(app, "key-00000001", {"a": 1}) == (201, {"thing": 1})
    assert len(calls) == 1


def test_same_key_other_body_is_a_mismatch(app):
    call(app, "key-00000002", {"a": 1})
    assert call(app, "key-00000002", {"a": 2}) == (422, "idempotency_mismatch")


def test_key_is_per_member(app):
    call(app, "key-00000003", {"a": 1}, member_id=1)
    assert call(app, "key-00000003", {"a": 1}, member_id=2) == (201, {"thing": 2})


def test_in_progress_while_the_first_holds_the_key(app):
    from core.idempotency import request_scope
    from core.redis import get_redis, rkey

    with app.test_request_context("/api/v1/things", method="POST"):
        g.member_id = 8
        get_redis().set(rkey("idem", request_scope(), "key-00000004"), "first request", ex=60)
    assert call(app, "key-00000004", {"a": 1}, member_id=8) == (409, "request_in_progress")
    assert calls == []


def test_key_is_required(app):
    assert call(app, None, {"a": 1}) == (400, "bad_request")


def test_earlier_outcome_for_fast_paths(app):
    """New key: None (without the database); running: 409; finished: the stored response."""
    from core.db import run_in_transaction
    from core.idempotency import request_scope, earlier_outcome
    from core.redis import get_redis, rkey

    headers = {"Idempotency-Key": "key-00000005"}
    with app.test_request_context("/api/v1/things", method="POST", json={"a": 1}, headers=headers):
        g.member_id = 9
        assert earlier_outcome() is None
        run_in_transaction(make_thing)
        with pytest.raises(AppError) as running:  # its lock goes after the response is sent
            earlier_outcome()
        assert running.value.code == "request_in_progress"
        get_redis().delete(rkey("idem", request_scope(), "key-00000005"))
        replay = earlier_outcome()
        assert replay.status_code == 201 and replay.get_json() == {"thing": 1}
        assert replay.headers["Idempotent-Replayed"] == "true"
