"""The fake's Flask app: WeChat's endpoints, plus the hooks that count calls and inject failures.

The rules they check live in rules.py and the memory in state.py, so each route reads as
"parse, check, answer" the way WeChat's documentation describes it.
"""
from __future__ import annotations

import base64
import os
import time

from flask import Flask, Response, request

from wx.fake.account import released
from wx.fake.control import register_control
from wx.fake.images import CONTENT_TYPE as JPEG, qr_jpeg
from wx.fake.messages import checked_token, register_messages
from wx.fake.replies import error_reply, json_body, json_reply, ok_reply
from wx.fake.rules import (EARLY_ROTATION, ENV_VERSIONS, LOGIN_CODE, PHONE_CODE, PHONE_CODE_TTL,
                           SCENE, TOKEN_TTL, phone_of)
from wx.fake.state import FakeState


def create_fake_app(appid_secrets=None):
    """The fake as a Flask app; `appid_secrets` (appid -> secret) limits accepted credentials."""
    app = Flask(__name__)
    state = FakeState(appid_secrets)
    app.extensions["fake_wechat"] = state
    _register_hooks(app, state)
    _register_auth(app, state)
    _register_wxa(app, state)
    register_messages(app, state)
    register_control(app, state)
    return app


def _register_hooks(app, state):
    @app.before_request
    def count_and_inject():
        path = request.path
        if path.startswith("/_fake/"):
            return None
        with state.lock:
            state.calls[path] = state.calls.get(path, 0) + 1
            rule = state.take_failure(path)
        if rule is not None:
            if rule.get("delay_ms"):
                time.sleep(rule["delay_ms"] / 1000.0)
            if rule.get("status"):
                return Response(b"", status=rule["status"], content_type="text/plain")
            if rule.get("errcode") is not None:
                return error_reply(rule["errcode"], rule.get("errmsg"))
        with state.lock:
            not_whitelisted = state.ip_error(request.remote_addr)
            over_quota = None if not_whitelisted else state.quota_error(path)
        if not_whitelisted:
            return error_reply(40164, not_whitelisted)
        return error_reply(over_quota) if over_quota else None

    @app.errorhandler(404)
    def unknown_path(_exc):
        return error_reply(40066)

    @app.errorhandler(405)
    def wrong_method(_exc):
        return error_reply(43002 if request.method == "GET" else 43001)


def _register_auth(app, state):
    @app.get("/cgi-bin/token")
    def token():
        args = request.args
        if args.get("grant_type") != "client_credential":
            return error_reply(40002)
        with state.lock:
            code = state.check_app(args.get("appid"), args.get("secret"))
            if code:
                return error_reply(code)
            return json_reply({"access_token": state.issue_token(args["appid"]),
                               "expires_in": TOKEN_TTL})

    @app.post("/cgi-bin/stable_token")
    def stable_token():
        body = json_body()
        if body is None:
            return error_reply(47001)
        if body.get("grant_type") != "client_credential":
            return error_reply(40002)
        appid = body.get("appid")
        force = str(body.get("force_refresh")).lower() == "true"   # true or "true"
        with state.lock:
            code = state.check_app(appid, body.get("secret"))
            if code:
                return error_reply(code)
            return _stable_token(state, appid, force)

    @app.get("/sns/jscode2session")
    def jscode2session():
        args = request.args
        code = args.get("js_code", "")
        with state.lock:
            app_err = state.check_app(args.get("appid"), args.get("secret"))
            if app_err:
                return error_reply(app_err)
            if not code:
                return error_reply(41008)
            m = LOGIN_CODE.fullmatch(code)
            if not m:
                return error_reply(40029)
            if code in state.used_codes:
                return error_reply(40163)
            state.used_codes.add(code)
            if m.group(1) in state.blocked:
                return error_reply(40226)
        result = {"openid": m.group(1),
                  "session_key": base64.b64encode(os.urandom(16)).decode()}
        if m.group(2):
            result["unionid"] = m.group(2)
        return json_reply(result)


def _stable_token(state, appid, force):
    """Normal mode: the current token while more than 5 minutes are left, then a new one (the
    old one lives out its time). force_refresh: a new one and the old one dies — at most 20 a
    day (45009), and within 30 s of the last one the current token comes back unchanged."""
    current = state.stable.get(appid)
    live = current and state.live_token(current)
    if force:
        refused = state.force_refresh_error(appid)
        if refused == "keep" and live:
            return json_reply({"access_token": current, "expires_in": state.seconds_left(current)})
        if refused and refused != "keep":
            return error_reply(refused)
        state.tokens.pop(current, None)
    elif live and state.seconds_left(current) > EARLY_ROTATION:
        return json_reply({"access_token": current, "expires_in": state.seconds_left(current)})
    state.stable[appid] = state.issue_token(appid)
    return json_reply({"access_token": state.stable[appid], "expires_in": TOKEN_TTL})


def _register_wxa(app, state):
    @app.post("/wxa/business/getuserphonenumber")
    def phone_number():
        appid, error = checked_token(state)
        if error:
            return error
        body = json_body()
        if body is None:
            return error_reply(47001)
        code, openid = str(body.get("code") or ""), body.get("openid")
        m = PHONE_CODE.fullmatch(code)
        with state.lock:
            if not m or not _phone_code_usable(state, code, openid):
                return error_reply(40029)
            state.used_phone_codes.add(code)
        country, number = phone_of(m)
        return ok_reply(phone_info={
            "phoneNumber": number if country == "86" else f"+{country}{number}",
            "purePhoneNumber": number, "countryCode": country,
            "watermark": {"timestamp": int(state.now()), "appid": appid}})

    @app.post("/wxa/getwxacodeunlimit")
    def wxacode_unlimit():
        _appid, error = checked_token(state)
        if error:
            return error
        body = json_body()
        if body is None or not isinstance(body.get("check_path", True), bool):
            return error_reply(47001)   # check_path "false" (a string) is a format error
        scene, page = str(body.get("scene", "")), str(body.get("page") or "")
        if not SCENE.fullmatch(scene):
            return error_reply(40169)
        if body.get("env_version", "release") not in ENV_VERSIONS:
            return error_reply(40097)
        if page.startswith("/") or "?" in page:
            return error_reply(41030)
        with state.lock:
            unreleased = page and body.get("check_path", True) and not released(state.pages, page)
        if unreleased:
            return error_reply(41030)
        version = body.get("env_version", "release")   # in the picture, for developers' eyes
        return Response(qr_jpeg(f"{version}:{page}?scene={scene}"), content_type=JPEG)


def _phone_code_usable(state, code, openid):
    """Once only; one issued by POST /_fake/phone-codes also within 5 minutes and, when the
    request names an openid, only for the user it was issued to."""
    if code in state.used_phone_codes:
        return False
    issued = state.phone_codes.get(code)
    if issued is None:
        return True
    if state.now() - issued["issued_at"] > PHONE_CODE_TTL:
        return False
    return not (openid and issued.get("openid") and openid != issued["openid"])
