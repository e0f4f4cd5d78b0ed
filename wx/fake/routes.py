"""The fake's Flask app: WeChat's endpoints, plus the hooks that count calls and inject failures.

The rules they check live in rules.py and the memory in state.py, so each route reads as
"parse, check, answer" the way WeChat's documentation describes it.
"""
from __future__ import annotations

import base64
import os
import time

from flask import Flask, Response, request

from wx.fake.control import register_control
from wx.fake.images import qr_png
from wx.fake.replies import error_reply, json_body, json_reply, ok_reply
from wx.fake.rules import (ENV_VERSIONS, LANGS, LOGIN_CODE, MINIPROGRAM_STATES, PHONE_CODE,
                           SCENE, TOKEN_TTL, data_error)
from wx.fake.state import FakeState


def create_fake_app(appid_secrets=None):
    """The fake as a Flask app; `appid_secrets` (appid -> secret) limits accepted credentials."""
    app = Flask(__name__)
    state = FakeState(appid_secrets)
    app.extensions["fake_wechat"] = state
    _register_hooks(app, state)
    _register_auth(app, state)
    _register_wxa(app, state)
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
        if rule is None:
            return None
        if rule.get("delay_ms"):
            time.sleep(rule["delay_ms"] / 1000.0)
        if rule.get("status"):
            return Response(b"", status=rule["status"], content_type="text/plain")
        if rule.get("errcode") is not None:
            return error_reply(rule["errcode"], rule.get("errmsg"))
        return None

    @app.errorhandler(404)
    def unknown_path(_exc):
        return error_reply(40066)

    @app.errorhandler(405)
    def wrong_method(_exc):
        return error_reply(43002 if request.method == "GET" else 43001)


def _checked_token(state):
    """(appid, None) for a usable ?access_token=, else (None, error response)."""
    token = request.args.get("access_token", "")
    with state.lock:
        code = state.token_error(token)
        appid = None if code else state.tokens[token]["appid"]
    return (None, error_reply(code)) if code else (appid, None)


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
            current = state.stable.get(appid)
            if force and current:
                state.tokens.pop(current, None)   # force_refresh kills the old token
            elif current and state.live_token(current):
                left = int(state.tokens[current]["expires_at"] - time.time())
                return json_reply({"access_token": current, "expires_in": left})
            state.stable[appid] = state.issue_token(appid)
            return json_reply({"access_token": state.stable[appid], "expires_in": TOKEN_TTL})

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
        result = {"openid": m.group(1),
                  "session_key": base64.b64encode(os.urandom(16)).decode()}
        if m.group(2):
            result["unionid"] = m.group(2)
        return json_reply(result)


def _register_wxa(app, state):
    @app.post("/wxa/business/getuserphonenumber")
    def phone_number():
        appid, error = _checked_token(state)
        if error:
            return error
        body = json_body()
        if body is None:
            return error_reply(47001)
        m = PHONE_CODE.fullmatch(str(body.get("code") or ""))
        if not m:
            return error_reply(40029)
        phone = m.group(1)
        return ok_reply(phone_info={
            "phoneNumber": phone, "purePhoneNumber": phone, "countryCode": "86",
            "watermark": {"timestamp": int(time.time()), "appid": appid}})

    @app.post("/wxa/getwxacodeunlimit")
    def wxacode_unlimit():
        _appid, error = _checked_token(state)
        if error:
            return error
        body = json_body()
        if body is None:
            return error_reply(47001)
        scene, page = str(body.get("scene", "")), str(body.get("page") or "")
        if not SCENE.fullmatch(scene):
            return error_reply(40169)
        if page.startswith("/") or "?" in page:
            return error_reply(41030)
        if body.get("env_version", "release") not in ENV_VERSIONS:
            return error_reply(40097)
        return Response(qr_png(f"{page}?scene={scene}"), content_type="image/png")

    @app.post("/cgi-bin/message/subscribe/send")
    def subscribe_send():
        _appid, error = _checked_token(state)
        if error:
            return error
        body = json_body()
        if body is None:
            return error_reply(47001)
        return _subscribe_send(state, body)


def _subscribe_send(state, body):
    touser, template_id = body.get("touser"), body.get("template_id")
    if not touser or not isinstance(touser, str):
        return error_reply(40003)
    if not template_id or not isinstance(template_id, str):
        return error_reply(40037)
    mp_state = body.get("miniprogram_state") or "formal"
    if mp_state not in MINIPROGRAM_STATES:
        return error_reply(47003, "argument invalid! miniprogram_state invalid")
    if (body.get("lang") or "zh_CN") not in LANGS:
        return error_reply(47003, "argument invalid! lang invalid")
    problem = data_error(body.get("data"))
    if problem:
        return error_reply(47003, problem)
    with state.lock:
        if state.refused(touser, template_id):
            return error_reply(43101)
        state.messages.append({"touser": touser, "template_id": template_id,
                               "data": body["data"], "page": body.get("page"),
                               "miniprogram_state": mp_state})
        state.msgid += 1
        return ok_reply(msgid=state.msgid)
