"""Logins and phone bindings in bursts: per client address and per member, 429 rate_limited
with Retry-After (core.limits), before WeChat is asked again."""
import pytest

from tests.core.test_errors import assert_error


@pytest.fixture
def rule(app, monkeypatch):
    def set_rule(name, member="", address=""):
        monkeypatch.setitem(app.config["RATE_LIMITS"], name, {"member": member, "address": address})

    return set_rule


def test_logins_from_one_address_are_limited(login, rule, wechat):
    rule("login", address="2/60")
    assert login("o-a")[0].status_code == 200 and login("o-b")[0].status_code == 200
    response, _ = login("o-c")
    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert wechat.calls("/sns/jscode2session") == 2  # the refused login never reached WeChat


def test_one_member_s_logins_are_limited_and_not_another_s(login, rule):
    rule("login", member="2/60")
    assert [login("o-same")[0].status_code for _ in range(2)] == [200, 200]
    assert_error(login("o-same")[0], 429, "rate_limited")
    assert login("o-other")[0].status_code == 200


def test_phone_bindings_are_limited_per_member(login, rule, wechat):
    rule("phone", member="2/3600")
    _, me = login("o-phones")
    for n in range(2):
        assert me.post("/me/phone", {"code": f"fakephone:1380000000{n}"}).status_code == 200
    response = me.post("/me/phone", {"code": "fakephone:13800000009"})
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 60
    assert wechat.calls("/wxa/business/getuserphonenumber") == 2
