"""What members and operators see when WeChat misbehaves, over real HTTP against the strict
fake: tokens it refuses, a busy WeChat, quotas, a server off the IP whitelist, blocked users."""
import logging

import pytest
from sqlalchemy import func, select

from core.db import db
from members.models import Member
from wx import backoff

PHONE = "/wxa/business/getuserphonenumber"
LOGIN = "/sns/jscode2session"
TOKEN = "/cgi-bin/stable_token"


@pytest.fixture
def waits(monkeypatch):
    """The backoff's waits, recorded instead of slept."""
    slept = []
    monkeypatch.setattr(backoff, "sleep", slept.append)
    return slept


def test_an_invalid_token_40014_is_refreshed_once(login, wechat):
    _, me = login("o-40014")
    assert me.post("/me/phone", {"code": "fakephone:13600000011"}).status_code == 200
    wechat.expire_tokens(errcode=40014)
    response = me.post("/me/phone", {"code": "fakephone:13600000012"})
    assert response.status_code == 200
    assert wechat.calls(PHONE) == 3 and wechat.calls(TOKEN) == 2


def test_a_token_wechat_refuses_but_still_hands_out_is_forced_anew(login, wechat):
    _, me = login("o-stale")
    wechat.fail_path(PHONE, times=1, errcode=40001)  # refused, yet stable_token returns it
    response = me.post("/me/phone", {"code": "fakephone:13600000013"})
    assert response.status_code == 200
    assert wechat.calls(TOKEN) == 3  # the first token, the same again, then a forced one


def test_a_busy_wechat_is_retried_with_growing_waits_within_the_time_allowed(
        client, app, wechat, waits, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_RETRY_BACKOFF", 0.2)
    monkeypatch.setitem(app.config, "WECHAT_RETRIES", 5)
    monkeypatch.setitem(app.config, "WECHAT_RETRY_MAX_SECONDS", 1.0)
    wechat.fail_path(LOGIN, times=10, errcode=-1)
    response = client.post("/auth/wx-login", {"code": "fake:o-busy"})
    assert response.status_code == 502 and response.get_json()["error"]["details"]["errcode"] == -1
    assert waits == [0.2, 0.4]  # 0.8 more would pass the second allowed
    assert wechat.calls(LOGIN) == 3


def test_no_answer_is_retried_like_a_busy_wechat(login, wechat, waits):
    wechat.fail_path(LOGIN, times=2, status=502)
    response, _ = login("o-silent")
    assert response.status_code == 200
    assert len(waits) == 2 and waits[1] == 2 * waits[0]


def test_the_days_quota_45009_is_not_retried(login, wechat, waits):
    _, me = login("o-quota")
    wechat.control("POST", "/_fake/quota", {"path": PHONE, "daily": 0})
    response = me.post("/me/phone", {"code": "fakephone:13600000014"})
    assert response.status_code == 502 and response.get_json()["error"]["details"]["errcode"] == 45009
    assert wechat.calls(PHONE) == 1 and waits == []


def test_a_blocked_user_gets_403_and_no_account(client, wechat):
    wechat.control("POST", "/_fake/block", {"openid": "o-risky"})
    response = client.post("/auth/wx-login", {"code": "fake:o-risky"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "wechat_user_blocked"
    assert response.get_json()["error"]["details"]["errcode"] == 40226
    assert db.session.scalar(select(func.count()).select_from(Member)) == 0


def test_a_server_off_the_ip_whitelist_is_a_configuration_error_naming_the_fix(
        app, client, wechat, caplog):
    caplog.set_level(logging.ERROR, logger="wx.health")
    wechat.control("PUT", "/_fake/ip-whitelist", {"ips": ["203.0.113.7"]})
    first = client.post("/auth/wx-login", {"code": "fake:o-ip:1"})
    client.post("/auth/wx-login", {"code": "fake:o-ip:2"})

    assert first.status_code == 503 and first.get_json()["error"]["details"]["errcode"] == 40164
    [logged] = [r for r in caplog.records if r.getMessage() == "wechat_ip_not_whitelisted"]
    assert "add 127.0.0.1 to the mini-program's API IP whitelist" in logged.fields["fix"]
    health = client.get("/healthz").get_json()
    assert health["status"] == "ok"  # WeChat's refusal is a detail, not an outage of ours
    assert health["details"]["wechat"].startswith("ip_not_whitelisted (WeChat 40164")
    assert "add 127.0.0.1 to the mini-program's API IP whitelist" in health["details"]["wechat"]

    wechat.control("DELETE", "/_fake/ip-whitelist")  # fixed: `wx check` says so, and /healthz
    assert app.test_cli_runner().invoke(args=["wx", "check"]).exit_code == 0
    assert client.get("/healthz").get_json()["details"]["wechat"] == "ok"


def test_a_scene_outside_wechats_alphabet_is_never_sent(wechat):
    from wx.client import client as wechat_client

    for scene in ("has space", "中文", "x" * 33):
        with pytest.raises(ValueError):
            wechat_client().wxa_code_unlimited(scene, "pages/invite/index")
    assert wechat.calls("/wxa/getwxacodeunlimit") == 0
