"""The fake WeChat server refuses what WeChat refuses: unknown templates and keys, unreleased
pages, reused or stale phone codes, too many forced token refreshes, a server off the IP
whitelist, blocked users, calls past a quota. Over real HTTP."""
import requests

from tests.wx.test_fake_server import (APPID, JPEG_SIGNATURE, SECRET, add_template, fresh, get,
                                       login, messages, post, send, server, stable_token, url)

_ = fresh, server, url  # fixtures
PHONE = "/wxa/business/getuserphonenumber"
WXACODE = "/wxa/getwxacodeunlimit"


def token_answer(url, force_refresh=False):
    return post(url, "/cgi-bin/stable_token", {
        "grant_type": "client_credential", "appid": APPID, "secret": SECRET,
        "force_refresh": force_refresh}).json()


def advance(url, seconds):
    post(url, "/_fake/clock", {"advance": seconds}).raise_for_status()


def phone(url, code, **extra):
    return post(url, PHONE, {"code": code, **extra}, access_token=stable_token(url)).json()


def issue_phone_code(url, **body):
    return post(url, "/_fake/phone-codes", body).json()["code"]


# --- templates ----------------------------------------------------------------

def test_the_account_lists_its_templates_with_their_keys_in_the_content(url):
    add_template(url, "tpl-x", {"thing1": "温馨提示", "number2": "积分"}, title="积分提醒")
    answer = get(url, "/wxaapi/newtmpl/gettemplate", access_token=stable_token(url)).json()
    listed = {t["priTmplId"]: t for t in answer["data"]}
    assert answer["errcode"] == 0
    assert listed["tpl-x"]["title"] == "积分提醒" and listed["tpl-x"]["type"] == 2
    assert listed["tpl-x"]["content"] == "温馨提示:{{thing1.DATA}}\n积分:{{number2.DATA}}\n"
    assert "demo-points-expiring" in listed  # the default account's template


def test_a_template_the_account_lacks_is_40037(url):
    assert send(url, stable_token(url), {"thing1": "x"}, template_id="TPL_OTHER") == {
        "errcode": 40037, "errmsg": "invalid template_id"}
    assert messages(url) == []


def test_the_data_keys_must_be_the_templates(url):
    token = stable_token(url)
    add_template(url, "TPL2", ["thing1", "number2"])
    missing = send(url, token, {"thing1": "x"}, template_id="TPL2")
    extra = send(url, token, {"thing1": "x", "number2": "1", "date3": "2026年1月1日"},
                 template_id="TPL2")
    assert missing == {"errcode": 47003, "errmsg": "argument invalid! data.number2.value is empty"}
    assert extra["errcode"] == 47003 and "data.date3" in extra["errmsg"]
    assert send(url, token, {"thing1": "x", "number2": "1"}, template_id="TPL2")["errcode"] == 0


def test_a_deleted_template_is_refused_and_a_bad_one_is_not_registered(url):
    requests.delete(url + "/_fake/templates/TPL1", timeout=5).raise_for_status()
    assert send(url, stable_token(url), {"thing1": "x"})["errcode"] == 40037
    bad = requests.put(url + "/_fake/templates/TPL9", json={"keys": ["mystery1"]}, timeout=5)
    assert bad.status_code == 400


def test_a_formal_message_must_open_a_released_page(url):
    token = stable_token(url)

    def send_to(page, state="formal"):
        return post(url, "/cgi-bin/message/subscribe/send", {
            "touser": "o_p", "template_id": "TPL1", "page": page, "miniprogram_state": state,
            "data": {"thing1": {"value": "x"}}}, access_token=token).json()["errcode"]

    assert send_to("pages/points/index?from=msg") == 0
    assert send_to("pages/unreleased/index") == 41030
    assert send_to("pages/unreleased/index", state="developer") == 0  # not the released version
    requests.put(url + "/_fake/pages", json={"pages": ["pages/unreleased/index"]}, timeout=5)
    assert send_to("pages/unreleased/index") == 0


# --- phone numbers ------------------------------------------------------------

def test_a_foreign_number_comes_with_its_country_code(url):
    info = phone(url, "fakephone:+44:7700900123")["phone_info"]
    assert (info["phoneNumber"], info["purePhoneNumber"], info["countryCode"]) == \
        ("+447700900123", "7700900123", "44")


def test_a_phone_code_works_once(url):
    assert phone(url, "fakephone:13800138000:a")["errcode"] == 0
    assert phone(url, "fakephone:13800138000:a")["errcode"] == 40029
    assert phone(url, "fakephone:13800138000:b")["errcode"] == 0


def test_an_issued_phone_code_expires_after_5_minutes(url):
    fresh_code, stale_code = (issue_phone_code(url, phone="13800138000") for _ in range(2))
    advance(url, 299)
    assert phone(url, fresh_code)["phone_info"]["purePhoneNumber"] == "13800138000"
    advance(url, 2)
    assert phone(url, stale_code)["errcode"] == 40029


def test_an_issued_phone_code_is_only_its_users(url):
    code = issue_phone_code(url, phone="7700900123", country_code="44", openid="o_owner")
    assert phone(url, code, openid="o_thief")["errcode"] == 40029
    assert phone(url, code, openid="o_owner")["phone_info"]["countryCode"] == "44"


# --- mini-program codes -------------------------------------------------------

def test_check_path_needs_a_released_page(url):
    token = stable_token(url)

    def code(**body):
        return post(url, WXACODE, {"scene": "ABC", **body}, access_token=token)

    released = code(page="pages/invite/index")
    assert released.headers["Content-Type"] == "image/jpeg"
    assert released.content.startswith(JPEG_SIGNATURE)
    assert code(page="pages/new/index").json()["errcode"] == 41030  # check_path defaults to true
    assert code(page="pages/new/index", check_path=False).content.startswith(JPEG_SIGNATURE)
    assert code(page="pages/new/index", check_path="false").json()["errcode"] == 47001
    requests.put(url + "/_fake/pages", json={"pages": []}, timeout=5)  # never released
    assert code(page="pages/invite/index").json()["errcode"] == 41030


# --- the stable token ---------------------------------------------------------

def test_the_stable_token_is_renewed_in_its_last_5_minutes_and_the_old_one_still_works(url):
    first = token_answer(url)
    advance(url, 7200 - 400)
    same = token_answer(url)
    assert same["access_token"] == first["access_token"] and 390 <= same["expires_in"] <= 400
    advance(url, 101)
    renewed = token_answer(url)
    assert renewed["access_token"] != first["access_token"] and renewed["expires_in"] == 7200
    assert send(url, first["access_token"], {"thing1": "x"})["errcode"] == 0
    advance(url, 300)
    assert send(url, first["access_token"], {"thing1": "x"})["errcode"] == 42001


def test_forced_refreshes_are_30_seconds_apart_and_20_a_day(url):
    first = token_answer(url, force_refresh=True)["access_token"]
    assert token_answer(url, force_refresh=True)["access_token"] == first  # too soon: unchanged
    for _ in range(19):
        advance(url, 31)
        assert token_answer(url, force_refresh=True)["access_token"] != first
    advance(url, 31)
    assert token_answer(url, force_refresh=True) == {
        "errcode": 45009, "errmsg": "reach max api daily quota limit"}
    assert "access_token" in token_answer(url)  # normal mode is not limited


# --- switches -----------------------------------------------------------------

def test_a_server_off_the_ip_whitelist_gets_40164(url):
    token = stable_token(url)
    requests.put(url + "/_fake/ip-whitelist", json={"ips": ["203.0.113.7"]}, timeout=5)
    refused = token_answer(url)
    assert refused["errcode"] == 40164
    assert refused["errmsg"] == "invalid ip 127.0.0.1 ipv6 ::ffff:127.0.0.1, not in whitelist"
    assert send(url, token, {"thing1": "x"})["errcode"] == 40164
    requests.put(url + "/_fake/ip-whitelist", json={"ips": ["127.0.0.1"]}, timeout=5)
    assert send(url, token, {"thing1": "x"})["errcode"] == 0


def test_a_blocked_user_cannot_log_in(url):
    post(url, "/_fake/block", {"openid": "o_risky"}).raise_for_status()
    assert login(url, "fake:o_risky") == {"errcode": 40226, "errmsg": "high risk user, login blocked"}
    assert login(url, "fake:o_fine")["openid"] == "o_fine"


def test_a_token_can_be_made_invalid_40014(url):
    old = stable_token(url)
    post(url, "/_fake/expire-token", {"errcode": 40014}).raise_for_status()
    assert send(url, old, {"thing1": "x"}) == {"errcode": 40014, "errmsg": "invalid access_token"}
    assert send(url, stable_token(url), {"thing1": "x"})["errcode"] == 0


def test_quotas_answer_45011_within_the_minute_and_45009_for_the_day(url):
    token = stable_token(url)
    post(url, "/_fake/quota", {"path": "/cgi-bin/message/subscribe/send", "daily": 3,
                               "per_minute": 2}).raise_for_status()
    results = [send(url, token, {"thing1": "x"})["errcode"] for _ in range(3)]
    assert results == [0, 0, 45011]
    advance(url, 60)
    assert [send(url, token, {"thing1": "x"})["errcode"] for _ in range(2)] == [0, 45009]
    requests.delete(url + "/_fake/quota", timeout=5).raise_for_status()
    assert send(url, token, {"thing1": "x"})["errcode"] == 0
