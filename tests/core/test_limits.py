"""Member-facing abuse limits: bursts per member and per client address answer 429
rate_limited with Retry-After, in the contract's shape; others are not held back."""
import time
import uuid

import pytest
import redis as redis_lib
from redis.backoff import NoBackoff
from redis.retry import Retry

from core import limits
from core.config import ConfigError, load_config
from core.redis import get_store
from tests.core.test_errors import assert_error


@pytest.fixture
def rule(app, monkeypatch):
    """rule(name, member=..., address=...) sets one limit for this test."""

    def set_rule(name, member="", address=""):
        monkeypatch.setitem(app.config["RATE_LIMITS"], name, {"member": member, "address": address})

    return set_rule


def check_in(client, address="10.0.0.1"):
    return client.post("/me/checkins", {}, environ_base={"REMOTE_ADDR": address})


def assert_limited(response, window):
    error = assert_error(response, 429, "rate_limited")
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= window and error["details"]["retry_after"] == retry_after
    return error


def test_a_member_s_burst_is_held_back_and_no_one_else(member_client, rule):
    rule("checkin", member="3/60")
    busy, other = member_client(), member_client()
    assert all(check_in(busy).status_code != 429 for _ in range(3))  # (409: no check-in task)
    assert "member" in assert_limited(check_in(busy), 60)["message"]
    assert check_in(other).status_code != 429


def test_an_address_s_burst_is_held_back_and_no_other_address(member_client, rule):
    rule("checkin", address="2/60")
    members = [member_client() for _ in range(4)]
    assert all(check_in(m, "10.0.0.7").status_code != 429 for m in members[:2])
    assert "address" in assert_limited(check_in(members[2], "10.0.0.7"), 60)["message"]
    assert check_in(members[3], "10.0.0.8").status_code != 429


def test_the_limit_lifts_when_the_window_ends(member_client, rule):
    rule("checkin", member="1/1")
    member = member_client()
    assert check_in(member).status_code != 429
    assert_limited(check_in(member), 1)
    time.sleep(1.2)
    assert check_in(member).status_code != 429


def test_redemption_bursts_are_limited(member_client, rule, app):
    rule("redemption", member="2/60")
    member = member_client()
    for _ in range(2):
        response = member.post("/mall/redemptions", {"product_id": 987654321},
                               headers={"Idempotency-Key": uuid.uuid4().hex})
        assert response.status_code == 404
    response = member.post("/mall/redemptions", {"product_id": 987654321},
                           headers={"Idempotency-Key": uuid.uuid4().hex})
    assert_limited(response, 60)


def test_redis_down_lets_the_request_through(app, monkeypatch, rule):
    rule("checkin", member="1/60", address="1/60")
    monkeypatch.setattr(get_store(), "client", redis_lib.Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)))
    with app.test_request_context("/"):
        for _ in range(3):
            limits.hit("checkin", member=1)  # not enforced, and no error


def test_out_of_the_box_every_limit_is_on(monkeypatch):
    for name in ("LOGIN", "PHONE", "CHECKIN", "REDEMPTION"):
        for scope in ("MEMBER", "ADDRESS"):
            monkeypatch.delenv(f"RATE_LIMIT_{name}_PER_{scope}", raising=False)
    config = load_config()
    assert set(config.RATE_LIMITS) == {"login", "phone", "checkin", "redemption"}
    assert all(limits.parse(rule)[0] > 0 for rules in config.RATE_LIMITS.values()
               for rule in rules.values())
    assert config.RATE_LIMITS["checkin"]["member"] == "5/60"


def test_a_malformed_rule_stops_the_app_from_starting(monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_CHECKIN_PER_MEMBER", "ten a minute")
    with pytest.raises(ConfigError, match="RATE_LIMIT_CHECKIN_PER_MEMBER"):
        load_config()
    monkeypatch.setenv("RATE_LIMIT_CHECKIN_PER_MEMBER", "")
    assert load_config().RATE_LIMITS["checkin"]["member"] == ""
