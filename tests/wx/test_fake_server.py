"""The fake WeChat server, exercised over real HTTP (requests and wechatpy)."""
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from wx.fake import FakeWechatServer

APPID, SECRET = "wx_fake_app", "fake_secret"
JPEG_SIGNATURE = b"\xff\xd8\xff"
SEND = "/cgi-bin/message/subscribe/send"


@pytest.fixture(scope="module")
def server():
    with FakeWechatServer() as srv:
        yield srv


@pytest.fixture(autouse=True)
def fresh(server):
    requests.post(server.url + "/_fake/reset", timeout=5).raise_for_status()
    add_template(server.url, "TPL1", ["thing1"])


@pytest.fixture
def url(server):
    return server.url


def get(url, path, **params):
    return requests.get(url + path, params=params, timeout=5)


def post(url, path, body=None, **params):
    return requests.post(url + path, params=params, json=body, timeout=5)


def stable_token(url, force_refresh=False):
    body = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET,
            "force_refresh": force_refresh}
    return post(url, "/cgi-bin/stable_token", body).json()["access_token"]


def login(url, code):
    return get(url, "/sns/jscode2session", appid=APPID, secret=SECRET, js_code=code,
               grant_type="authorization_code").json()


def send(url, token, data, touser="o_user", template_id="TPL1"):
    body = {"touser": touser, "template_id": template_id, "page": "pages/index/index",
            "data": {k: {"value": v} for k, v in data.items()},
            "miniprogram_state": "developer", "lang": "zh_CN"}
    return post(url, SEND, body, access_token=token).json()


def messages(url):
    return get(url, "/_fake/messages").json()


def calls(url):
    return get(url, "/_fake/calls").json()


def fail(url, **rule):
    post(url, "/_fake/fail", rule).raise_for_status()


def add_template(url, template_id, keys, title="提醒"):
    requests.put(f"{url}/_fake/templates/{template_id}", json={"title": title, "keys": keys},
                 timeout=5).raise_for_status()


# --- tokens -----------------------------------------------------------------

def test_token_issues_a_fresh_token_each_call(url):
    first = get(url, "/cgi-bin/token", grant_type="client_credential", appid=APPID,
                secret=SECRET)
    assert first.headers["Content-Type"] == "application/json; charset=utf-8"
    assert first.json()["expires_in"] == 7200
    second = get(url, "/cgi-bin/token", grant_type="client_credential", appid=APPID,
                 secret=SECRET).json()
    assert second["access_token"] != first.json()["access_token"]


def test_token_checks_credentials_when_configured():
    with FakeWechatServer(appid_secrets={APPID: SECRET}) as srv:
        def token(appid, secret):
            return get(srv.url, "/cgi-bin/token", grant_type="client_credential",
                       appid=appid, secret=secret).json()

        assert "access_token" in token(APPID, SECRET)
        assert token("wx_other", SECRET)["errcode"] == 40013
        assert token(APPID, "wrong")["errcode"] == 40125


def test_stable_token_is_stable_until_force_refresh(url):
    first = stable_token(url)
    assert stable_token(url) == first
    fresh_token = stable_token(url, force_refresh=True)
    assert fresh_token != first
    assert stable_token(url) == fresh_token
    # the old one is dead
    assert send(url, first, {"thing1": "x"})["errcode"] == 40001
    assert send(url, fresh_token, {"thing1": "x"})["errcode"] == 0


def test_missing_and_unknown_tokens(url):
    assert send(url, "", {"thing1": "x"})["errcode"] == 41001
    unknown = send(url, "nope", {"thing1": "x"})
    assert unknown == {"errcode": 40001,
                       "errmsg": "invalid credential, access_token is invalid or not latest"}


def test_expire_token_then_refresh(url):
    old = stable_token(url)
    post(url, "/_fake/expire-token").raise_for_status()
    assert send(url, old, {"thing1": "x"})["errcode"] == 40001
    refreshed = stable_token(url, force_refresh=True)
    assert refreshed != old
    assert send(url, refreshed, {"thing1": "x"})["errcode"] == 0

    post(url, "/_fake/expire-token").raise_for_status()
    again = stable_token(url)  # no force_refresh: the dead token is not handed out
    assert again != refreshed
    assert send(url, again, {"thing1": "x"})["errcode"] == 0


def test_expire_token_as_expired_answers_42001(url):
    old = stable_token(url)
    post(url, "/_fake/expire-token", {"errcode": 42001}).raise_for_status()
    assert send(url, old, {"thing1": "x"}) == {"errcode": 42001,
                                                 "errmsg": "access_token expired"}
    assert stable_token(url) != old


# --- login ------------------------------------------------------------------

def test_login_code_gives_openid_and_session_key(url):
    result = login(url, "fake:o_alice")
    assert result["openid"] == "o_alice"
    assert "unionid" not in result
    assert len(result["session_key"]) == 24  # base64 of 16 bytes


def test_login_code_with_unionid(url):
    result = login(url, "fake:o_bob:u_bob")
    assert (result["openid"], result["unionid"]) == ("o_bob", "u_bob")


def test_login_code_is_single_use(url):
    assert login(url, "fake:o_carol")["openid"] == "o_carol"
    assert login(url, "fake:o_carol") == {"errcode": 40163, "errmsg": "code been used"}


@pytest.mark.parametrize("code", ["garbage", "fake:", "fake:a:b:c:d", "081abcDEF"])
def test_bad_login_code(url, code):
    assert login(url, code) == {"errcode": 40029, "errmsg": "invalid code"}


def test_concurrent_logins_with_one_code_only_one_wins(url):
    results = []

    def attempt():
        results.append(login(url, "fake:o_race"))

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum("openid" in r for r in results) == 1
    assert sorted(r.get("errcode", 0) for r in results) == [0] + [40163] * 7


# --- phone number -----------------------------------------------------------

def test_phone_number(url):
    token = stable_token(url)
    result = post(url, "/wxa/business/getuserphonenumber", {"code": "fakephone:13800138000"},
                  access_token=token).json()
    assert result["errcode"] == 0 and result["errmsg"] == "ok"
    info = result["phone_info"]
    assert info["phoneNumber"] == info["purePhoneNumber"] == "13800138000"
    assert info["countryCode"] == "86"
    assert info["watermark"]["appid"] == APPID
    assert isinstance(info["watermark"]["timestamp"], int)


@pytest.mark.parametrize("code", ["fakephone:1380013800", "13800138000", ""])
def test_bad_phone_code(url, code):
    result = post(url, "/wxa/business/getuserphonenumber", {"code": code},
                  access_token=stable_token(url)).json()
    assert result["errcode"] == 40029


# --- wxacode ----------------------------------------------------------------

def test_wxacode_is_a_jpeg_and_calls_are_counted(url):
    token = stable_token(url)
    body = {"scene": "s=42&m=a_b", "page": "pages/store/index", "check_path": False,
            "env_version": "develop", "width": 430}
    for _ in range(2):
        res = post(url, "/wxa/getwxacodeunlimit", body, access_token=token)
        assert res.status_code == 200
        assert res.headers["Content-Type"] == "image/jpeg"
        assert res.content.startswith(JPEG_SIGNATURE)
    assert calls(url)["/wxa/getwxacodeunlimit"] == 2


@pytest.mark.parametrize("scene", ["x" * 33, "has space", "中文", ""])
def test_wxacode_bad_scene(url, scene):
    res = post(url, "/wxa/getwxacodeunlimit", {"scene": scene, "page": "pages/index/index"},
               access_token=stable_token(url))
    assert res.headers["Content-Type"].startswith("application/json")
    assert res.json()["errcode"] == 40169


# --- subscribe messages -----------------------------------------------------

GOOD_DATA = {
    "thing1": "积分到账提醒：20个字以内的说明文字啊",
    "number2": "1200.5",
    "date3": "2026年12月31日",
    "time4": "15:01",
    "amount5": "99.00元",
    "phrase6": "已到账",
    "character_string7": "ORD-2026-0001",
    "name8": "张三",
    "date9": "2026-12-31 12:00~2027-01-01 08:00",
    "time10": "2026年12月31日 12:00",
}


def test_subscribe_send_is_accepted_and_logged(url):
    token = stable_token(url)
    add_template(url, "TPL_ALL", list(GOOD_DATA))
    first = send(url, token, GOOD_DATA, template_id="TPL_ALL")
    second = send(url, token, {"thing1": "再来一条"}, touser="o_two")
    assert first["errcode"] == 0 and first["errmsg"] == "ok"
    assert second["msgid"] != first["msgid"]
    logged = messages(url)
    assert [m["touser"] for m in logged] == ["o_user", "o_two"]
    assert logged[0] == {"touser": "o_user", "template_id": "TPL_ALL",
                         "data": {k: {"value": v} for k, v in GOOD_DATA.items()},
                         "page": "pages/index/index", "miniprogram_state": "developer"}
    requests.delete(url + "/_fake/messages", timeout=5).raise_for_status()
    assert messages(url) == []


@pytest.mark.parametrize("key, value", [
    ("thing1", "x" * 21),
    ("number2", "12a"),
    ("number2", "-5"),
    ("date3", "2026-13-01"),
    ("date3", "31/12/2026"),
    ("date3", "15:01"),
    ("time4", "25:00"),
    ("time4", "2026-12-31"),
    ("amount5", "九十九元"),
    ("phrase6", "已经全部到账了"),
    ("phrase6", "ok"),
    ("character_string7", "x" * 33),
    ("character_string7", "订单1"),
    ("name8", "张三李四王五赵六钱七孙"),
    ("thing1", ""),
])
def test_subscribe_field_limits(url, key, value):
    add_template(url, "TPL_ALL", list(GOOD_DATA))
    result = send(url, stable_token(url), {**GOOD_DATA, key: value}, template_id="TPL_ALL")
    assert result["errcode"] == 47003
    assert f"data.{key}.value" in result["errmsg"]
    assert messages(url) == []


def test_subscribe_requires_touser_and_template(url):
    token = stable_token(url)
    assert send(url, token, {"thing1": "x"}, touser="")["errcode"] == 40003
    assert send(url, token, {"thing1": "x"}, template_id="")["errcode"] == 40037


def test_refused_user_gets_43101_until_cleared(url):
    token = stable_token(url)
    post(url, "/_fake/refuse", {"touser": "o_no"}).raise_for_status()
    assert send(url, token, {"thing1": "x"}, touser="o_no") == {
        "errcode": 43101, "errmsg": "user refuse to accept the msg"}
    assert send(url, token, {"thing1": "x"}, touser="o_yes")["errcode"] == 0
    requests.delete(url + "/_fake/refuse", json={"touser": "o_no"}, timeout=5)
    assert send(url, token, {"thing1": "x"}, touser="o_no")["errcode"] == 0
    assert [m["touser"] for m in messages(url)] == ["o_yes", "o_no"]


def test_refusal_for_one_template_only(url):
    token = stable_token(url)
    add_template(url, "TPL_A", ["thing1"])
    add_template(url, "TPL_B", ["thing1"])
    post(url, "/_fake/refuse", {"touser": "o_u", "template_id": "TPL_A"})
    assert send(url, token, {"thing1": "x"}, touser="o_u", template_id="TPL_A")["errcode"] \
        == 43101
    assert send(url, token, {"thing1": "x"}, touser="o_u", template_id="TPL_B")["errcode"] == 0


def test_body_without_content_type_is_parsed(url):
    token = stable_token(url)
    raw = json.dumps({"touser": "o_raw", "template_id": "TPL1", "data": {"thing1": {"value": "原样"}}},
                     ensure_ascii=False).encode("utf-8")
    res = requests.post(url + SEND, params={"access_token": token}, data=raw, timeout=5)
    assert "Content-Type" not in res.request.headers
    assert res.json()["errcode"] == 0
    assert messages(url)[0]["data"] == {"thing1": {"value": "原样"}}
    assert "原样".encode() in requests.get(url + "/_fake/messages", timeout=5).content  # no \u escapes


# --- failure injection ------------------------------------------------------

def test_fail_injection_honours_times(url):
    fail(url, path="sns/jscode2session", errcode=45011, times=2)  # no leading slash
    assert login(url, "fake:o_1") == {"errcode": 45011, "errmsg": "api minute-quota reach limit"}
    assert login(url, "fake:o_1") == {"errcode": 45011, "errmsg": "api minute-quota reach limit"}
    assert login(url, "fake:o_1")["openid"] == "o_1"  # the code was not burnt by failures
    assert calls(url)["/sns/jscode2session"] == 3


def test_fail_injection_system_error_on_send_is_not_logged(url):
    token = stable_token(url)
    fail(url, path=SEND, errcode=-1)
    assert send(url, token, {"thing1": "x"}) == {"errcode": -1, "errmsg": "system error"}
    assert messages(url) == []
    assert send(url, token, {"thing1": "x"})["errcode"] == 0


def test_503_injection(url):
    fail(url, path="/cgi-bin/stable_token", status=503, times=1)
    res = post(url, "/cgi-bin/stable_token",
               {"grant_type": "client_credential", "appid": APPID, "secret": SECRET})
    assert res.status_code == 503 and res.content == b""
    assert stable_token(url)


def test_delay_injection(url):
    fail(url, path="/sns/jscode2session", delay_ms=300)
    started = time.monotonic()
    assert login(url, "fake:o_slow")["openid"] == "o_slow"
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    login(url, "fake:o_fast")
    assert time.monotonic() - started < 0.3


def test_bad_fail_rule_is_rejected(url):
    assert post(url, "/_fake/fail", {"path": "/x"}).status_code == 400


# --- bookkeeping ------------------------------------------------------------

def test_unknown_path_is_invalid_url(url):
    res = get(url, "/cgi-bin/nope")
    assert res.status_code == 200
    assert res.json() == {"errcode": 40066, "errmsg": "invalid url"}


def test_calls_reset_and_full_reset(url):
    token = stable_token(url)
    login(url, "fake:o_r")
    send(url, token, {"thing1": "x"})
    assert calls(url) == {"/cgi-bin/stable_token": 1, "/sns/jscode2session": 1, SEND: 1}
    requests.delete(url + "/_fake/calls", timeout=5).raise_for_status()
    assert calls(url) == {}
    post(url, "/_fake/reset").raise_for_status()
    assert messages(url) == []
    assert send(url, token, {"thing1": "x"})["errcode"] == 40001
    assert login(url, "fake:o_r")["openid"] == "o_r"  # used codes forgotten


# --- wechatpy ---------------------------------------------------------------

def make_wechatpy_client(url, token):
    from wechatpy import WeChatClient

    # wechatpy 1.8.18 fetches tokens from a hard-coded https://api.weixin.qq.com/cgi-bin/token
    # (ignoring API_BASE_URL), and auto_retry re-fetches on 40001/40014/42001 - so hand it a
    # token and switch auto_retry off, or it would call the real WeChat.
    client = WeChatClient(APPID, SECRET, access_token=token, auto_retry=False)
    client.API_BASE_URL = url + "/cgi-bin/"
    client.wxa.API_BASE_URL = url + "/"   # WeChatWxa carries its own base URL
    return client


def test_wechatpy_client_against_the_fake(url):
    from wechatpy.client.api import WeChatWxa
    from wechatpy.exceptions import WeChatClientException

    client = make_wechatpy_client(url, stable_token(url))
    assert isinstance(client.wxa, WeChatWxa)
    sent_headers = []
    client._http.hooks["response"].append(
        lambda res, *args, **kwargs: sent_headers.append(res.request.headers))

    session = client.wxa.code_to_session("fake:o_wechatpy:u_wechatpy")
    assert (session["openid"], session["unionid"]) == ("o_wechatpy", "u_wechatpy")

    result = client.wxa.send_subscribe_message("o_wechatpy", "TPL1", {"thing1": {"value": "好"}})
    assert result["errcode"] == 0
    assert "Content-Type" not in sent_headers[-1]   # wechatpy posts bare JSON bytes
    assert messages(url)[0]["touser"] == "o_wechatpy"

    with pytest.raises(WeChatClientException) as err:
        client.wxa.code_to_session("fake:o_wechatpy:u_wechatpy")
    assert err.value.errcode == 40163

    fail(url, path="/sns/jscode2session", status=503)
    with pytest.raises(WeChatClientException) as err:
        client.wxa.code_to_session("fake:o_down")
    assert err.value.errcode is None   # HTTP errors surface with errcode None


# --- command line -----------------------------------------------------------

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_old_module_name_still_imports():
    # README, core/embedded.py and older tests name wx.fake_server; it must stay the same fake
    import wx.fake
    import wx.fake_server

    assert wx.fake_server.FakeWechatServer is wx.fake.FakeWechatServer
    assert wx.fake_server.create_fake_app is wx.fake.create_fake_app


@pytest.mark.parametrize("module", ["wx.fake", "wx.fake_server"])
def test_runs_as_a_module(module):
    port = free_port()
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-m", module, "--port", str(port)],
                            cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                res = requests.get(f"http://127.0.0.1:{port}/cgi-bin/nope", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        assert res.json()["errcode"] == 40066
    finally:
        proc.terminate()
        proc.wait(timeout=5)
